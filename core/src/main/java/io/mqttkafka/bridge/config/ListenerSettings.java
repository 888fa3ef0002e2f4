package io.mqttkafka.bridge.config;

import static io.mqttkafka.bridge.config.BridgeConfig.at;

import com.fasterxml.jackson.databind.JsonNode;
import io.mqttkafka.bridge.config.BridgeConfig.ClientAuth;
import io.mqttkafka.bridge.config.BridgeConfig.Mqtt;
import io.mqttkafka.bridge.config.BridgeConfig.Tls;
import io.mqttkafka.bridge.config.BridgeConfig.WebSocket;
import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * Validation of the MQTT listeners: {@code mqtt.plain}, {@code mqtt.tls} and {@code mqtt.websocket}.
 * Part of {@link BridgeConfig}'s validation, kept apart for size. The certificate files themselves
 * are read (and their PEM checked) when the bridge starts, by {@code tls.TlsMaterial}.
 */
final class ListenerSettings {

  /** The WebSocket path vert.x-mqtt 5.0.8 hard-codes (MqttServerImpl.initChannel). */
  static final String WEBSOCKET_PATH = "/mqtt";
  /** An MQTT fixed header: one byte of packet type and flags, up to four of remaining length. */
  private static final int FIXED_HEADER_MAX = 5;

  private ListenerSettings() {
  }

  /**
   * @param secureWebSocket whether the secure WebSocket listener, which serves this certificate too,
   *                        is enabled
   */
  static Tls tls(JsonNode t, boolean secureWebSocket) throws ConfigException {
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
    List<String> protocols = names(protocolList);
    List<String> ciphers = names(cipherList);
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
        at(t, "mqtt.tls.reloadInterval").duration());
  }

  static WebSocket webSocket(JsonNode t, int maxMessageSize) throws ConfigException {
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
  static void checkListeners(JsonNode t, Mqtt mqtt) throws ConfigException {
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

  private static String name(ClientAuth clientAuth) {
    return clientAuth.name().toLowerCase(Locale.ROOT);
  }

  private static Optional<Path> optionalPath(ConfigValue v) throws ConfigException {
    return v.string().isBlank() ? Optional.empty() : Optional.of(v.path());
  }

  private static List<String> names(ConfigValue list) throws ConfigException {
    List<String> names = new ArrayList<>();
    for (ConfigValue v : list.items()) {
      names.add(v.nonBlank());
    }
    return names;
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
