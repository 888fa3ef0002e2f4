package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.config.MqttSettings;
import io.mqttkafka.bridge.kafka.OverloadedException;
import io.mqttkafka.bridge.metrics.MetricTags.Limit;
import io.mqttkafka.bridge.metrics.MetricTags.ProtocolError;
import io.mqttkafka.bridge.topic.TopicLimits;
import io.mqttkafka.bridge.uplink.RejectedTopicException;
import io.mqttkafka.bridge.uplink.TopicMapper;
import io.mqttkafka.bridge.uplink.UplinkPublisher;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.Completable;
import io.vertx.core.Future;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.MqttWill;
import io.vertx.mqtt.messages.MqttPublishMessage;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The uplink of one connection: PUBLISH to Kafka ({@code UplinkPublisher}), each QoS 1/2 PUBLISH
 * acknowledged only once Kafka has it, in arrival order ({@link AckQueue}), failures mapped by
 * {@link ReasonCodes}; QoS 2 de-duplication between PUBLISH and PUBREL; the connection's limits
 * (Receive Maximum, Topic Aliases, publish rate, topic length and levels); backpressure
 * ({@link SocketReading}); and the Will, once {@link SessionLifecycle} decided to publish it.
 *
 * <p>In a persistent session the QoS 2 packet ids received and not released are part of the session
 * ({@link KeptSession}): PUBREC waits until the id is in the session's presence record, PUBCOMP until
 * it is out, so that a PUBLISH resent after a reconnect, to any instance, is not written twice.
 * Event loop only.
 */
final class UplinkFlow {

  private static final Logger LOG = LoggerFactory.getLogger(UplinkFlow.class);
  private static final RejectedTopicException TOPIC_TOO_LONG =
      new RejectedTopicException("topic longer than mqtt.limits.maxTopicLength");
  private static final RejectedTopicException TOO_MANY_TOPIC_LEVELS =
      new RejectedTopicException("more topic levels than mqtt.limits.maxTopicLevels");

  /** State of a QoS 2 packet id between PUBLISH and PUBREL. */
  private enum Qos2State { WRITING, RECEIVED }

  private final MqttEndpoint endpoint;
  private final SessionLifecycle lifecycle;
  private final SessionServices services;
  /** Fills the mapping rules' ${clientId} and ${username} for this connection's messages. */
  private final TopicMapper.Subject subject;
  private final boolean v5;
  /** The Receive Maximum in force when the client connected: MQTT 5 was told it in CONNACK. */
  private final int receiveMaximum;
  private final Pubacks pubacks;
  private final AckQueue acks;
  /** The outcome of every QoS 0 PUBLISH; a success comes on Kafka's I/O thread and touches nothing. */
  private final Completable<UplinkPublisher.Outcome> qos0Written = (outcome, failure) -> {
    if (failure != null) {
      onQos0Failure(failure);
    }
  };
  private final SocketReading reading;
  /** mqtt.limits.publishRate; null when unlimited. Made anew when a reload changes the rate or burst. */
  private RateLimiter publishRate;
  /** The limits {@link #publishRate} was made for. */
  private MqttSettings.Limits rateLimits;
  /** The client's MQTT 5 Topic Aliases. */
  private final TopicAliases aliases;
  private Map<Integer, Qos2State> qos2 = Collections.emptyMap();
  /** Writes the session's QoS 2 packet ids (a presence record); null when the session is not persistent. */
  private final Supplier<Future<Void>> writeQos2;
  /**
   * The failure of a QoS 1/2 PUBLISH that closes this connection once its turn to be acknowledged
   * comes; null while there is none. Later PUBLISH packets of the connection are not written: the
   * client resends from the failed one on, and writing them now would put them in Kafka ahead of it.
   */
  private Throwable closingFailure;

  /**
   * @param start     who the client is (its user name fills ${username}), what its CONNACK promised
   *                  (keep-alive, Receive Maximum), and the QoS 2 packet ids its resumed session holds
   * @param pauses    this event loop's paused connections
   * @param writeQos2 writes the session's QoS 2 packet ids; null when the session is not persistent
   */
  UplinkFlow(MqttEndpoint endpoint, SessionLifecycle lifecycle, SessionServices services, SessionStart start,
             ReadPauses pauses, Supplier<Future<Void>> writeQos2) {
    this.endpoint = endpoint;
    this.pubacks = new Pubacks(endpoint, services.uplink()::afterCompletions);
    this.acks = new AckQueue(this::sendAck);
    this.lifecycle = lifecycle;
    this.services = services;
    this.writeQos2 = writeQos2;
    this.subject = services.uplink().subject(endpoint.clientIdentifier(), start.username());
    this.v5 = ReasonCodes.isMqtt5(endpoint.protocolVersion());
    this.receiveMaximum = start.receiveMaximum();
    this.reading = new SocketReading(endpoint, pauses, services.metrics(),
        pauses.maxPauseNanos(start.keepAliveSeconds()), () -> inflightBelowBound() && !services.uplink().congested());
    publishRate(services.mqtt().limits());
    // MQTT 3.1.1 has no aliases: an empty topic is refused as an alias-only PUBLISH would be.
    this.aliases = new TopicAliases(v5 ? services.mqtt().topicAliasMaximum() : 0);
    for (int packetId : start.resumedQos2()) {
      received(packetId);
    }
  }

