package io.mqttkafka.bridge.tls;

import io.mqttkafka.bridge.config.MqttSettings;
import io.mqttkafka.bridge.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * What the TLS listeners serve, read from the PEM files of {@code mqtt.tls}: the server's certificate
 * chain and its private key, and the CA certificates that client certificates must chain to (empty
 * when client certificates are not asked for).
 */
public record TlsMaterial(List<X509Certificate> chain, PrivateKey key, List<X509Certificate> clientCas) {

  static final String CERT_FILE = "mqtt.tls.certFile";
  static final String KEY_FILE = "mqtt.tls.keyFile";
  static final String CA_FILE = "mqtt.tls.caFile";
  /** The key store only lives in memory; its password protects nothing. */
  private static final char[] IN_MEMORY = "in-memory".toCharArray();
  private static final byte[] PROBE = "mqtt-kafka-bridge key check".getBytes(StandardCharsets.US_ASCII);

  public TlsMaterial {
    chain = List.copyOf(chain);
    clientCas = List.copyOf(clientCas);
  }

  /**
   * Reads and checks the files named by {@code tls} (which must name a certificate and a key). Blocks:
   * call it at start-up or on a worker thread.
   *
   * @throws ConfigException naming the key whose file is missing, unreadable, not PEM, or whose key
   *                         does not belong to the certificate
   */
  public static TlsMaterial load(MqttSettings.Tls tls) throws ConfigException {
    Path certFile = tls.certFile().orElseThrow(() -> new ConfigException(CERT_FILE, "is required"));
    Path keyFile = tls.keyFile().orElseThrow(() -> new ConfigException(KEY_FILE, "is required"));
    List<X509Certificate> chain = PemFiles.certificates(certFile, CERT_FILE);
    PrivateKey key = PemFiles.privateKey(keyFile, KEY_FILE);
    if (!belongTogether(chain.get(0).getPublicKey(), key)) {
      throw new ConfigException(KEY_FILE, keyFile + ": is not the private key of the certificate in " + CERT_FILE
          + " (" + chain.get(0).getSubjectX500Principal().getName() + ")");
    }
    List<X509Certificate> cas = List.of();
    if (tls.caFile().isPresent()) {
      cas = PemFiles.certificates(tls.caFile().get(), CA_FILE);
    }
    return new TlsMaterial(chain, key, cas);
  }

  /** The server's own certificate. */
  public X509Certificate certificate() {
    return chain.get(0);
  }

  /** Subject, serial number and validity of the server certificate, for the log. */
  public String describe() {
    X509Certificate c = certificate();
    return "subject \"" + c.getSubjectX500Principal().getName() + "\", serial " + c.getSerialNumber().toString(16)
        + ", valid until " + c.getNotAfter().toInstant() + (clientCas.isEmpty() ? ""
        : ", " + clientCas.size() + " client CA certificate(s)");
  }

  /** Why the server certificate is not valid at {@code now}, if it is not. */
  public Optional<String> validityProblem(Instant now) {
    X509Certificate c = certificate();
    if (now.isBefore(c.getNotBefore().toInstant())) {
      return Optional.of("not valid before " + c.getNotBefore().toInstant());
    }
    if (now.isAfter(c.getNotAfter().toInstant())) {
      return Optional.of("expired at " + c.getNotAfter().toInstant());
    }
    return Optional.empty();
  }

  /** The JDK's key manager over this certificate and key, under {@code alias}. */
  X509ExtendedKeyManager keyManager(String alias) throws GeneralSecurityException {
    KeyStore store = emptyStore();
    store.setKeyEntry(alias, key, IN_MEMORY, chain.toArray(new X509Certificate[0]));
    KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    factory.init(store, IN_MEMORY);
    return (X509ExtendedKeyManager) factory.getKeyManagers()[0];
  }

  /** The JDK's PKIX trust manager over the client CAs; empty when there are none. */
  Optional<X509ExtendedTrustManager> trustManager() throws GeneralSecurityException {
    if (clientCas.isEmpty()) {
      return Optional.empty();
    }
    KeyStore store = emptyStore();
    for (int i = 0; i < clientCas.size(); i++) {
      store.setCertificateEntry("ca-" + i, clientCas.get(i));
    }
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(store);
    return Optional.of((X509ExtendedTrustManager) factory.getTrustManagers()[0]);
  }

  private static KeyStore emptyStore() throws GeneralSecurityException {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try {
      store.load(null, null);
    } catch (IOException e) {
      throw new GeneralSecurityException("cannot create an in-memory key store", e);
    }
    return store;
  }

  /** Signs a probe with the key and verifies it with the certificate's public key. */
  private static boolean belongTogether(PublicKey publicKey, PrivateKey key) {
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
      default -> null;
    };
    if (algorithm == null) {
      return publicKey.getAlgorithm().equals(key.getAlgorithm()); // no probe for this key type
    }
    try {
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(PROBE);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(PROBE);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false; // e.g. an RSA key with an EC certificate
    }
  }
}
