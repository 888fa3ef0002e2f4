package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.downlink.DeliveryTarget;
import io.mqttkafka.bridge.downlink.DeviceDelivery;
import io.mqttkafka.bridge.bus.AdminProtocol;
import io.mqttkafka.bridge.bus.DownlinkMessage;
import io.mqttkafka.bridge.metrics.MetricTags.ProtocolError;
import io.mqttkafka.bridge.records.PresenceRecord.Event;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.MqttWill;
import io.vertx.mqtt.messages.MqttDisconnectMessage;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One accepted device connection, and the core of its lifecycle: start, takeover, shutdown, close and
 * the Will, on its {@link SessionLifecycle}. The protocol flows are its parts: {@link UplinkFlow}
 * (PUBLISH to Kafka, acknowledged only after Kafka has the record, QoS 2 de-duplication),
 * {@link SubscriptionFlow} (SUBSCRIBE/UNSUBSCRIBE and presence records in {@code mqtt.subscriptions})
 * and {@link DeviceDelivery} (PUBLISH of routed messages). Lives on the connection's event loop; other
 * threads call only the public methods, which hop onto it.
 */
public final class DeviceSession implements DeliveryTarget {

  private static final Logger LOG = LoggerFactory.getLogger(DeviceSession.class);
  private static final int NO_RECEIVE_MAXIMUM = 65_535;
  /**
   * On shutdown, how long a connection waits for Kafka to acknowledge the QoS 1/2 PUBLISH packets it
   * holds, so that it can PUBACK/PUBREC them before DISCONNECT instead of having the device resend them
   * to another instance (duplicates). Kafka normally answers within milliseconds; when it is down,
   * waiting longer only delays the stop.
   */
  public static final long SHUTDOWN_ACK_WAIT_MS = 5_000;

  private final MqttEndpoint endpoint;
  private final Context context;
  private final SessionServices services;
  private final String clientId;
  private final String connectionId;
  /** The authenticated user name, or null for an anonymous client. */
  private final String username;
  /** When the CONNECT was accepted, epoch milliseconds. */
  private final long connectedAt;
  private final ReadPauses pauses;
  private final SessionLifecycle lifecycle;
  private final UplinkFlow uplink;
  private final SubscriptionFlow subscriptions;
  private final DeviceDelivery delivery;
  private final KeptSession kept;

  /**
   * @param pauses this event loop's paused connections; also frees the connection slot on close
   * @param start  who the client is, what its CONNACK promised, and the session it starts or resumes
   */
  DeviceSession(MqttEndpoint endpoint, Vertx vertx, SessionServices services, ReadPauses pauses, SessionStart start) {
    this.endpoint = endpoint;
    this.context = vertx.getOrCreateContext();
    this.services = services;
    this.clientId = endpoint.clientIdentifier();
    this.connectionId = services.registry().newConnectionId();
    this.username = start.username();
    this.connectedAt = System.currentTimeMillis();
    this.pauses = pauses;
    this.lifecycle = new SessionLifecycle(endpoint, services.metrics(), clientId);
    this.kept = new KeptSession(start.sessionExpiry(), services.sessions().maxExpirySeconds());
    this.subscriptions = new SubscriptionFlow(endpoint, lifecycle, services, start, connectionId, kept);
    this.uplink = new UplinkFlow(endpoint, lifecycle, services, start, pauses,
        start.persistent() ? () -> subscriptions.writePresence(Event.UPDATED) : null);
    kept.qos2From(uplink::qos2Received);
    this.delivery = new DeviceDelivery(endpoint, vertx, services.receipts(), services.metrics(),
        new DeviceDelivery.Terms(clientReceiveMaximum(endpoint), services.downlink().ackTimeout().toMillis(),
            start.persistent()), lifecycle::closeSlowConsumer, services.tracing());
  }

  public String clientId() {
    return clientId;
  }

  @Override
  public String connectionId() {
    return connectionId;
  }

  /** Installs the packet handlers; called on the connection's event loop before CONNACK is sent. */
  void start() {
    endpoint.publishAutoAck(false);
    endpoint.publishHandler(uplink::onPublish);
    endpoint.publishReleaseHandler(uplink::onPublishRelease);
    endpoint.publishAcknowledgeHandler(delivery::onPuback);
    endpoint.subscribeHandler(subscriptions::onSubscribe);
    endpoint.unsubscribeHandler(subscriptions::onUnsubscribe);
    endpoint.disconnectMessageHandler(this::onDisconnect);
    endpoint.exceptionHandler(this::onException);
    endpoint.closeHandler(v -> onClose());
    subscriptions.writePresence(Event.CONNECTED);
  }

  /**
   * Publishes a routed downlink message to the device, if this connection is still open. Completes
   * once the message's first receipt is in Kafka: see {@link DeviceDelivery#deliver}.
   */
  @Override
  public Future<Void> deliver(DownlinkMessage message) {
    Promise<Void> answered = Promise.promise();
    context.runOnContext(v -> delivery.deliver(message).onComplete(answered));
    return answered.future();
  }

