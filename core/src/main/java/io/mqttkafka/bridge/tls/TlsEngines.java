package io.mqttkafka.bridge.tls;

import io.mqttkafka.bridge.config.ConfigException;
import io.mqttkafka.bridge.config.MqttSettings;
import io.mqttkafka.bridge.config.MqttSettings.TlsEngine;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslServerSessionContext;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.SslContext;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.SSLEngineOptions;
import io.vertx.core.spi.tls.SslContextFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * Which TLS implementation serves the listeners' handshakes ({@code mqtt.tls.engine}): OpenSSL
 * (BoringSSL, through netty-tcnative, whose native library the jar carries for Linux x86-64 and
 * AArch64, macOS and Windows) or the JDK's own. {@code auto} takes OpenSSL where its library loads
 * and supports every configured cipher suite, else the JDK's; each can be forced.
 *
 * <p>A device that connects again resumes its TLS session (TLS 1.3 and 1.2) instead of a full
 * handshake, with either engine. Netty's OpenSSL contexts keep resumable sessions in a server-side
 * cache of at most 20,480 sessions, for clients that do not ask for tickets; here they also issue
 * session tickets (BoringSSL makes and rotates their key itself, or {@link TicketKeys} shared by every
 * instance), which need no server-side state per device and are valid for 24 hours: what the JDK's
 * engine does by default.
 */
public final class TlsEngines {

  /** How long a session may be resumed: the JDK engine's default (javax.net.ssl.SSLSessionContext). */
  static final int SESSION_TIMEOUT_SECONDS = 86_400;
  /** What a session is valid for: this bridge's TLS listeners, on any instance. */
  private static final byte[] SESSION_ID_CONTEXT = "mqtt-kafka-bridge".getBytes(StandardCharsets.US_ASCII);

  /** The engine chosen, and a line for the start-up log that says which and why. */
  public record Choice(TlsEngine engine, String description) {

    /**
     * Vert.x's engine options for this choice; each listener needs its own copy ({@code copy()}).
     *
     * @param tickets the OpenSSL engine's ticket keys (ignored by the JDK's, which makes its own)
     */
    SSLEngineOptions options(TicketKeys tickets) {
      return engine == TlsEngine.OPENSSL ? new TicketingOpenSsl(tickets) : new JdkSSLEngineOptions();
    }
  }

  private TlsEngines() {
  }

  /**
   * Resolves {@code auto} for this platform and the configured cipher suites.
   *
   * @throws ConfigException when {@code openssl} is forced where it is not available, or does not
   *     support a configured cipher suite
   */
  public static Choice choose(MqttSettings.Tls config) throws ConfigException {
    if (config.engine() == TlsEngine.JDK) {
      return jdk("mqtt.tls.engine is jdk");
    }
    String unavailable = openSslUnavailable(config.ciphers());
    if (unavailable == null) {
      return new Choice(TlsEngine.OPENSSL, "OpenSSL (" + OpenSsl.versionString() + ", netty-tcnative)"
          + (config.engine() == TlsEngine.AUTO ? "; the JDK's engine is the fallback (mqtt.tls.engine)" : ""));
    }
    if (config.engine() == TlsEngine.OPENSSL) {
      throw new ConfigException("mqtt.tls.engine", "is openssl, but " + unavailable);
    }
    return jdk(unavailable);
  }

  private static Choice jdk(String why) {
    return new Choice(TlsEngine.JDK, "JDK (" + why + ")");
  }

  /** Why OpenSSL cannot serve these cipher suites here; null when it can. */
  private static String openSslUnavailable(List<String> ciphers) {
    if (!OpenSSLEngineOptions.isAvailable()) {
      Throwable cause = OpenSsl.unavailabilityCause();
      return "OpenSSL is not available on this platform (" + (cause == null ? "unknown" : cause.toString()) + ")";
    }
    List<String> unsupported = ciphers.stream().filter(c -> !OpenSsl.isCipherSuiteAvailable(c)).toList();
    return unsupported.isEmpty() ? null
        : "OpenSSL does not support the cipher suites " + String.join(", ", unsupported) + " of mqtt.tls.ciphers";
  }

  /** Vert.x's OpenSSL engine, its server contexts with session tickets valid for 24 hours. */
  private static final class TicketingOpenSsl extends OpenSSLEngineOptions {
    private final TicketKeys tickets;

    TicketingOpenSsl(TicketKeys tickets) {
      this.tickets = tickets;
    }

    TicketingOpenSsl(TicketingOpenSsl other) {
      super(other);
      this.tickets = other.tickets;
    }

    @Override
    public OpenSSLEngineOptions copy() {
      return new TicketingOpenSsl(this);
    }

    @Override
    public JsonObject toJson() {
      return super.toJson().put("sessionTickets", true).put("sharedTicketKeys", tickets.shared());
    }

    @Override
    public SslContextFactory sslContextFactory() {
      return new WithTickets(super.sslContextFactory(), tickets);
    }
  }

  /** Makes the context as vert.x's factory does, then turns session tickets on for a server context. */
  private static final class WithTickets implements SslContextFactory {
    /** vert.x's factory; each setter returns the factory to go on with, as a builder does. */
    private SslContextFactory delegate;
    private final TicketKeys tickets;

    WithTickets(SslContextFactory delegate, TicketKeys tickets) {
      this.delegate = delegate;
      this.tickets = tickets;
    }

    @Override
    public SslContextFactory useAlpn(boolean useAlpn) {
      delegate = delegate.useAlpn(useAlpn);
      return this;
    }

    @Override
    public SslContextFactory clientAuth(ClientAuth clientAuth) {
      delegate = delegate.clientAuth(clientAuth);
      return this;
    }

    @Override
    public SslContextFactory forClient(boolean forClient) {
      delegate = delegate.forClient(forClient);
      return this;
    }

    @Override
    public SslContextFactory keyMananagerFactory(KeyManagerFactory kmf) {
      delegate = delegate.keyMananagerFactory(kmf);
      return this;
    }

    @Override
    public SslContextFactory trustManagerFactory(TrustManagerFactory tmf) {
      delegate = delegate.trustManagerFactory(tmf);
      return this;
    }

    @Override
    public SslContextFactory enabledCipherSuites(Set<String> enabledCipherSuites) {
      delegate = delegate.enabledCipherSuites(enabledCipherSuites);
      return this;
    }

    @Override
    public SslContextFactory applicationProtocols(List<String> applicationProtocols) {
      delegate = delegate.applicationProtocols(applicationProtocols);
      return this;
    }

    @Override
    public SslContextFactory serverName(String serverName) {
      delegate = delegate.serverName(serverName);
      return this;
    }

    @Override
    public SslContext create() throws SSLException {
      SslContext context = delegate.create();
      if (context.isServer() && context.sessionContext() instanceof OpenSslSessionContext sessions) {
        if (sessions instanceof OpenSslServerSessionContext server) {
          // The same on every instance: else BoringSSL, with the key manager our certificate reload
          // needs, takes a session another instance made (its ticket opened with shared keys) for
          // someone else's and does a full handshake.
          server.setSessionIdContext(SESSION_ID_CONTEXT);
        }
        tickets.register(sessions);
        sessions.setSessionTimeout(SESSION_TIMEOUT_SECONDS);
      }
      return context;
    }
  }
}
