package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.topic.TopicLimits;
import io.mqttkafka.bridge.util.LogThrottle;
import io.mqttkafka.bridge.config.MqttSettings;
import io.mqttkafka.bridge.metrics.MetricTags.Limit;
import io.mqttkafka.bridge.metrics.MetricTags.ProtocolError;
import io.mqttkafka.bridge.downlink.DeliveryTarget;
import io.mqttkafka.bridge.downlink.DeviceDelivery;
import io.mqttkafka.bridge.downlink.DownlinkMessage;
import io.mqttkafka.bridge.records.PresenceRecord;
import io.mqttkafka.bridge.records.PresenceRecord.Event;
import io.mqttkafka.bridge.kafka.OverloadedException;
import io.mqttkafka.bridge.uplink.RejectedTopicException;
import io.mqttkafka.bridge.uplink.TopicMapper;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.MqttWill;
import io.vertx.mqtt.messages.MqttDisconnectMessage;
import io.vertx.mqtt.messages.MqttPublishMessage;
import io.vertx.mqtt.messages.MqttSubscribeMessage;
import io.vertx.mqtt.messages.MqttUnsubscribeMessage;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import io.vertx.mqtt.messages.codes.MqttSubAckReasonCode;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One accepted device connection. Uplink: PUBLISH to Kafka, acknowledged only after Kafka has the
 * record, QoS 2 de-duplication, the Will. Downlink: SUBSCRIBE/UNSUBSCRIBE and presence records in
 * {@code mqtt.subscriptions}, PUBLISH of routed messages ({@link DeviceDelivery}). Takeover and
 * shutdown. Lives on the connection's event loop; other threads call only the public methods, which
 * hop onto it.
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
  /** Kafka failures of the uplink: one WARN per 10 s for the whole bridge, not one per device. */
  private static final LogThrottle FAILURE_WARNINGS = new LogThrottle(Duration.ofSeconds(10));
  private static final RejectedTopicException TOPIC_TOO_LONG =
      new RejectedTopicException("topic longer than mqtt.limits.maxTopicLength");
  private static final RejectedTopicException TOO_MANY_TOPIC_LEVELS =
      new RejectedTopicException("more topic levels than mqtt.limits.maxTopicLevels");

  /** State of a QoS 2 packet id between PUBLISH and PUBREL. */
  private enum Qos2State { WRITING, RECEIVED }

  private final MqttEndpoint endpoint;
  private final Context context;
  private final SessionServices services;
  private final String clientId;
  /** Fills the mapping rules' ${clientId} and ${username} for this connection's messages. */
  private final TopicMapper.Subject subject;
  private final String connectionId;
  private final boolean v5;
  private final AckQueue acks = new AckQueue(this::sendAck);
  private final Subscriptions subscriptions;
  private final DeviceDelivery delivery;
  private final MqttSettings.Limits limits;
  private final ReadPauses pauses;
  private final SocketReading reading;
  /** mqtt.limits.publishRate; null when unlimited. */
  private final RateLimiter publishRate;
  private Map<Integer, Qos2State> qos2 = Collections.emptyMap();
  private boolean closed;
  /** Why the bridge closed the connection; null while the client or the network ends it. */
  private CloseReason closeReason;
  /** True once the close needs no Will: a normal DISCONNECT, a takeover or a server shutdown. */
  private boolean willCancelled;
  /** The bridge is stopping: new QoS 1/2 PUBLISH packets are not taken, DISCONNECT once the held ones are acknowledged. */
  private boolean shuttingDown;
  /**
   * The failure of a QoS 1/2 PUBLISH that closes this connection once its turn to be acknowledged
   * comes; null while there is none. Later PUBLISH packets of the connection are not written: the
   * client resends from the failed one on, and writing them now would put them in Kafka ahead of it.
   */
  private Throwable closingFailure;

  /**
   * @param username         the authenticated user name (fills ${username}), or null for an anonymous client
   * @param pauses           this event loop's paused connections; also frees the connection slot on close
   * @param keepAliveSeconds the keep-alive the bridge enforces for this connection (0: none)
   */
  DeviceSession(MqttEndpoint endpoint, Vertx vertx, SessionServices services, String username, ReadPauses pauses,
                int keepAliveSeconds) {
    this.endpoint = endpoint;
    this.context = vertx.getOrCreateContext();
    this.services = services;
    this.clientId = endpoint.clientIdentifier();
    this.subject = services.uplink().subject(clientId, username);
    this.connectionId = services.registry().newConnectionId();
    this.v5 = ReasonCodes.isMqtt5(endpoint.protocolVersion());
    this.limits = services.mqtt().limits();
    this.subscriptions = new Subscriptions(services.downlink().filters(), clientId, username, v5,
        limits.maxTopicLength(), limits.maxTopicLevels(), services.metrics()::limitRejected);
    this.delivery = new DeviceDelivery(endpoint, vertx, services.receipts(), services.metrics(),
        clientReceiveMaximum(endpoint), services.downlink().ackTimeout().toMillis(),
        this::closeSlowConsumer);
    this.pauses = pauses;
    this.reading = new SocketReading(endpoint, pauses, services.metrics(), pauses.maxPauseNanos(keepAliveSeconds),
        () -> inflightBelowBound() && !services.uplink().congested());
    this.publishRate = limits.publishRate() == 0 ? null
        : new RateLimiter(limits.publishRate(), limits.effectivePublishBurst(), System.nanoTime());
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
    endpoint.publishHandler(this::onPublish);
    endpoint.publishReleaseHandler(this::onPublishRelease);
    endpoint.publishAcknowledgeHandler(delivery::onPuback);
    endpoint.subscribeHandler(this::onSubscribe);
    endpoint.unsubscribeHandler(this::onUnsubscribe);
    endpoint.disconnectMessageHandler(this::onDisconnect);
    endpoint.exceptionHandler(this::onException);
    endpoint.closeHandler(v -> onClose());
    writePresence(Event.CONNECTED);
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
    context.runOnContext(v -> {
      willCancelled = true;
      disconnect(MqttDisconnectReasonCode.SESSION_TAKEN_OVER, CloseReason.TAKEOVER);
    });
  }

  /**
   * Closes this connection because the bridge is shutting down (MQTT 5: DISCONNECT 0x8B): at once when
   * no QoS 1/2 PUBLISH awaits Kafka, else once those are acknowledged to the device, at the latest
   * after {@link #SHUTDOWN_ACK_WAIT_MS}. Meanwhile new QoS 1/2 PUBLISH packets are left unanswered
   * and unwritten: the device resends them after reconnecting, to another instance, without duplicates.
   */
  public void shutdown() {
    context.runOnContext(v -> {
      willCancelled = true;
      shuttingDown = true;
      if (acks.size() == 0) {
        disconnect(MqttDisconnectReasonCode.SERVER_SHUTTING_DOWN, CloseReason.SHUTDOWN);
      } else {
        context.owner().setTimer(SHUTDOWN_ACK_WAIT_MS,
            id -> disconnect(MqttDisconnectReasonCode.SERVER_SHUTTING_DOWN, CloseReason.SHUTDOWN));
      }
    });
  }

  /** Writes this connection's presence record again: the router saw a stale record after it. */
  @Override
  public void refreshPresence() {
    context.runOnContext(v -> {
      if (!closed) {
        writePresence(Event.REFRESHED);
      }
    });
  }

  private void onPublish(MqttPublishMessage message) {
    int qos = message.qosLevel().value();
    int packetId = message.messageId();
    String topic = message.topicName();
    if (topic.isEmpty() || message.properties().getProperty(MqttProperties.TOPIC_ALIAS) != null) {
      // An alias-only PUBLISH, or any Topic Alias: CONNACK advertised Topic Alias Maximum 0
      // [MQTT-3.3.2-8], [MQTT-3.3.2-9].
      protocolViolation(ProtocolError.TOPIC_ALIAS, MqttDisconnectReasonCode.TOPIC_ALIAS_INVALID);
      return;
    }
    if (publishRate != null && !publishRate.tryAcquire(System.nanoTime())) {
      publishRateExceeded();
      return;
    }
    if (shuttingDown && qos > 0) {
      return; // not taken: resent to another instance after the DISCONNECT that follows
    }
    if (qos == 2) {
      Qos2State state = qos2.get(packetId);
      if (state != null) {
        // A resend of a packet we hold: never written twice [MQTT-4.3.3-10]; PUBREC again once written.
        if (state == Qos2State.RECEIVED) {
          endpoint.publishReceived(packetId);
        }
        return;
      }
    }
    if (qos > 0 && v5 && acks.size() >= services.mqtt().receiveMaximum()) {
      // [MQTT-3.3.4-9] more unacknowledged QoS 1/2 PUBLISH packets than the Receive Maximum of CONNACK.
      // MQTT 3.1.1 has no such limit: there the 65,535 packet ids bound the in-flight count.
      protocolViolation(ProtocolError.RECEIVE_MAXIMUM, MqttDisconnectReasonCode.RECEIVE_MAXIMUM_EXCEEDED);
      return;
    }
    RejectedTopicException topicRefused = checkTopic(topic);
    AckQueue.Entry entry = qos == 0 ? null : acks.add(packetId, qos);
    if (qos == 2) {
      if (qos2.isEmpty()) {
        qos2 = new HashMap<>();
      }
      qos2.put(packetId, Qos2State.WRITING);
    }
    if (entry != null && closingFailure != null) {
      // Order per client: an earlier PUBLISH failed and closes the connection; this one is not
      // written, so that the client's resend puts both into Kafka in their order.
      acks.complete(entry, closingFailure);
      return;
    }
    Future<?> written = topicRefused != null ? Future.failedFuture(topicRefused)
        : services.uplink().publish(subject, topic, message.payload(), qos, message.isRetain(), message.properties());
    written.onComplete((outcome, failure) -> {
      if (entry != null) {
        if (failure != null && failureCloses(qos) && closingFailure == null) {
          closingFailure = failure;
        }
        acks.complete(entry, failure);
        afterAcks();
      } else if (failure != null) {
        onQos0Failure(failure);
      }
    });
    if (!reading.paused() && !closed) {
      if (!v5 && !inflightBelowBound()) {
        // MQTT 3.1.1 cannot be told a Receive Maximum: read no more until one of them is acknowledged.
        reading.pause(true);
      } else if (services.uplink().congested()) {
        reading.pause(false);
      } else {
        reading.uplinkRelieved();
      }
    }
  }

  /** The topic limits of mqtt.limits (UTF-8 bytes, levels); null when the topic is within them. No allocation. */
  private RejectedTopicException checkTopic(String topic) {
    Limit limit = TopicLimits.check(topic, limits.maxTopicLength(), limits.maxTopicLevels());
    if (limit == null) {
      return null;
    }
    services.metrics().limitRejected(limit);
    return limit == Limit.TOPIC_LENGTH ? TOPIC_TOO_LONG : TOO_MANY_TOPIC_LEVELS;
  }

  private void publishRateExceeded() {
    if (closed || !endpoint.isConnected()) {
      return; // already closing; the rest of the last read arrives
    }
    services.metrics().limitRejected(Limit.PUBLISH_RATE);
    LOG.debug("[client-id: {}] publishes faster than mqtt.limits.publishRate, closing", clientId);
    disconnect(MqttDisconnectReasonCode.MESSAGE_RATE_TOO_HIGH, CloseReason.LIMIT);
  }

  private boolean inflightBelowBound() {
    return acks.size() < services.mqtt().receiveMaximum();
  }

  /**
   * Whether a failed QoS 1/2 PUBLISH closes the connection: MQTT 5 QoS 1 gets a negative PUBACK
   * instead; MQTT 3.1.1 has none, and vert.x 5.0.8 drops PUBREC reason codes.
   */
  private boolean failureCloses(int qos) {
    return !(v5 && qos == 1);
  }

  private void sendAck(int packetId, int qos, Throwable failure) {
    if (reading.pausedForInflight() && inflightBelowBound() && !services.uplink().congested()) {
      reading.resume();
    }
    if (qos == 2) {
      if (failure == null) {
        qos2.put(packetId, Qos2State.RECEIVED);
      } else {
        qos2.remove(packetId);
      }
    }
    if (closed) {
      return;
    }
    if (failure == null) {
      if (qos == 1) {
        endpoint.publishAcknowledge(packetId);
      } else {
        endpoint.publishReceived(packetId);
      }
      return;
    }
    logFailure(failure);
    if (!failureCloses(qos)) {
      endpoint.publishAcknowledge(packetId, ReasonCodes.puback(failure), MqttProperties.NO_PROPERTIES);
    } else {
      // MQTT 3.1.1 has no negative PUBACK, and vert.x 5.0.8 drops PUBREC reason codes: close, the
      // client resends on its next connection.
      disconnect(ReasonCodes.disconnect(failure), CloseReason.UPLINK_FAILURE);
    }
  }

  /** After AckQueue released acknowledgements: a shutting-down connection closes once it holds none. */
  private void afterAcks() {
    if (shuttingDown && acks.size() == 0) {
      disconnect(MqttDisconnectReasonCode.SERVER_SHUTTING_DOWN, CloseReason.SHUTDOWN);
    }
  }

  private void onQos0Failure(Throwable failure) {
    if (failure instanceof OverloadedException) {
      return; // QoS 0 may be dropped under overload; counted as uplink outcome "overloaded".
    }
    logFailure(failure);
    if (ReasonCodes.isDeviceFault(failure)) {
      disconnect(ReasonCodes.disconnect(failure), CloseReason.UPLINK_FAILURE);
    }
  }

  private void onPublishRelease(int packetId) {
    // PUBREL ends the QoS 2 exchange [MQTT-4.3.3-11]; PUBCOMP also for an unknown id, so the client can finish.
    qos2.remove(packetId);
    if (!closed) {
      endpoint.publishComplete(packetId);
    }
  }

  private void onSubscribe(MqttSubscribeMessage message) {
    List<MqttSubAckReasonCode> codes;
    try {
      codes = subscriptions.subscribe(message.topicSubscriptions());
    } catch (Subscriptions.InvalidFilterException e) {
      protocolViolation(ProtocolError.INVALID_FILTER, MqttDisconnectReasonCode.TOPIC_FILTER_INVALID);
      return;
    }
    // SUBACK only once the router can know: the presence record is in Kafka.
    writePresence(Event.SUBSCRIBED).onComplete((ok, failure) -> {
      List<MqttSubAckReasonCode> result = codes;
      if (failure != null) {
        subscriptions.revoke(message.topicSubscriptions(), codes);
        result = Collections.nCopies(codes.size(), MqttSubAckReasonCode.UNSPECIFIED_ERROR);
      }
      if (!closed) {
        endpoint.subscribeAcknowledge(message.messageId(), result, MqttProperties.NO_PROPERTIES);
      }
    });
  }

  private void onUnsubscribe(MqttUnsubscribeMessage message) {
    var codes = subscriptions.unsubscribe(message.topics());
    writePresence(Event.UNSUBSCRIBED).onComplete((ok, failure) -> {
      if (!closed) {
        endpoint.unsubscribeAcknowledge(message.messageId(), codes, MqttProperties.NO_PROPERTIES);
      }
    });
  }

  private void onDisconnect(MqttDisconnectMessage message) {
    // A DISCONNECT discards the Will [MQTT-3.14.4-3], unless MQTT 5 asks for it with 0x04.
    willCancelled = message.code() != MqttDisconnectReasonCode.WITH_WILL_MESSAGE;
    closeReason = CloseReason.DISCONNECT;
  }

  private void onException(Throwable failure) {
    // Decoder failures (oversized or malformed packets, invalid UTF-8, a wildcard in a PUBLISH topic):
    // vert.x closes the connection after this handler.
    services.metrics().protocolError(ProtocolError.MALFORMED_PACKET);
    closeReason = CloseReason.BAD_INPUT;
    LOG.debug("[client-id: {}] bad input, closing: {}", clientId, failure.toString());
  }

  private void onClose() {
    if (closed) {
      return;
    }
    closed = true;
    reading.closed();
    pauses.connectionClosed();
    acks.clear();
    delivery.closed();
    services.registry().unregister(this);
    CloseReason reason = closeReason == null ? CloseReason.LOST : closeReason;
    services.metrics().connectionClosed(reason);
    LOG.debug("[client-id: {}] connection closed ({})", clientId, reason);
    if (reason != CloseReason.TAKEOVER) {
      // After a takeover the newer connection's record is the client's state; a "disconnected"
      // record from this one would only be stale.
      writePresence(Event.DISCONNECTED);
    }
    MqttWill will = endpoint.will();
    if (!willCancelled && will != null && will.isWillFlag()) {
      publishWill(will);
    }
  }

  private Future<Void> writePresence(Event event) {
    PresenceRecord record = new PresenceRecord(event, services.instanceId(), connectionId, event != Event.DISCONNECTED,
        event == Event.DISCONNECTED ? List.of() : subscriptions.snapshot(), endpoint.protocolVersion(),
        System.currentTimeMillis());
    return services.presence().write(clientId, record).onFailure(failure ->
        LOG.warn("[client-id: {}] presence record ({}) not written to Kafka: {}", clientId, event, failure.toString()));
  }

  private void publishWill(MqttWill will) {
    // [MQTT-3.1.2-8] the Will is published when the connection closes without a DISCONNECT.
    Limit limit = TopicLimits.check(will.getWillTopic(), limits.maxTopicLength(), limits.maxTopicLevels());
    if (limit != null) {
      // Held to the same limits as any PUBLISH topic: refused like a Will no rule maps.
      services.metrics().limitRejected(limit);
      LOG.debug("[client-id: {}] Will message refused: its topic breaks mqtt.limits ({})", clientId, limit);
      return;
    }
    services.uplink().publish(subject, will.getWillTopic(), will.getWillMessage(), will.getWillQos(),
        will.isWillRetain(), will.getWillProperties()).onFailure(failure -> {
          if (ReasonCodes.isDeviceFault(failure)) {
            // The device's own Will topic is refused: its fault, not worth a WARN per connection.
            LOG.debug("[client-id: {}] Will message refused: {}", clientId, failure.getMessage());
          } else {
            LOG.warn("[client-id: {}] Will message not written to Kafka: {}", clientId, failure.toString());
          }
        });
  }

  private void protocolViolation(ProtocolError type, MqttDisconnectReasonCode code) {
    services.metrics().protocolError(type);
    LOG.debug("[client-id: {}] protocol violation ({}), closing", clientId, type);
    disconnect(code, CloseReason.PROTOCOL_ERROR);
  }

  /** Closes the connection (MQTT 5: DISCONNECT with the code first); reason as in BridgeMetrics#connectionClosed. */
  private void disconnect(MqttDisconnectReasonCode code, CloseReason reason) {
    if (closed || !endpoint.isConnected()) {
      return;
    }
    closeReason = reason;
    endpoint.disconnect(code, MqttProperties.NO_PROPERTIES);
  }

  /**
   * The device stopped reading its downlink: close the channel at once, dropping what is buffered
   * for it (a DISCONNECT could not reach it anyway, and a graceful close would wait for the buffer).
   */
  private void closeSlowConsumer() {
    if (closed) {
      return;
    }
    closeReason = CloseReason.SLOW_CONSUMER;
    LOG.debug("[client-id: {}] does not read its downlink, closing", clientId);
    if (!EndpointChannel.closeNow(endpoint)) {
      endpoint.close();
    }
  }

  /**
   * A device's refused topic at DEBUG; a failure of Kafka or of the bridge's Kafka permissions at WARN,
   * at most once per 10 s for the whole bridge ({@link #FAILURE_WARNINGS}), the rest at DEBUG.
   */
  private void logFailure(Throwable failure) {
    if (ReasonCodes.isDeviceFault(failure)) {
      LOG.debug("[client-id: {}] uplink refused: {}", clientId, failure.getMessage());
      return;
    }
    long suppressed = FAILURE_WARNINGS.warn(System.nanoTime());
    if (suppressed >= 0) {
      LOG.warn("[client-id: {}] uplink to Kafka failed: {}{}", clientId, failure.toString(),
          LogThrottle.since(suppressed));
    } else {
      LOG.debug("[client-id: {}] uplink to Kafka failed: {}", clientId, failure.toString());
    }
  }

  private static int clientReceiveMaximum(MqttEndpoint endpoint) {
    MqttProperties.MqttProperty<?> property = endpoint.connectProperties() == null ? null
        : endpoint.connectProperties().getProperty(MqttProperties.RECEIVE_MAXIMUM);
    return property == null ? NO_RECEIVE_MAXIMUM : (Integer) property.value();
  }
}