  /** Closes this connection because the same client id connected again [MQTT-3.1.4-3]. */
  @Override
  public void takeOver() {
    context.runOnContext(v -> lifecycle.takeOver());
  }

  /**
   * Closes this connection because the bridge is shutting down (MQTT 5: DISCONNECT 0x8B): at once when
   * no QoS 1/2 PUBLISH awaits Kafka, else once those are acknowledged to the device, at the latest
   * after {@link #SHUTDOWN_ACK_WAIT_MS}. Meanwhile new QoS 1/2 PUBLISH packets are left unanswered
   * and unwritten: the device resends them after reconnecting, to another instance, without duplicates.
   */
  public void shutdown() {
    context.runOnContext(v -> {
      lifecycle.drain();
      if (uplink.inflight() == 0) {
        lifecycle.endDrain();
      } else {
        context.owner().setTimer(SHUTDOWN_ACK_WAIT_MS, id -> lifecycle.endDrain());
      }
    });
  }

  /** The authenticated user name, or null for an anonymous client. */
  public String username() {
    return username;
  }

  /**
   * This connection as the admin API shows it; completes on the connection's event loop, where its
   * subscriptions are kept.
   */
  public Future<AdminProtocol.Connection> describe() {
    Promise<AdminProtocol.Connection> described = Promise.promise();
    context.runOnContext(v -> described.complete(new AdminProtocol.Connection(clientId, connectionId, username,
        endpoint.protocolVersion(), connectedAt, subscriptions.granted())));
    return described.future();
  }

  /**
   * Closes this connection on an operator's request (MQTT 5: DISCONNECT 0x98 Administrative action).
   * The Will is published, as for any close the client did not ask for.
   */
  public void disconnectByAdmin() {
    context.runOnContext(v -> lifecycle.disconnect(MqttDisconnectReasonCode.ADMINISTRATIVE_ACTION, CloseReason.ADMIN));
  }

  /** Closes this connection because its credentials were revoked (MQTT 5: DISCONNECT 0x87 Not authorized). */
  public void revoke() {
    context.runOnContext(v -> lifecycle.disconnect(MqttDisconnectReasonCode.NOT_AUTHORIZED, CloseReason.REVOKED));
  }

  /** Writes this connection's presence record again: the router saw a stale record after it. */
  @Override
  public void refreshPresence() {
    context.runOnContext(v -> {
      if (!lifecycle.isClosed()) {
        subscriptions.writePresence(Event.REFRESHED);
      }
    });
  }

  private void onDisconnect(MqttDisconnectMessage message) {
    MqttProperties.MqttProperty<?> expiry = message.properties() == null ? null
        : message.properties().getProperty(MqttProperties.SESSION_EXPIRY_INTERVAL);
    if (expiry != null && !kept.expiryAtDisconnect(Integer.toUnsignedLong((Integer) expiry.value()))) {
      // [MQTT-3.14.2-2] a session that was to end with the connection cannot be kept at DISCONNECT.
      lifecycle.protocolViolation(ProtocolError.SESSION_EXPIRY, MqttDisconnectReasonCode.PROTOCOL_ERROR);
      return;
    }
    lifecycle.clientDisconnected(message.code());
  }

  private void onException(Throwable failure) {
    // Decoder failures (oversized or malformed packets, invalid UTF-8, a wildcard in a PUBLISH topic):
    // vert.x closes the connection after this handler.
    services.metrics().protocolError(ProtocolError.MALFORMED_PACKET);
    lifecycle.badInput();
    LOG.debug("[client-id: {}] bad input, closing: {}", clientId, failure.toString());
  }

  private void onClose() {
    CloseReason reason = lifecycle.closed();
    if (reason == null) {
      return; // closed already
    }
    uplink.closed();
    pauses.connectionClosed();
    delivery.closed();
    services.registry().unregister(this);
    services.metrics().connectionClosed(reason);
    LOG.debug("[client-id: {}] connection closed ({})", clientId, reason);
    if (reason != CloseReason.TAKEOVER) {
      // After a takeover the newer connection's record is the client's state; a "disconnected"
      // record from this one would only be stale.
      subscriptions.writePresence(Event.DISCONNECTED);
    }
    MqttWill will = endpoint.will();
    if (lifecycle.publishesWill() && will != null && will.isWillFlag()) {
      uplink.publishWill(will);
    }
  }

  private static int clientReceiveMaximum(MqttEndpoint endpoint) {
    MqttProperties.MqttProperty<?> property = endpoint.connectProperties() == null ? null
        : endpoint.connectProperties().getProperty(MqttProperties.RECEIVE_MAXIMUM);
    return property == null ? NO_RECEIVE_MAXIMUM : (Integer) property.value();
  }
}
