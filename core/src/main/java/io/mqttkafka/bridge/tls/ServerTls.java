package io.mqttkafka.bridge.tls;

import io.mqttkafka.bridge.config.MqttSettings;
import io.mqttkafka.bridge.config.ConfigException;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.TrustOptions;
import io.netty.handler.ssl.OpenSslCachingX509KeyManagerFactory;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import java.net.Socket;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.KeyManagerFactorySpi;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The TLS side of the TLS and secure WebSocket listeners, with certificates that can be replaced
 * while they run.
 *
 * <p>vert.x-mqtt 5.0.8's {@code MqttServer} does not expose its NetServer's
 * {@code updateSSLOptions}, and vert.x builds a listener's SSL context once. So the listeners get a
 * key manager and a trust manager that stay the same objects and delegate, on every handshake, to
 * the material last {@link #apply applied}: a new connection gets the new certificate, and
 * established connections are not touched. Each material's key entry has its own alias, so a
 * handshake that picked its alias just before a swap still gets that alias's chain and key.
 */
public final class ServerTls {

  private final MqttSettings.Tls config;
  private final TlsEngines.Choice engine;
  private final TicketKeys tickets;
  private final Map<Path, Object> initialStamps;
  private final SwappableKeyManager keyManager = new SwappableKeyManager();
  private final SwappableTrustManager trustManager;
  private final KeyCertOptions keyCertOptions;
  private final TrustOptions trustOptions;
  private final AtomicLong generation = new AtomicLong();
  private volatile TlsMaterial current;

  private ServerTls(MqttSettings.Tls config, TlsEngines.Choice engine, TlsMaterial initial, TicketKeys tickets,
                    Map<Path, Object> initialStamps) throws GeneralSecurityException {
    this.config = config;
    this.engine = engine;
    this.tickets = tickets;
    this.initialStamps = initialStamps;
    this.trustManager = config.clientAuth() == MqttSettings.ClientAuth.NONE ? null : new SwappableTrustManager();
    apply(initial);
    // Created once: options built from these compare equal, so the listeners share one SSL context.
    // OpenSSL takes the key and chain as native objects: Netty's caching factory converts them once per
    // alias (each applied material has its own), not on every handshake.
    this.keyCertOptions = engine.engine() == MqttSettings.TlsEngine.OPENSSL
        ? KeyCertOptions.wrap(new OpenSslCachingX509KeyManagerFactory(new FixedKeyManagerFactory(keyManager)))
        : KeyCertOptions.wrap(keyManager);
    this.trustOptions = trustManager == null ? null : TrustOptions.wrap(trustManager);
  }

  /**
   * Reads the certificate files of {@code config} (which must name a certificate and a key); blocks.
   *
   * @throws ConfigException naming the key of a file that is missing, unreadable, not PEM or does not fit
   */
  public static ServerTls load(MqttSettings.Tls config) throws ConfigException {
    Map<Path, Object> stamps = CertificateReloader.stamps(config);
    TlsMaterial material = TlsMaterial.load(config);
    TlsEngines.Choice engine = TlsEngines.choose(config);
    List<OpenSslSessionTicketKey> keys = null;
    if (config.ticketKeysFile().isPresent()) {
      if (engine.engine() != MqttSettings.TlsEngine.OPENSSL) {
        throw new ConfigException(TicketKeys.FILE, "needs the OpenSSL engine, and the engine here is "
            + engine.description() + ": the JDK's engine makes its own ticket keys and cannot be given any");
      }
      keys = TicketKeys.read(config.ticketKeysFile().get());
    }
    try {
      return new ServerTls(config, engine, material, new TicketKeys(keys), stamps);
    } catch (GeneralSecurityException e) {
      throw new ConfigException(TlsMaterial.KEY_FILE, "the JDK cannot use this key and certificate: " + e);
    }
  }

  /** The verticle that watches the files and {@link #apply applies} what changed; deploy one. */
  public CertificateReloader reloader() {
    return new CertificateReloader(config, this, initialStamps);
  }

  /** Serves {@code material} to every handshake from now on; blocks briefly (builds JDK managers). */
  public void apply(TlsMaterial material) throws GeneralSecurityException {
    String alias = "server-" + generation.incrementAndGet();
    X509ExtendedKeyManager keys = material.keyManager(alias);
    Optional<X509ExtendedTrustManager> trust = material.trustManager();
    if (trustManager != null) {
      trustManager.delegate = trust.orElseThrow(() -> new GeneralSecurityException(
          "client certificates are asked for, but the material has no client CA"));
    }
    keyManager.swap(keys);
    current = material;
  }

  /** Gives the listeners {@code keys} for the session tickets of their next handshakes. */
  void applyTicketKeys(List<OpenSslSessionTicketKey> keys) {
    tickets.apply(keys);
  }

  /** What the start-up log says of the session tickets. */
  public String ticketsDescription() {
    if (engine.engine() != MqttSettings.TlsEngine.OPENSSL) {
      return "session tickets: the JDK engine's own keys, this instance only";
    }
    return tickets.shared() ? "session tickets: the keys of " + config.ticketKeysFile().orElseThrow()
        + ", shared by every instance that reads it" : "session tickets: this instance's own keys ("
        + TicketKeys.FILE + " shares them between instances)";
  }

  /** The TLS engine the listeners use, and why. */
  public TlsEngines.Choice engine() {
    return engine;
  }

  /** The material handshakes get now. */
  public TlsMaterial current() {
    return current;
  }

  /** Turns TLS on in {@code options}: these certificates, client authentication, protocols, ciphers. */
  public void configure(NetServerOptions options) {
    options.setSsl(true)
        .setSslEngineOptions(engine.options(tickets))
        .setKeyCertOptions(keyCertOptions)
        .setClientAuth(switch (config.clientAuth()) {
          case NONE -> ClientAuth.NONE;
          case REQUEST -> ClientAuth.REQUEST;
          case REQUIRED -> ClientAuth.REQUIRED;
        });
    if (trustOptions != null) {
      options.setTrustOptions(trustOptions);
    }
    options.setEnabledSecureTransportProtocols(new LinkedHashSet<>(config.protocols()));
    config.ciphers().forEach(options::addEnabledCipherSuite);
  }

  /** A server-side key manager whose JDK delegate is replaced on reload; keeps the previous one for its alias. */
  private static final class SwappableKeyManager extends X509ExtendedKeyManager {

    private record Delegates(X509ExtendedKeyManager current, X509ExtendedKeyManager previous) {}

    private volatile Delegates delegates;

    synchronized void swap(X509ExtendedKeyManager next) {
      Delegates now = delegates;
      delegates = new Delegates(next, now == null ? next : now.current());
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      return delegates.current().chooseEngineServerAlias(keyType, issuers, engine);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return delegates.current().chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return delegates.current().getServerAliases(keyType, issuers);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      Delegates d = delegates;
      X509Certificate[] chain = d.current().getCertificateChain(alias);
      return chain != null ? chain : d.previous().getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      Delegates d = delegates;
      PrivateKey key = d.current().getPrivateKey(alias);
      return key != null ? key : d.previous().getPrivateKey(alias);
    }

    // A server presents no client certificate.
    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return null;
    }
  }

  /** A key manager factory that hands out one key manager, for Netty's caching factory to wrap. */
  private static final class FixedKeyManagerFactory extends KeyManagerFactory {
    FixedKeyManagerFactory(KeyManager keyManager) {
      super(new KeyManagerFactorySpi() {
        @Override
        protected void engineInit(KeyStore keyStore, char[] password) {
          // Nothing to load: the key manager is given.
        }

        @Override
        protected void engineInit(ManagerFactoryParameters parameters) {
          // Nothing to load: the key manager is given.
        }

        @Override
        protected KeyManager[] engineGetKeyManagers() {
          return new KeyManager[] {keyManager};
        }
      }, null, "fixed");
    }
  }

  /** Verifies client certificates against the client CAs last applied. */
  private static final class SwappableTrustManager extends X509ExtendedTrustManager {

    private volatile X509ExtendedTrustManager delegate;

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      delegate.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      delegate.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      delegate.checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return delegate.getAcceptedIssuers();
    }

    // A server checks no server certificates.
    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      throw new CertificateException("a server-side trust manager");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      throw new CertificateException("a server-side trust manager");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("a server-side trust manager");
    }
  }
}
