package io.mqttkafka.bridge.tls;

import io.mqttkafka.bridge.config.ConfigException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reads PEM certificates and private keys (PKCS#8 {@code PRIVATE KEY}, PKCS#1 {@code RSA PRIVATE KEY},
 * SEC1 {@code EC PRIVATE KEY}) with BouncyCastle's parser; the keys and certificates themselves are
 * built by the JDK's providers. Every failure is a {@link ConfigException} naming the config key
 * and the file.
 */
final class PemFiles {

  private PemFiles() {
  }

  /** The certificates in the file, in order (for a chain: the server's first). */
  static List<X509Certificate> certificates(Path file, String key) throws ConfigException {
    JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
    List<X509Certificate> certificates = new ArrayList<>();
    for (Object pem : read(file, key)) {
      if (pem instanceof X509CertificateHolder holder) {
        try {
          certificates.add(converter.getCertificate(holder));
        } catch (CertificateException e) {
          throw new ConfigException(key, file + ": unusable certificate: " + e.getMessage());
        }
      }
    }
    if (certificates.isEmpty()) {
      throw new ConfigException(key, file + ": holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    return certificates;
  }

  static PrivateKey privateKey(Path file, String key) throws ConfigException {
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    List<PrivateKey> keys = new ArrayList<>();
    for (Object pem : read(file, key)) {
      try {
        if (pem instanceof PrivateKeyInfo info) {
          keys.add(converter.getPrivateKey(info));
        } else if (pem instanceof PEMKeyPair pair) {
          // Only the private part: SEC1 keys may leave out the public key.
          keys.add(converter.getPrivateKey(pair.getPrivateKeyInfo()));
        } else if (pem instanceof PKCS8EncryptedPrivateKeyInfo || pem instanceof PEMEncryptedKeyPair) {
          throw new ConfigException(key, file + ": the private key is encrypted; the bridge reads unencrypted keys"
              + " only (protect the file instead)");
        }
      } catch (IOException e) {
        throw new ConfigException(key, file + ": unusable private key: " + e.getMessage());
      }
    }
    if (keys.size() != 1) {
      throw new ConfigException(key, file + (keys.isEmpty()
          ? ": holds no PEM private key (-----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY)"
          : ": holds " + keys.size() + " private keys, expected one"));
    }
    return keys.get(0);
  }

  private static List<Object> read(Path file, String key) throws ConfigException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.ISO_8859_1);
    } catch (NoSuchFileException e) {
      throw new ConfigException(key, file + ": no such file");
    } catch (AccessDeniedException e) {
      throw new ConfigException(key, file + ": permission denied");
    } catch (IOException e) {
      throw new ConfigException(key, file + ": cannot read: " + e);
    }
    List<Object> objects = new ArrayList<>();
    try (PEMParser parser = new PEMParser(new StringReader(text))) {
      for (Object pem = parser.readObject(); pem != null; pem = parser.readObject()) {
        objects.add(pem);
      }
    } catch (IOException | RuntimeException e) {
      throw new ConfigException(key, file + ": not valid PEM: " + oneLine(e.getMessage()));
    }
    return objects;
  }

  private static String oneLine(String message) {
    return message == null ? "unreadable" : message.lines().findFirst().orElse("unreadable");
  }
}
