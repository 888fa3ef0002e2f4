package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.config.MqttSettings;
import io.mqttkafka.bridge.metrics.MetricTags.ProtocolError;
import io.mqttkafka.bridge.records.PresenceRecord;
import io.mqttkafka.bridge.records.PresenceRecord.Event;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.Future;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.messages.MqttSubscribeMessage;
import io.vertx.mqtt.messages.MqttUnsubscribeMessage;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import io.vertx.mqtt.messages.codes.MqttSubAckReasonCode;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SUBSCRIBE and UNSUBSCRIBE of one connection ({@link Subscriptions} decides what is granted), and
 * the connection's presence records in {@code mqtt.subscriptions}: its whole state, written on
 * connect, on each change, on the router's request and on close. SUBACK waits for the record, so
 * that the router knows a subscription before the device is told it has it. Event loop only.
 */
final class SubscriptionFlow {

  private static final Logger LOG = LoggerFactory.getLogger(SubscriptionFlow.class);

  private final MqttEndpoint endpoint;
  private final SessionLifecycle lifecycle;
  private final SessionServices services;
  private final String clientId;
  private final String connectionId;
  private final Subscriptions subscriptions;
  private final KeptSession kept;

  /**
   * @param start  who the client is (its user name fills ${username} of the allowed filters) and the
   *               session it resumes, whose subscriptions are active at once
   * @param kept   what of the session outlives the connection, written in each presence record
   */
  SubscriptionFlow(MqttEndpoint endpoint, SessionLifecycle lifecycle, SessionServices services, SessionStart start,
                   String connectionId, KeptSession kept) {
    this.endpoint = endpoint;
    this.lifecycle = lifecycle;
    this.services = services;
    this.clientId = endpoint.clientIdentifier();
    this.connectionId = connectionId;
    this.kept = kept;
    MqttSettings.Limits limits = services.mqtt().limits();
    this.subscriptions = new Subscriptions(services.downlink().filters(), clientId, start.username(),
        ReasonCodes.isMqtt5(endpoint.protocolVersion()), limits.maxTopicLength(), limits.maxTopicLevels(),
        services.metrics()::limitRejected);
    int dropped = subscriptions.restore(start.resumedFilters());
    if (dropped > 0) {
      LOG.info("[client-id: {}] {} subscriptions of its session not resumed: mappings.downlink.filters or"
          + " mqtt.limits no longer allow them", clientId, dropped);
    }
  }

  void onSubscribe(MqttSubscribeMessage message) {
    MqttSettings.Limits limits = services.mqtt().limits();
    subscriptions.reconfigure(services.downlink().filters(), limits.maxTopicLength(), limits.maxTopicLevels());
    List<MqttSubAckReasonCode> codes;
    try {
      codes = subscriptions.subscribe(message.topicSubscriptions());
    } catch (Subscriptions.InvalidFilterException e) {
      lifecycle.protocolViolation(ProtocolError.INVALID_FILTER, MqttDisconnectReasonCode.TOPIC_FILTER_INVALID);
      return;
    }
    // SUBACK only once the router can know: the presence record is in Kafka.
    writePresence(Event.SUBSCRIBED).onComplete((ok, failure) -> {
      List<MqttSubAckReasonCode> result = codes;
      if (failure != null) {
        subscriptions.revoke(message.topicSubscriptions(), codes);
        result = Collections.nCopies(codes.size(), MqttSubAckReasonCode.UNSPECIFIED_ERROR);
      }
      if (!lifecycle.isClosed()) {
        endpoint.subscribeAcknowledge(message.messageId(), result, MqttProperties.NO_PROPERTIES);
      }
    });
  }

  void onUnsubscribe(MqttUnsubscribeMessage message) {
    var codes = subscriptions.unsubscribe(message.topics());
    writePresence(Event.UNSUBSCRIBED).onComplete((ok, failure) -> {
      if (!lifecycle.isClosed()) {
        endpoint.unsubscribeAcknowledge(message.messageId(), codes, MqttProperties.NO_PROPERTIES);
      }
    });
  }

  /** The filters granted, with their QoS. */
  List<PresenceRecord.Subscription> granted() {
    return subscriptions.snapshot();
  }

  /**
   * Writes the connection's state as a presence record of {@code event}; completes once Kafka has it.
   * The {@code disconnected} record of a persistent session keeps its filters and says when it expires.
   */
  Future<Void> writePresence(Event event) {
    boolean ended = event == Event.DISCONNECTED;
    long now = System.currentTimeMillis();
    PresenceRecord record = new PresenceRecord(event, services.instanceId(), connectionId, !ended,
        ended && !kept.persistent() ? List.of() : subscriptions.snapshot(), endpoint.protocolVersion(), now,
        kept.record(ended ? now : 0));
    return services.presence().write(clientId, record).onFailure(failure ->
        LOG.warn("[client-id: {}] presence record ({}) not written to Kafka: {}", clientId, event, failure.toString()));
  }
}