  /**
   * The publish rate limiter of the limits in force (mqtt.limits.publishRate/publishBurst): kept while a
   * reload leaves rate and burst alone, made anew (with a full bucket) when it changes them; null when
   * unlimited. A reference comparison per PUBLISH when nothing changed.
   */
  private RateLimiter publishRate(MqttSettings.Limits limits) {
    if (limits != rateLimits) {
      if (rateLimits == null || limits.publishRate() != rateLimits.publishRate()
          || limits.effectivePublishBurst() != rateLimits.effectivePublishBurst()) {
        publishRate = limits.publishRate() == 0 ? null
            : new RateLimiter(limits.publishRate(), limits.effectivePublishBurst(), System.nanoTime());
      }
      rateLimits = limits;
    }
    return publishRate;
  }

  /** The QoS 2 packet ids written to Kafka and not released by PUBREL yet, in order. */
  List<Integer> qos2Received() {
    List<Integer> ids = new ArrayList<>();
    qos2.forEach((id, state) -> {
      if (state == Qos2State.RECEIVED) {
        ids.add(id);
      }
    });
    Collections.sort(ids);
    return ids;
  }

  private void received(int packetId) {
    if (qos2.isEmpty()) {
      qos2 = new HashMap<>();
    }
    qos2.put(packetId, Qos2State.RECEIVED);
  }

  /** The QoS 1/2 PUBLISH packets not yet acknowledged to the device. */
  int inflight() {
    return acks.size();
  }

