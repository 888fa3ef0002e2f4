package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.config.MqttSettings;
import io.mqttkafka.bridge.tls.ServerTls;
import io.vertx.mqtt.MqttServerOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * One MQTT listener: a transport on a port, served by its own set of {@link MqttBridgeVerticle}s
 * (vert.x-mqtt serves one transport per server). All listeners share the MQTT limits and the
 * CONNECT and session handling.
 *
 * @param port the configured port; 0 = a free port, which the listener's verticles share
 */
public record Listener(Transport transport, int port) {

  /** How a listener carries MQTT. */
  public enum Transport {
    PLAIN("MQTT", "mqtt.port"),
    TLS("MQTT over TLS", "mqtt.tls.port"),
    WEBSOCKET("MQTT over WebSocket", "mqtt.websocket.port"),
    WEBSOCKET_TLS("MQTT over secure WebSocket", "mqtt.websocket.tls.port");

    private final String title;
    private final String portKey;

    Transport(String title, String portKey) {
      this.title = title;
      this.portKey = portKey;
    }

    /** For the start-up log: "MQTT over TLS". */
    public String title() {
      return title;
    }

    /** The config key of this transport's port. */
    public String portKey() {
      return portKey;
    }

    public boolean tls() {
      return this == TLS || this == WEBSOCKET_TLS;
    }

    public boolean webSocket() {
      return this == WEBSOCKET || this == WEBSOCKET_TLS;
    }
  }

  /** The enabled listeners, in the order of {@link Transport}. */
  public static List<Listener> enabled(MqttSettings mqtt) {
    List<Listener> listeners = new ArrayList<>();
    if (mqtt.plainEnabled()) {
      listeners.add(new Listener(Transport.PLAIN, mqtt.port()));
    }
    if (mqtt.tls().enabled()) {
      listeners.add(new Listener(Transport.TLS, mqtt.tls().port()));
    }
    if (mqtt.websocket().enabled()) {
      listeners.add(new Listener(Transport.WEBSOCKET, mqtt.websocket().port()));
    }
    if (mqtt.websocket().tlsEnabled()) {
      listeners.add(new Listener(Transport.WEBSOCKET_TLS, mqtt.websocket().tlsPort()));
    }
    return listeners;
  }

  /**
   * The server options of this listener; each verticle needs its own copy
   * ({@code new MqttServerOptions(options)}).
   *
   * @param tls the certificates; required for the TLS transports, unused otherwise
   */
  public MqttServerOptions options(MqttSettings mqtt, ServerTls tls) {
    MqttServerOptions options = new MqttServerOptions()
        .setHost(mqtt.host())
        .setPort(bindPort())
        .setMaxMessageSize(mqtt.maxMessageSize())
        .setAutoClientId(false)
        .setMaxClientIdLength(mqtt.maxClientIdLength())
        .setTimeoutOnConnect((int) Math.max(1, Math.ceil(mqtt.connectTimeout().toMillis() / 1000.0)));
    options.setTcpNoDelay(true);
    // A client with keep-alive 0 that vanishes (power loss, NAT timeout) leaves a half-open connection
    // no MQTT timer notices when mqtt.limits.maxKeepAlive is 0; TCP keep-alive probes end it eventually
    // (after the kernel's net.ipv4.tcp_keepalive_time, 2 h by default).
    options.setTcpKeepAlive(true);
    if (transport.webSocket()) {
      // The "mqtt" subprotocol and the /mqtt path are vert.x-mqtt's; both WebSocket compressions stay
      // on (vert.x-mqtt 5.0.8 fails to build the pipeline with both off). A frame must hold the
      // largest packet: the default 64 KiB would close connections that send bigger ones.
      options.setUseWebSocket(true);
      options.setWebSocketMaxFrameSize(mqtt.websocket().maxFrameSize());
    }
    if (transport.tls()) {
      tls.configure(options);
    }
    return options;
  }

  /**
   * Port 0: a negative port makes vert.x bind one free port and share it between the verticles of this
   * listener; a different negative number per transport keeps the listeners apart.
   */
  private int bindPort() {
    return port == 0 ? -(transport.ordinal() + 1) : port;
  }
}
