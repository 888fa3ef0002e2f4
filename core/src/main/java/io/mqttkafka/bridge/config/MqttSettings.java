package io.mqttkafka.bridge.config;

import static io.mqttkafka.bridge.config.ConfigValue.at;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * The {@code mqtt} section: the MQTT limits every listener shares, and the listeners. {@code port} is the
 * plain TCP listener's, open when {@code plainEnabled}. {@code clientIdPattern} must match the whole
 * client id; {@code topicAliasMaximum}: the MQTT 5 Topic Aliases a client may set per connection (0: none);
 * {@code instances} 0 = one per CPU core (per listener). The certificate files themselves are
 * read (and their PEM checked) when the bridge starts, by {@code tls.TlsMaterial}.
 */
public record MqttSettings(String host, int port, int maxMessageSize, Duration connectTimeout, int maxClientIdLength,
                           Pattern clientIdPattern, int receiveMaximum, int topicAliasMaximum, int instances,
                           boolean plainEnabled, Tls tls, WebSocket websocket, Limits limits) {

  /** The WebSocket path vert.x-mqtt 5.0.8 hard-codes (MqttServerImpl.initChannel). */
  static final String WEBSOCKET_PATH = "/mqtt";
  /** The largest packet MQTT can express: the limit of its four-byte remaining length. */
  private static final int MAX_PACKET_SIZE = 268_435_455;
  /** An MQTT fixed header: one byte of packet type and flags, up to four of remaining length. */
  private static final int FIXED_HEADER_MAX = 5;

  /** True when a listener serves the certificate of {@link #tls}: the TLS or the secure WebSocket one. */
  public boolean tlsNeeded() {
    return tls.enabled() || websocket.tlsEnabled();
  }

  /**
   * The TLS listener ({@code enabled}, {@code port}) and the server certificate it shares with the
   * secure WebSocket listener. PEM files, present whenever {@link #tlsNeeded()}; {@code caFile} holds
   * the CAs that sign client certificates and is present exactly when {@code clientAuth} is not NONE.
   * Empty {@code ciphers}: the TLS engine's defaults. The files are checked for changes every
   * {@code reloadInterval}. {@code engine}: which TLS implementation serves the handshakes.
   * {@code ticketKeysFile}: the session ticket keys every instance shares (OpenSSL engine), else each
   * instance's own.
   */
  public record Tls(boolean enabled, int port, Optional<Path> certFile, Optional<Path> keyFile, Optional<Path> caFile,
                    ClientAuth clientAuth, List<String> protocols, List<String> ciphers, Duration reloadInterval,
                    TlsEngine engine, Optional<Path> ticketKeysFile) {
    public Tls {
      protocols = List.copyOf(protocols);
      ciphers = List.copyOf(ciphers);
    }
  }

  /** Whether a TLS listener asks for a client certificate, and whether it must come. */
  public enum ClientAuth { NONE, REQUEST, REQUIRED }

  /**
   * The TLS implementation: {@code AUTO} is OpenSSL (BoringSSL, through netty-tcnative) where its
   * native library loads on this platform, else the JDK's; {@code OPENSSL} and {@code JDK} force one.
   */
  public enum TlsEngine { AUTO, OPENSSL, JDK }

  /**
   * MQTT over WebSocket: {@code enabled}/{@code port} open ws://, {@code tlsEnabled}/{@code tlsPort} open
   * wss:// with the certificate of mqtt.tls. {@code path} is /mqtt (the only one vert.x-mqtt 5.0.8 serves);
   * {@code maxFrameSize} holds at least the largest packet mqtt.maxMessageSize allows.
   */
  public record WebSocket(boolean enabled, int port, String path, int maxFrameSize, boolean tlsEnabled,
                          int tlsPort) {}

  /**
   * Protection of an instance against too many or too eager devices (mqtt.limits; README "Limits").
   * {@code maxConnections} 0 = unlimited. Rates are per second, 0 = unlimited; a burst is how many may
   * come at once (0 = one second's worth). Topic limits apply to PUBLISH topics and SUBSCRIBE filters;
   * length in UTF-8 bytes. Keep-alive bounds in whole seconds, 0 = no bound. {@code maxReadPause}: the
   * longest a connection's reading is paused for backpressure at a time. {@code maxPendingHandshakes}:
   * TLS handshakes under way on one listener at most; beyond, the listener stops accepting until one
   * ends (0 = no limit).
   */
  public record Limits(int maxConnections, int connectRate, int connectBurst, int maxTopicLength, int maxTopicLevels,
                       int publishRate, int publishBurst, int minKeepAliveSeconds, int maxKeepAliveSeconds,
                       Duration maxReadPause, int maxPendingHandshakes) {
    /** The connect burst, 0 resolved to one second's worth. */
    public int effectiveConnectBurst() {
      return connectBurst == 0 ? connectRate : connectBurst;
    }

    /** The publish burst, 0 resolved to one second's worth. */
    public int effectivePublishBurst() {
      return publishBurst == 0 ? publishRate : publishBurst;
    }
  }

  /** Reads and validates {@code mqtt.*} from a tree that holds every key of the defaults. */
  static MqttSettings parse(JsonNode t) throws ConfigException {
    int maxMessageSize = at(t, "mqtt.maxMessageSize").integer(1, MAX_PACKET_SIZE);
    WebSocket websocket = webSocket(t, maxMessageSize);
    MqttSettings mqtt = new MqttSettings(at(t, "mqtt.host").nonBlank(), at(t, "mqtt.port").integer(0, 65535),
        maxMessageSize, at(t, "mqtt.connectTimeout").duration(),
        at(t, "mqtt.maxClientIdLength").integer(23, 65535), at(t, "mqtt.clientIdPattern").regex(),
        at(t, "mqtt.receiveMaximum").integer(1, 65535), at(t, "mqtt.topicAliasMaximum").integer(0, 65535),
        at(t, "mqtt.instances").integer(0, Integer.MAX_VALUE),
        at(t, "mqtt.plain.enabled").bool(), tls(t, websocket.tlsEnabled()), websocket, limits(t));
    checkListeners(t, mqtt);
    return mqtt;
  }

  private static Limits limits(JsonNode t) throws ConfigException {
    int maxKeepAlive = keepAliveSeconds(at(t, "mqtt.limits.maxKeepAlive"));
    ConfigValue min = at(t, "mqtt.limits.minKeepAlive");
    int minKeepAlive = keepAliveSeconds(min);
    if (maxKeepAlive > 0 && minKeepAlive > maxKeepAlive) {
      throw min.fail("must not be greater than mqtt.limits.maxKeepAlive (" + maxKeepAlive + "s)");
    }
    return new Limits(at(t, "mqtt.limits.maxConnections").integer(0, Integer.MAX_VALUE),
        at(t, "mqtt.limits.connectRate").integer(0, 1_000_000),
        at(t, "mqtt.limits.connectBurst").integer(0, 1_000_000),
        // The MQTT limit: a topic is a UTF-8 string of at most 65,535 bytes [MQTT-1.5.3].
        at(t, "mqtt.limits.maxTopicLength").integer(1, 65_535),
        at(t, "mqtt.limits.maxTopicLevels").integer(1, 65_535),
        at(t, "mqtt.limits.publishRate").integer(0, 1_000_000),
        at(t, "mqtt.limits.publishBurst").integer(0, 1_000_000),
        minKeepAlive, maxKeepAlive, at(t, "mqtt.limits.maxReadPause").duration(),
        at(t, "mqtt.limits.maxPendingHandshakes").integer(0, 1_000_000));
  }

  /** A keep-alive bound: whole seconds, 0 to 65,535 (the two bytes of CONNECT and Server Keep Alive). */
  private static int keepAliveSeconds(ConfigValue v) throws ConfigException {
    Duration d = v.nonNegativeDuration();
    if (d.toMillis() % 1000 != 0 || d.getSeconds() > 65_535) {
      throw v.wrong("must be whole seconds between 0s and 65535s");
    }
    return (int) d.getSeconds();
  }

  /**
   * @param secureWebSocket whether the secure WebSocket listener, which serves this certificate too,
   *                        is enabled
   */
  private static Tls tls(JsonNode t, boolean secureWebSocket) throws ConfigException {
    boolean enabled = at(t, "mqtt.tls.enabled").bool();
    int port = at(t, "mqtt.tls.port").integer(0, 65535);
    ClientAuth clientAuth = clientAuth(at(t, "mqtt.tls.clientAuth"));
    ConfigValue cert = at(t, "mqtt.tls.certFile");
    ConfigValue key = at(t, "mqtt.tls.keyFile");
    ConfigValue ca = at(t, "mqtt.tls.caFile");
    Optional<Path> certFile = optionalPath(cert);
    Optional<Path> keyFile = optionalPath(key);
    Optional<Path> caFile = optionalPath(ca);
    ConfigValue protocolList = at(t, "mqtt.tls.protocols");
    ConfigValue cipherList = at(t, "mqtt.tls.ciphers");
    List<String> protocols = protocolList.nonBlankList();
    List<String> ciphers = cipherList.nonBlankList();
    boolean needed = enabled || secureWebSocket;
    if (needed) {
      String when = " when " + (enabled ? "mqtt.tls.enabled" : "mqtt.websocket.tls.enabled") + " is true";
      if (certFile.isEmpty()) {
        throw cert.fail("is required" + when + " (the server's certificate chain, PEM)");
      }
      if (keyFile.isEmpty()) {
        throw key.fail("is required" + when + " (the private key of mqtt.tls.certFile, PEM)");
      }
      if (clientAuth != ClientAuth.NONE && caFile.isEmpty()) {
        throw ca.fail("is required when mqtt.tls.clientAuth is " + name(clientAuth)
            + " (the certificates, PEM, of the CAs that sign client certificates)");
      }
      if (clientAuth == ClientAuth.NONE && caFile.isPresent()) {
        throw ca.fail("only verifies client certificates, which mqtt.tls.clientAuth none does not ask for:"
            + " set clientAuth to request or required, or leave caFile empty");
      }
      checkSupported(protocolList, protocols, cipherList, ciphers);
    }
    return new Tls(enabled, port, certFile, keyFile, caFile, clientAuth, protocols, ciphers,
        at(t, "mqtt.tls.reloadInterval").duration(), engine(at(t, "mqtt.tls.engine")),
        optionalPath(at(t, "mqtt.tls.ticketKeysFile")));
  }

  private static WebSocket webSocket(JsonNode t, int maxMessageSize) throws ConfigException {
    ConfigValue path = at(t, "mqtt.websocket.path");
    if (!path.string().equals(WEBSOCKET_PATH)) {
      throw path.wrong("must be " + WEBSOCKET_PATH + ": vert.x-mqtt 5.0.8, which serves the WebSocket listeners,"
          + " accepts the WebSocket handshake on " + WEBSOCKET_PATH + " only");
    }
    // A client may put a whole packet into one frame, so a frame must hold the largest packet.
    int smallest = maxMessageSize + FIXED_HEADER_MAX;
    ConfigValue frame = at(t, "mqtt.websocket.maxFrameSize");
    int maxFrameSize = frame.integer(0, Integer.MAX_VALUE);
    if (maxFrameSize == 0) {
      maxFrameSize = smallest;
    } else if (maxFrameSize < smallest) {
      throw frame.wrong("must be 0 (the largest packet, mqtt.maxMessageSize + 5) or at least " + smallest
          + ", so that every packet mqtt.maxMessageSize allows fits into one frame");
    }
    return new WebSocket(at(t, "mqtt.websocket.enabled").bool(), at(t, "mqtt.websocket.port").integer(0, 65535),
        WEBSOCKET_PATH, maxFrameSize, at(t, "mqtt.websocket.tls.enabled").bool(),
        at(t, "mqtt.websocket.tls.port").integer(0, 65535));
  }

  /** At least one listener, and no two enabled ones on the same port (0, a free port, excepted). */
  private static void checkListeners(JsonNode t, MqttSettings mqtt) throws ConfigException {
    WebSocket ws = mqtt.websocket();
    if (!mqtt.plainEnabled() && !mqtt.tls().enabled() && !ws.enabled() && !ws.tlsEnabled()) {
      throw new ConfigException("mqtt", "no listener is enabled: set one of mqtt.plain.enabled, mqtt.tls.enabled,"
          + " mqtt.websocket.enabled, mqtt.websocket.tls.enabled to true");
    }
    Map<Integer, String> taken = new HashMap<>();
    claim(t, taken, "mqtt.port", mqtt.plainEnabled(), mqtt.port());
    claim(t, taken, "mqtt.tls.port", mqtt.tls().enabled(), mqtt.tls().port());
    claim(t, taken, "mqtt.websocket.port", ws.enabled(), ws.port());
    claim(t, taken, "mqtt.websocket.tls.port", ws.tlsEnabled(), ws.tlsPort());
  }

  private static void claim(JsonNode t, Map<Integer, String> taken, String key, boolean enabled, int port)
      throws ConfigException {
    if (!enabled || port == 0) {
      return;
    }
    String other = taken.putIfAbsent(port, key);
    if (other != null) {
      throw at(t, key).fail("is " + port + ", the port of " + other + " already (each listener needs its own)");
    }
  }

  private static ClientAuth clientAuth(ConfigValue v) throws ConfigException {
    try {
      return ClientAuth.valueOf(v.string().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw v.wrong("must be one of none, request, required");
    }
  }

  private static TlsEngine engine(ConfigValue v) throws ConfigException {
    try {
      return TlsEngine.valueOf(v.string().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw v.wrong("must be one of auto, openssl, jdk");
    }
  }

  private static String name(ClientAuth clientAuth) {
    return clientAuth.name().toLowerCase(Locale.ROOT);
  }

  private static Optional<Path> optionalPath(ConfigValue v) throws ConfigException {
    return v.string().isBlank() ? Optional.empty() : Optional.of(v.path());
  }

  /** Only checked when TLS is used: it initialises the JVM's default SSLContext. */
  private static void checkSupported(ConfigValue protocolList, List<String> protocols, ConfigValue cipherList,
                                     List<String> ciphers) throws ConfigException {
    SSLParameters supported;
    try {
      supported = SSLContext.getDefault().getSupportedSSLParameters();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no default TLS implementation", e);
    }
    if (protocols.isEmpty()) {
      throw protocolList.fail("must name at least one protocol, such as [TLSv1.3, TLSv1.2]");
    }
    List<String> tlsVersions = Arrays.stream(supported.getProtocols()).filter(p -> p.startsWith("TLS")).toList();
    List<ConfigValue> protocolValues = protocolList.items();
    for (int i = 0; i < protocols.size(); i++) {
      if (!tlsVersions.contains(protocols.get(i))) {
        throw protocolValues.get(i).wrong("must be one of " + String.join(", ", tlsVersions));
      }
    }
    List<String> suites = Arrays.asList(supported.getCipherSuites());
    List<ConfigValue> cipherValues = cipherList.items();
    for (int i = 0; i < ciphers.size(); i++) {
      if (!suites.contains(ciphers.get(i))) {
        throw cipherValues.get(i).wrong("must be a cipher suite this JVM supports (an IANA name such as"
            + " TLS_AES_128_GCM_SHA256 or TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)");
      }
    }
  }
}
