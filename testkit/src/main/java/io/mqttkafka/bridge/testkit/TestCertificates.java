package io.mqttkafka.bridge.testkit;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * Certificates made in the test (BouncyCastle, no keytool or openssl): a CA, server certificates for
 * {@code localhost} and {@code 127.0.0.1}, client certificates, written as PEM files, and client
 * socket factories that trust a CA and present a client certificate.
 */
public final class TestCertificates {

  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());
  private static final char[] PASSWORD = "test".toCharArray();

  private TestCertificates() {
  }

  public enum KeyType { EC, RSA }

  /** How a private key is written: PKCS#8 {@code PRIVATE KEY}, or PKCS#1 (RSA) / SEC1 (EC). */
  public enum KeyFormat { PKCS8, TRADITIONAL }

  /** A certificate, its private key, and the certificate that signed it (itself for a CA). */
  public record Credential(X509Certificate certificate, PrivateKey key, X509Certificate issuer) {

    public String subject() {
      return certificate.getSubjectX500Principal().getName();
    }

    /** Writes the certificate as PEM, replacing the file in one step (as a Secret update would). */
    public Path writeCertificate(Path file) throws IOException {
      return writePem(file, certificate);
    }

    public Path writeKey(Path file) throws IOException {
      return writeKey(file, KeyFormat.PKCS8);
    }

    public Path writeKey(Path file, KeyFormat format) throws IOException {
      if (format == KeyFormat.PKCS8) {
        return writePem(file, new JcaPKCS8Generator(key, null).generate());
      }
      if (key.getAlgorithm().equals("EC")) {
        // SEC1 as openssl writes it: with the curve and the public key (BouncyCastle's writer leaves
        // both out when the key comes from the JDK).
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
        ECPrivateKey bare = ECPrivateKey.getInstance(info.parsePrivateKey());
        ECPrivateKey full = new ECPrivateKey(256, bare.getKey(),
            SubjectPublicKeyInfo.getInstance(certificate.getPublicKey().getEncoded()).getPublicKeyData(),
            info.getPrivateKeyAlgorithm().getParameters());
        return writePem(file, new PemObject("EC PRIVATE KEY", full.getEncoded()));
      }
      return writePem(file, key); // PKCS#1
    }
  }

  /** A self-signed CA. */
  public static Credential ca(String name) throws Exception {
    KeyPair keys = keyPair(KeyType.EC);
    X500Principal subject = new X500Principal("CN=" + name);
    X509v3CertificateBuilder builder = builder(subject, subject, keys, Duration.ofDays(30));
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    builder.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
    X509Certificate certificate = sign(builder, keys.getPrivate());
    return new Credential(certificate, keys.getPrivate(), certificate);
  }

  /** A server certificate for localhost and 127.0.0.1, signed by {@code ca}. */
  public static Credential server(Credential ca, String name) throws Exception {
    return server(ca, name, KeyType.EC);
  }

  public static Credential server(Credential ca, String name, KeyType type) throws Exception {
    GeneralNames names = new GeneralNames(new GeneralName[] {
        new GeneralName(GeneralName.dNSName, "localhost"),
        new GeneralName(GeneralName.iPAddress, InetAddress.getLoopbackAddress().getHostAddress())});
    return issue(ca, name, type, KeyPurposeId.id_kp_serverAuth, names, Duration.ofDays(30));
  }

  /** A client certificate whose common name is {@code name}, signed by {@code ca}. */
  public static Credential client(Credential ca, String name) throws Exception {
    return issue(ca, name, KeyType.EC, KeyPurposeId.id_kp_clientAuth, null, Duration.ofDays(30));
  }

  /** Trusts {@code ca}; presents {@code client} when it is not null. */
  public static SSLSocketFactory socketFactory(Credential ca, Credential client) throws GeneralSecurityException {
    return sslContext(ca, client).getSocketFactory();
  }

  public static SSLContext sslContext(Credential ca, Credential client) throws GeneralSecurityException {
    KeyStore trusted = emptyStore();
    trusted.setCertificateEntry("ca", ca.certificate());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trusted);
    KeyManager[] keyManagers = null;
    if (client != null) {
      KeyStore own = emptyStore();
      own.setKeyEntry("client", client.key(), PASSWORD, new X509Certificate[] {client.certificate(), client.issuer()});
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(own, PASSWORD);
      keyManagers = new KeyManager[] {new AlwaysPresent((X509ExtendedKeyManager) kmf.getKeyManagers()[0])};
    }
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keyManagers, tmf.getTrustManagers(), new SecureRandom());
    return context;
  }

  /**
   * Presents the client certificate whatever CAs the server names, as devices (and mosquitto_pub
   * --cert) do; the JDK's own key manager would send none when its issuer is not among them.
   */
  private static final class AlwaysPresent extends X509ExtendedKeyManager {

    private final X509ExtendedKeyManager delegate;

    AlwaysPresent(X509ExtendedKeyManager delegate) {
      this.delegate = delegate;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      return "client";
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return "client";
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return new String[] {"client"};
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return delegate.getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return delegate.getPrivateKey(alias);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return null;
    }
  }

  /** Writes PEM objects to a temporary file beside {@code file}, then moves it over {@code file}. */
  public static Path writePem(Path file, Object... objects) throws IOException {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
      for (Object object : objects) {
        writer.writeObject(object);
      }
    }
    Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".pem", ".tmp");
    Files.writeString(tmp, text.toString());
    return Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static Credential issue(Credential ca, String name, KeyType type, KeyPurposeId purpose, GeneralNames names,
                                  Duration validity) throws Exception {
    KeyPair keys = keyPair(type);
    X509v3CertificateBuilder builder = builder(ca.certificate().getSubjectX500Principal(),
        new X500Principal("CN=" + name), keys, validity);
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    builder.addExtension(Extension.keyUsage, true, new KeyUsage(type == KeyType.RSA
        ? KeyUsage.digitalSignature | KeyUsage.keyEncipherment : KeyUsage.digitalSignature));
    builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
    builder.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca.certificate()));
    if (names != null) {
      builder.addExtension(Extension.subjectAlternativeName, false, names);
    }
    return new Credential(sign(builder, ca.key()), keys.getPrivate(), ca.certificate());
  }

  private static X509v3CertificateBuilder builder(X500Principal issuer, X500Principal subject, KeyPair keys,
                                                  Duration validity) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
        Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(validity)), subject, keys.getPublic());
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey issuerKey) throws Exception {
    String algorithm = issuerKey.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
    return new JcaX509CertificateConverter().getCertificate(
        builder.build(new JcaContentSignerBuilder(algorithm).build(issuerKey)));
  }

  private static KeyPair keyPair(KeyType type) throws GeneralSecurityException {
    if (type == KeyType.RSA) {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return generator.generateKeyPair();
    }
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  private static KeyStore emptyStore() throws GeneralSecurityException {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      return store;
    } catch (IOException e) {
      throw new GeneralSecurityException(e);
    }
  }
}