  void onPublish(MqttPublishMessage message) {
    int qos = message.qosLevel().value();
    int packetId = message.messageId();
    String topic = aliases.resolve(message.topicName(), message.properties());
    if (topic == null) {
      lifecycle.protocolViolation(ProtocolError.TOPIC_ALIAS, aliases.violation());
      return;
    }
    MqttSettings.Limits limits = services.mqtt().limits();
    RateLimiter rate = publishRate(limits);
    if (rate != null && !rate.tryAcquire(System.nanoTime())) {
      publishRateExceeded();
      return;
    }
    if (lifecycle.isDraining() && qos > 0) {
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
    if (qos > 0 && v5 && acks.size() >= receiveMaximum) {
      // [MQTT-3.3.4-9] more unacknowledged QoS 1/2 PUBLISH packets than the Receive Maximum of CONNACK.
      // MQTT 3.1.1 has no such limit: there the 65,535 packet ids bound the in-flight count.
      lifecycle.protocolViolation(ProtocolError.RECEIVE_MAXIMUM, MqttDisconnectReasonCode.RECEIVE_MAXIMUM_EXCEEDED);
      return;
    }
    write(message, qos, packetId, topic, limits);
  }

  /**
   * Writes an admitted PUBLISH to Kafka, a QoS 1/2 one acknowledged (or failed) in its turn, then
   * applies backpressure.
   */
  private void write(MqttPublishMessage message, int qos, int packetId, String topic, MqttSettings.Limits limits) {
    RejectedTopicException topicRefused = checkTopic(topic, limits);
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
    if (topicRefused != null) {
      written(entry, qos, topicRefused);
    } else {
      services.uplink().publish(subject, topic, message.payload(), qos, message.isRetain(), message.properties(),
          entry == null ? qos0Written : (outcome, failure) -> written(entry, qos, failure));
    }
    applyBackpressure();
  }

  /** A PUBLISH is in Kafka ({@code failure} null), or was refused or failed: acknowledged in its turn. */
  private void written(AckQueue.Entry entry, int qos, Throwable failure) {
    if (entry != null) {
      if (failure != null && failureCloses(qos) && closingFailure == null) {
        closingFailure = failure;
      }
      acks.complete(entry, failure);
      afterAcks();
    } else if (failure != null) {
      onQos0Failure(failure);
    }
  }

  /** Pauses reading while the in-flight bound (MQTT 3.1.1) or the uplink's congestion says so. */
  private void applyBackpressure() {
    if (!reading.paused() && !lifecycle.isClosed()) {
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
  private RejectedTopicException checkTopic(String topic, MqttSettings.Limits limits) {
    Limit limit = TopicLimits.check(topic, limits.maxTopicLength(), limits.maxTopicLevels());
    if (limit == null) {
      return null;
    }
    services.metrics().limitRejected(limit);
    return limit == Limit.TOPIC_LENGTH ? TOPIC_TOO_LONG : TOO_MANY_TOPIC_LEVELS;
  }

  private void publishRateExceeded() {
    if (lifecycle.isClosed() || !endpoint.isConnected()) {
      return; // already closing; the rest of the last read arrives
    }
    services.metrics().limitRejected(Limit.PUBLISH_RATE);
    LOG.debug("[client-id: {}] publishes faster than mqtt.limits.publishRate, closing", subject.clientId());
    lifecycle.disconnect(MqttDisconnectReasonCode.MESSAGE_RATE_TOO_HIGH, CloseReason.LIMIT);
  }

  private boolean inflightBelowBound() {
    return acks.size() < receiveMaximum;
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
    if (lifecycle.isClosed()) {
      return;
    }
    if (failure == null && qos == 1) {
      pubacks.add(packetId);
      return;
    }
    pubacks.flush(); // the PUBACKs before this acknowledgement go first [MQTT-4.6.0-2]
    if (failure == null) {
      if (writeQos2 == null) {
        endpoint.publishReceived(packetId);
      } else {
        // The id must be in the session before PUBREC: a resend after a reconnect is then known.
        afterSessionWrite(() -> endpoint.publishReceived(packetId));
      }
      return;
    }
    logFailure(failure);
    if (!failureCloses(qos)) {
      endpoint.publishAcknowledge(packetId, ReasonCodes.puback(failure), MqttProperties.NO_PROPERTIES);
    } else {
      // MQTT 3.1.1 has no negative PUBACK, and vert.x 5.0.8 drops PUBREC reason codes: close, the
      // client resends on its next connection.
      lifecycle.disconnect(ReasonCodes.disconnect(failure), CloseReason.UPLINK_FAILURE);
    }
  }

  /** After AckQueue released acknowledgements: a draining connection closes once it holds none. */
  private void afterAcks() {
    if (lifecycle.isDraining() && acks.size() == 0) {
      pubacks.flush(); // the last PUBACKs go out before the connection closes
      lifecycle.endDrain();
    }
  }

  private void onQos0Failure(Throwable failure) {
    if (failure instanceof OverloadedException) {
      return; // QoS 0 may be dropped under overload; counted as uplink outcome "overloaded".
    }
    logFailure(failure);
    if (ReasonCodes.isDeviceFault(failure)) {
      lifecycle.disconnect(ReasonCodes.disconnect(failure), CloseReason.UPLINK_FAILURE);
    }
  }

  void onPublishRelease(int packetId) {
    // PUBREL ends the QoS 2 exchange [MQTT-4.3.3-11]; PUBCOMP also for an unknown id, so the client can finish.
    boolean held = qos2.remove(packetId) != null;
    if (lifecycle.isClosed()) {
      return;
    }
    if (!held || writeQos2 == null) {
      endpoint.publishComplete(packetId);
    } else {
      // The id must be out of the session before PUBCOMP, after which the client may use it again.
      afterSessionWrite(() -> endpoint.publishComplete(packetId));
    }
  }

  /**
   * Writes the session's QoS 2 packet ids, then acknowledges; a write Kafka does not take closes the
   * connection unacknowledged (the client resends on its next connection).
   */
  private void afterSessionWrite(Runnable acknowledge) {
    writeQos2.get().onComplete((ok, failure) -> {
      if (lifecycle.isClosed()) {
        return;
      }
      if (failure == null) {
        acknowledge.run();
      } else {
        logFailure(failure);
        lifecycle.disconnect(ReasonCodes.disconnect(failure), CloseReason.UPLINK_FAILURE);
      }
    });
  }

  /** The connection closed: nothing is acknowledged or resumed any more. */
  void closed() {
    reading.closed();
    acks.clear();
  }

  void publishWill(MqttWill will) {
    // [MQTT-3.1.2-8] the Will is published when the connection closes without a DISCONNECT.
    String clientId = subject.clientId();
    MqttSettings.Limits limits = services.mqtt().limits();
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

  private void logFailure(Throwable failure) {
    UplinkFailures.log(LOG, subject.clientId(), failure);
  }
}
