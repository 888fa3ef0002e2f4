package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.vertx.EndpointChannel;
import io.mqttkafka.bridge.vertx.HandshakeGate;
import io.mqttkafka.bridge.vertx.ServerConnections;
import io.mqttkafka.bridge.auth.ConnectInfo;
import io.mqttkafka.bridge.auth.Identity;
import io.mqttkafka.bridge.config.MqttSettings;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.metrics.MetricTags.KeepAliveBound;
import io.mqttkafka.bridge.metrics.MetricTags.Limit;
import io.mqttkafka.bridge.mqtt.ReasonCodes.Refusal;
import io.mqttkafka.bridge.records.PresenceRecord;
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

  private final MqttServerOptions options;
  private final SessionServices services;
  private final SessionRegistry registry;
  private final BridgeMetrics metrics;
  private final BooleanSupplier draining;
  private final ConnectionLimits connectionLimits;
  private MqttServer server;
  private ReadPauses pauses;

  /**
   * @param options  this instance's own server options ({@link Listener#options})
   * @param draining true once the bridge is shutting down: new connections are refused
   * @param connectionLimits the connection count and CONNECT rate, shared by all verticles of the instance
   */
  public MqttBridgeVerticle(MqttServerOptions options, SessionServices services, BooleanSupplier draining,
                            ConnectionLimits connectionLimits) {
    this.options = options;
    this.services = services;
    this.registry = services.registry();
    this.metrics = services.metrics();
    this.draining = draining;
    this.connectionLimits = connectionLimits;
  }

  /** The port this listener is bound to. */
  public int actualPort() {
    return server.actualPort();
  }

  @Override
  public Future<?> start() {
    pauses = new ReadPauses(vertx, connectionLimits, services.uplink()::drained,
        () -> services.mqtt().limits().maxReadPause().toNanos());
    server = MqttServer.create(vertx, options);
    ServerConnections.Hook hook = ConnectionGuard.install(server, metrics);
    return server.endpointHandler(this::onConnect).listen().map(listening -> {
      // Hold new connections back while many are between accept and CONNACK (TLS and MQTT handshakes).
      connectionLimits.gate(hook.gateHandshakes(() -> services.mqtt().limits().maxPendingHandshakes()));
      return listening;
    });
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
      refuse(endpoint, version, Refusal.UNSUPPORTED_PROTOCOL_VERSION);
      return;
    }
    if (version == MQTT_5 && endpoint.connectProperties() != null
        && endpoint.connectProperties().getProperty(MqttProperties.AUTHENTICATION_METHOD) != null) {
      // MQTT 5 enhanced authentication (AUTH exchanges) is not supported; 0x8C says so [MQTT-4.12.0-1].
      refuse(endpoint, version, Refusal.BAD_AUTHENTICATION_METHOD);
      return;
    }
    if (draining.getAsBoolean()) {
      refuse(endpoint, version, Refusal.SERVER_UNAVAILABLE);
      return;
    }
    MqttSettings config = services.mqtt();
    if (clientId == null || clientId.isEmpty() || clientId.length() > config.maxClientIdLength()
        || !config.clientIdPattern().matcher(clientId).matches()) {
      // [MQTT-3.1.3-9] a client id the server does not accept; the bridge assigns none, as the
      // client id is the device's identity and the key of its Kafka records.
      refuse(endpoint, version, Refusal.CLIENT_ID_INVALID);
      return;
    }
    // The limits come before authentication, the expensive part of a CONNECT.
    if (!connectionLimits.tryOpen()) {
      refuseByLimit(endpoint, version, Refusal.QUOTA_EXCEEDED, Limit.MAX_CONNECTIONS);
      return;
    }
    if (!connectionLimits.tryConnect()) {
      connectionLimits.release();
      refuseByLimit(endpoint, version, Refusal.CONNECTION_RATE_EXCEEDED, Limit.CONNECT_RATE);
      return;
    }
    authenticateThenAccept(endpoint, version);
  }

  private void refuseByLimit(MqttEndpoint endpoint, int version, Refusal refusal, Limit limit) {
    metrics.limitRejected(limit);
    refuse(endpoint, version, refusal);
  }

  /**
   * The authentication hook (package auth): CONNACK waits for the authenticator, which may answer
   * later (hash checks on a worker, refusals after auth.failureDelay). vert.x 5.0.8 closes the socket
   * if the client sends any packet before CONNACK, and the client may simply go away meanwhile. The
   * connection holds a slot of {@link ConnectionLimits} from here on: released here unless accepted,
   * then by its session when it closes.
   */
  private void authenticateThenAccept(MqttEndpoint endpoint, int version) {
    boolean[] closed = {false};
    endpoint.closeHandler(v -> closed[0] = true); // DeviceSession.start() installs its own on accept
    services.authenticator().authenticate(ConnectInfo.of(endpoint)).onComplete(outcome -> {
      if (closed[0]) {
        connectionLimits.release();
        LOG.debug("[client-id: {}] connection closed during authentication", endpoint.clientIdentifier());
      } else if (outcome.failed()) {
        connectionLimits.release();
        Refusal refusal = ReasonCodes.refusal(outcome.cause());
        refuse(endpoint, version, refusal);
      } else {
        resumeThenAccept(endpoint, version, outcome.result(), closed);
      }
    });
  }

  /**
   * A CONNECT that does not start clean (MQTT 3.1.1 CleanSession 0, MQTT 5 Clean Start 0) resumes the
   * client's session if it has one: CONNACK waits for the router that owns it to say so, and says
   * whether a session is present. No answer in time refuses the CONNECT (server unavailable): the
   * client tries again, rather than lose its session to a wrong "not present".
   */
  private void resumeThenAccept(MqttEndpoint endpoint, int version, Identity identity, boolean[] closed) {
    long expiry = SessionStart.grantedExpiry(endpoint, services.sessions().maxExpirySeconds());
    if (endpoint.isCleanSession()) {
      acceptUnlessDraining(endpoint, version, identity, expiry, null);
      return;
    }
    long asked = System.nanoTime();
    // The router may take seconds (it rebuilds its state after a rebalance): the listener's gate
    // counts the event loops' work, not that wait, so the next device's handshake may go on.
    HandshakeGate.release(EndpointChannel.of(endpoint));
    services.resume().find(identity.clientId()).onComplete((found, failure) -> {
      metrics.sessionResumeTime(System.nanoTime() - asked, found != null);
      if (closed[0]) {
        connectionLimits.release();
        LOG.debug("[client-id: {}] connection closed while its session was asked for", identity.clientId());
      } else if (failure != null) {
        connectionLimits.release();
        LOG.warn("[client-id: {}] CONNECT refused: {}", identity.clientId(), failure.getMessage());
        refuse(endpoint, version, Refusal.SESSION_UNAVAILABLE);
      } else {
        acceptUnlessDraining(endpoint, version, identity, expiry, found);
      }
    });
  }

  private void acceptUnlessDraining(MqttEndpoint endpoint, int version, Identity identity, long expiry,
                                    PresenceRecord resumed) {
    if (draining.getAsBoolean()) {
      connectionLimits.release();
      refuse(endpoint, version, Refusal.SERVER_UNAVAILABLE);
    } else {
      accept(endpoint, version, identity, expiry, resumed);
    }
  }

  private void accept(MqttEndpoint endpoint, int version, Identity identity, long expiry, PresenceRecord resumed) {
    String clientId = identity.clientId();
    // One configuration for what CONNACK promises and what the connection then holds to.
    MqttSettings config = services.mqtt();
    MqttProperties properties = connackProperties(version, config, expiry);
    int keepAlive = enforceKeepAliveBounds(endpoint, version, properties, config.limits());
    DeviceSession session = new DeviceSession(endpoint, vertx, services, pauses,
        new SessionStart(identity.username(), keepAlive, config.receiveMaximum(), expiry, resumed));
    session.start();
    DeviceSession previous = registry.register(session);
    if (previous != null) {
      LOG.debug("[client-id: {}] new connection takes over the previous one", clientId);
      previous.takeOver();
    }
    metrics.connectionOpened();
    EndpointChannel.consolidateFlushes(endpoint);
    endpoint.accept(resumed != null, properties);
    HandshakeGate.release(EndpointChannel.of(endpoint));
    LOG.debug("[client-id: {}] connected (MQTT {}, keep-alive {} s, session expiry {} s{})", clientId,
        version == MQTT_5 ? "5" : "3.1.1", keepAlive, expiry, resumed != null ? ", session resumed" : "");
  }

  /**
   * mqtt.limits.minKeepAlive/maxKeepAlive: a keep-alive of 0 (none) or above the maximum becomes the
   * maximum, one below the minimum the minimum. MQTT 5 is told in CONNACK (Server Keep Alive, which the
   * client must then use [MQTT-3.2.2-21]); MQTT 3.1.1 cannot be told, so the bridge enforces it
   * silently: a 3.1.1 client idle longer than 1.5 times the maximum is disconnected, and one pinging
   * more often than the minimum only gets a longer timeout. Returns the keep-alive in force.
   */
  private int enforceKeepAliveBounds(MqttEndpoint endpoint, int version, MqttProperties properties,
                                     MqttSettings.Limits limits) {
    int requested = endpoint.keepAliveTimeSeconds();
    int max = limits.maxKeepAliveSeconds();
    int min = limits.minKeepAliveSeconds();
    int enforced = requested;
    KeepAliveBound bound = null;
    if (max > 0 && (requested == 0 || requested > max)) {
      enforced = max;
      bound = KeepAliveBound.MAX;
    } else if (requested != 0 && requested < min) {
      enforced = min;
      bound = KeepAliveBound.MIN;
    }
    if (bound == null) {
      return requested;
    }
    // [MQTT-3.1.2-24] the server allows one and a half keep-alive periods, as vert.x does.
    if (!EndpointChannel.setKeepAliveTimeout(endpoint, (int) Math.ceil(enforced * 1.5))) {
      return requested;
    }
    metrics.keepAliveAdjusted(bound);
    if (version == MQTT_5) {
      properties.add(new MqttProperties.IntegerProperty(MqttProperties.SERVER_KEEP_ALIVE, enforced));
    }
    return enforced;
  }

  /** @param expiry the Session Expiry Interval granted, in seconds */
  private static MqttProperties connackProperties(int version, MqttSettings config, long expiry) {
    if (version != MQTT_5) {
      return MqttProperties.NO_PROPERTIES;
    }
    MqttProperties properties = new MqttProperties();
    properties.add(new MqttProperties.IntegerProperty(
        MqttProperties.RECEIVE_MAXIMUM, config.receiveMaximum()));
    properties.add(new MqttProperties.IntegerProperty(
        MqttProperties.MAXIMUM_PACKET_SIZE, config.maxMessageSize()));
    properties.add(new MqttProperties.IntegerProperty(
        MqttProperties.TOPIC_ALIAS_MAXIMUM, config.topicAliasMaximum()));
    // The interval granted, at most sessions.maxExpiry: a client learns that it was capped only from here.
    properties.add(new MqttProperties.IntegerProperty(
        MqttProperties.SESSION_EXPIRY_INTERVAL, (int) expiry));
    properties.add(new MqttProperties.IntegerProperty(
        MqttProperties.SHARED_SUBSCRIPTION_AVAILABLE, 0));
    properties.add(new MqttProperties.IntegerProperty(
        MqttProperties.SUBSCRIPTION_IDENTIFIER_AVAILABLE, 0));
    return properties;
  }

  private void refuse(MqttEndpoint endpoint, int version, Refusal refusal) {
    MqttConnectReturnCode code = ReasonCodes.connack(refusal, version);
    metrics.connectionRefused(refusal);
    LOG.debug("[client-id: {}] CONNECT refused: {} ({})", endpoint.clientIdentifier(), refusal.metricTag(), code);
    endpoint.reject(code);
    HandshakeGate.release(EndpointChannel.of(endpoint));
  }
}
