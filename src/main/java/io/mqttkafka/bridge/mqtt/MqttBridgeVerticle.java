package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.auth.ConnectInfo;
import io.mqttkafka.bridge.auth.Identity;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.mqtt.ReasonCodes.Refusal;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.MqttServer;
import io.vertx.mqtt.MqttServerOptions;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one {@link Listener} (one instance per event loop; the instances share the listener's port):
 * accepts or refuses CONNECT and hands each accepted connection to a {@link DeviceSession}, whatever
 * the transport.
 */
public final class MqttBridgeVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(MqttBridgeVerticle.class);
  private static final int MQTT_3_1_1 = 4;
  private static final int MQTT_5 = 5;

  private final BridgeConfig.Mqtt config;
  private final MqttServerOptions options;
  private final SessionServices services;
  private final SessionRegistry registry;
  private final BridgeMetrics metrics;
  private final BooleanSupplier draining;
  private MqttServer server;

  /**
   * @param options  this instance's own server options ({@link Listener#options})
   * @param draining true once the bridge is shutting down: new connections are refused
   */
  public MqttBridgeVerticle(MqttServerOptions options, SessionServices services, BooleanSupplier draining) {
    this.config = services.mqtt();
    this.options = options;
    this.services = services;
    this.registry = services.registry();
    this.metrics = services.metrics();
    this.draining = draining;
  }

  /** The port this listener is bound to. */
  public int actualPort() {
    return server.actualPort();
  }

  @Override
  public Future<?> start() {
    server = MqttServer.create(vertx, options);
    ConnectionGuard.install(server, metrics);
    return server.endpointHandler(this::onConnect).listen();
  }

  @Override
  public Future<?> stop() {
    return server.close();
  }

  private void onConnect(MqttEndpoint endpoint) {
    int version = endpoint.protocolVersion();
    String clientId = endpoint.clientIdentifier();
    if (version != MQTT_3_1_1 && version != MQTT_5) {
      // MQTT 3.1 (level 3) is not supported [MQTT-3.1.2-2].
      refuse(endpoint, MqttConnectReturnCode.CONNECTION_REFUSED_UNACCEPTABLE_PROTOCOL_VERSION, "protocol_version");
      return;
    }
    if (draining.getAsBoolean()) {
      refuse(endpoint, ReasonCodes.connack(Refusal.SERVER_UNAVAILABLE, version), Refusal.SERVER_UNAVAILABLE.metricTag());
      return;
    }
    if (clientId == null || clientId.isEmpty() || clientId.length() > config.maxClientIdLength()
        || !config.clientIdPattern().matcher(clientId).matches()) {
      // [MQTT-3.1.3-9] a client id the server does not accept; the bridge assigns none, as the
      // client id is the device's identity and the key of its Kafka records.
      refuse(endpoint, ReasonCodes.connack(Refusal.CLIENT_ID_INVALID, version), Refusal.CLIENT_ID_INVALID.metricTag());
      return;
    }
    authenticateThenAccept(endpoint, version);
  }

  /**
   * The authentication hook (package auth): CONNACK waits for the authenticator, which may answer
   * later (hash checks on a worker, refusals after auth.failureDelay). vert.x 5.0.8 closes the socket
   * if the client sends any packet before CONNACK, and the client may simply go away meanwhile.
   */
  private void authenticateThenAccept(MqttEndpoint endpoint, int version) {
    boolean[] closed = {false};
    endpoint.closeHandler(v -> closed[0] = true); // DeviceSession.start() installs its own on accept
    services.authenticator().authenticate(ConnectInfo.of(endpoint)).onComplete(outcome -> {
      if (closed[0]) {
        LOG.debug("[client-id: {}] connection closed during authentication", endpoint.clientIdentifier());
      } else if (outcome.failed()) {
        Refusal refusal = ReasonCodes.refusal(outcome.cause());
        refuse(endpoint, ReasonCodes.connack(refusal, version), refusal.metricTag());
      } else if (draining.getAsBoolean()) {
        refuse(endpoint, ReasonCodes.connack(Refusal.SERVER_UNAVAILABLE, version), Refusal.SERVER_UNAVAILABLE.metricTag());
      } else {
        accept(endpoint, version, outcome.result());
      }
    });
  }

  private void accept(MqttEndpoint endpoint, int version, Identity identity) {
    String clientId = identity.clientId();
    DeviceSession session = new DeviceSession(endpoint, vertx, services, identity.username());
    session.start();
    DeviceSession previous = registry.register(session);
    if (previous != null) {
      LOG.debug("[client-id: {}] new connection takes over the previous one", clientId);
      previous.takeOver();
    }
    metrics.connectionOpened();
    endpoint.accept(false, connackProperties(version));
    LOG.debug("[client-id: {}] connected (MQTT {}, keep-alive {} s)", clientId, version == MQTT_5 ? "5" : "3.1.1",
        endpoint.keepAliveTimeSeconds());
  }

  private MqttProperties connackProperties(int version) {
    if (version != MQTT_5) {
      return MqttProperties.NO_PROPERTIES;
    }
    MqttProperties properties = new MqttProperties();
    properties.add(new MqttProperties.IntegerProperty(
        MqttProperties.RECEIVE_MAXIMUM, config.receiveMaximum()));
    properties.add(new MqttProperties.IntegerProperty(
        MqttProperties.MAXIMUM_PACKET_SIZE, config.maxMessageSize()));
    properties.add(new MqttProperties.IntegerProperty(
        MqttProperties.TOPIC_ALIAS_MAXIMUM, 0));
    // The bridge keeps no session state between connections.
    properties.add(new MqttProperties.IntegerProperty(
        MqttProperties.SESSION_EXPIRY_INTERVAL, 0));
    properties.add(new MqttProperties.IntegerProperty(
        MqttProperties.SHARED_SUBSCRIPTION_AVAILABLE, 0));
    properties.add(new MqttProperties.IntegerProperty(
        MqttProperties.SUBSCRIPTION_IDENTIFIER_AVAILABLE, 0));
    return properties;
  }

  private void refuse(MqttEndpoint endpoint, MqttConnectReturnCode code, String reason) {
    metrics.connectionRefused(reason);
    LOG.debug("[client-id: {}] CONNECT refused: {} ({})", endpoint.clientIdentifier(), reason, code);
    endpoint.reject(code);
  }
}
