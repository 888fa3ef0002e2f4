package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.metrics.MetricTags.Limit;
import io.mqttkafka.bridge.topic.TopicLimits;
import io.mqttkafka.bridge.topic.TopicFilter;
import io.mqttkafka.bridge.records.PresenceRecord;
import io.vertx.mqtt.MqttTopicSubscription;
import io.vertx.mqtt.messages.codes.MqttSubAckReasonCode;
import io.vertx.mqtt.messages.codes.MqttUnsubAckReasonCode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One connection's downlink subscriptions, and which filters it may subscribe to: those of
 * {@code mappings.downlink.filters}, with {@code ${clientId}} expanded for this client. A requested
 * filter is granted when every topic it matches is matched by an allowed filter. Downlink is
 * delivered at QoS 0 or 1, so granted QoS is at most 1. A filter longer or deeper than
 * mqtt.limits.maxTopicLength/maxTopicLevels is refused on its own (SUBACK 0x80; MQTT 5: 0x8F Topic
 * Filter invalid); the others of the SUBSCRIBE stand. A reload changes the allowed filters and the
 * limits for the next SUBSCRIBE ({@link #reconfigure}); what was granted stays granted. Not
 * thread-safe: the connection's event loop.
 */
final class Subscriptions {

  /** Thrown for a syntactically invalid filter: a protocol error that closes the connection. */
  static final class InvalidFilterException extends Exception {
    InvalidFilterException(String message) {
      super(message, null, false, false);
    }
  }

  private static final int MAX_GRANTED_QOS = FilterCheck.MAX_GRANTED_QOS;

  private final String clientId;
  private final String username;
  private final boolean v5;
  private final Consumer<Limit> limitRejected;
  /** The templates {@link #allowed} was expanded from. */
  private List<String> allowedTemplates;
  private List<TopicFilter> allowed;
  private int maxTopicLength;
  private int maxTopicLevels;
  private final Map<String, Integer> granted = new LinkedHashMap<>();

  /**
   * @param allowedTemplates {@code mappings.downlink.filters}; a template the client id cannot fill is skipped
   * @param limitRejected    told the limit ({@link Limit#TOPIC_LENGTH} or {@link Limit#TOPIC_LEVELS}) a refused filter breaks
   */
  Subscriptions(List<String> allowedTemplates, String clientId, String username, boolean v5, int maxTopicLength,
                int maxTopicLevels, Consumer<Limit> limitRejected) {
    this.clientId = clientId;
    this.username = username;
    this.v5 = v5;
    this.limitRejected = limitRejected;
    reconfigure(allowedTemplates, maxTopicLength, maxTopicLevels);
  }

  /**
   * The allowed filters and topic limits in force for the next SUBSCRIBE; the templates are expanded
   * again only when they changed (a reference comparison when they did not).
   */
  void reconfigure(List<String> templates, int maxTopicLength, int maxTopicLevels) {
    if (templates != allowedTemplates) {
      allowed = FilterCheck.expand(templates, clientId, username);
      allowedTemplates = templates;
    }
    this.maxTopicLength = maxTopicLength;
    this.maxTopicLevels = maxTopicLevels;
  }

  /**
   * Applies a SUBSCRIBE and returns the SUBACK codes, one per requested filter, in order [MQTT-3.8.4-6].
   * Nothing changes when a filter is invalid.
   */
  List<MqttSubAckReasonCode> subscribe(List<MqttTopicSubscription> requested) throws InvalidFilterException {
    for (MqttTopicSubscription subscription : requested) {
      // [MQTT-3.8.3-1] a SUBSCRIBE with an invalid topic filter is a protocol error.
      if (!TopicFilter.isValidFilter(subscription.topicName())) {
        throw new InvalidFilterException("invalid topic filter in SUBSCRIBE");
      }
    }
    List<MqttSubAckReasonCode> codes = new ArrayList<>(requested.size());
    for (MqttTopicSubscription subscription : requested) {
      String filter = subscription.topicName();
      Limit limit = TopicLimits.check(filter, maxTopicLength, maxTopicLevels);
      if (limit != null) {
        limitRejected.accept(limit);
        codes.add(v5 ? MqttSubAckReasonCode.TOPIC_FILTER_INVALID : MqttSubAckReasonCode.UNSPECIFIED_ERROR);
        continue;
      }
      if (!isAllowed(TopicFilter.parse(filter))) {
        // MQTT 3.1.1 knows only 0x80 as a failure [MQTT-3.9.3-2]; MQTT 5 says why.
        codes.add(v5 ? MqttSubAckReasonCode.NOT_AUTHORIZED : MqttSubAckReasonCode.UNSPECIFIED_ERROR);
        continue;
      }
      int qos = Math.min(subscription.qualityOfService().value(), MAX_GRANTED_QOS);
      granted.put(filter, qos); // [MQTT-3.8.4-3] a repeated filter replaces the earlier subscription
      codes.add(qos == 0 ? MqttSubAckReasonCode.GRANTED_QOS0 : MqttSubAckReasonCode.GRANTED_QOS1);
    }
    return codes;
  }

  /**
   * Takes over a resumed session's subscriptions, each still allowed by the filters and limits in
   * force now (the configuration may have changed since); returns how many were not.
   */
  int restore(List<PresenceRecord.Subscription> resumed) {
    int dropped = 0;
    for (PresenceRecord.Subscription subscription : resumed) {
      String filter = subscription.filter();
      if (TopicLimits.check(filter, maxTopicLength, maxTopicLevels) != null || !isAllowed(TopicFilter.parse(filter))) {
        dropped++;
      } else {
        granted.put(filter, Math.min(subscription.qos(), MAX_GRANTED_QOS));
      }
    }
    return dropped;
  }

  /** Applies an UNSUBSCRIBE; returns the UNSUBACK codes (MQTT 5 only sends them). */
  List<MqttUnsubAckReasonCode> unsubscribe(List<String> filters) {
    List<MqttUnsubAckReasonCode> codes = new ArrayList<>(filters.size());
    for (String filter : filters) {
      codes.add(granted.remove(filter) != null ? MqttUnsubAckReasonCode.SUCCESS
          : MqttUnsubAckReasonCode.NO_SUBSCRIPTION_EXISTED);
    }
    return codes;
  }

  /** Withdraws filters granted by a SUBSCRIBE whose presence record could not be written. */
  void revoke(List<MqttTopicSubscription> requested, List<MqttSubAckReasonCode> codes) {
    for (int i = 0; i < requested.size(); i++) {
      if ((codes.get(i).value() & 0xFF) <= MAX_GRANTED_QOS) { // value() is a signed byte: 0x80 < 0
        granted.remove(requested.get(i).topicName());
      }
    }
  }

  List<PresenceRecord.Subscription> snapshot() {
    List<PresenceRecord.Subscription> list = new ArrayList<>(granted.size());
    granted.forEach((filter, qos) -> list.add(new PresenceRecord.Subscription(filter, qos)));
    return list;
  }

  private boolean isAllowed(TopicFilter requested) {
    return FilterCheck.coveringIndex(requested, allowed) >= 0;
  }
}
