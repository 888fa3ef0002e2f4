package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.config.MqttSettings;
import io.mqttkafka.bridge.metrics.MetricTags.Limit;
import io.mqttkafka.bridge.topic.TopicFilter;
import io.mqttkafka.bridge.topic.TopicLimits;
import java.util.ArrayList;
import java.util.List;

/**
 * Which SUBSCRIBE filters a client may hold: {@code mappings.downlink.filters} expanded for its client id
 * and user name, and the topic limits. {@link Subscriptions} decides a SUBSCRIBE with it; the admin API
 * asks it what a SUBSCRIBE would get ({@link #check}), in the same order of checks.
 */
public final class FilterCheck {

  /** The highest QoS the bridge grants: downlink goes out at QoS 0 or 1. */
  public static final int MAX_GRANTED_QOS = 1;

  /** What a SUBSCRIBE of one filter gets. */
  public enum Verdict {
    /** Granted at {@link Result#grantedQos}, covered by {@link Result#allowedBy}. */
    GRANTED,
    /** Not a valid MQTT topic filter: the SUBSCRIBE is a protocol error that closes the connection. */
    INVALID_FILTER,
    /** Longer than mqtt.limits.maxTopicLength (UTF-8 bytes): SUBACK 0x80 (MQTT 5: 0x8F). */
    TOPIC_LENGTH,
    /** More levels than mqtt.limits.maxTopicLevels: SUBACK 0x80 (MQTT 5: 0x8F). */
    TOPIC_LEVELS,
    /** No allowed filter covers it: SUBACK 0x80 (MQTT 5: 0x87). */
    NOT_AUTHORIZED
  }

  /**
   * @param allowedBy  the allowed filter template that covers the filter, for {@link Verdict#GRANTED}; else null
   * @param grantedQos the QoS granted, or -1 when refused
   */
  public record Result(Verdict verdict, String allowedBy, int grantedQos) {
  }

  private FilterCheck() {
  }

  /**
   * What a SUBSCRIBE of {@code filter} at {@code qos} by this client would get now.
   *
   * @param templates {@code mappings.downlink.filters}
   * @param username  the authenticated user name, or null for an anonymous client
   */
  public static Result check(List<String> templates, MqttSettings.Limits limits, String clientId, String username,
                             String filter, int qos) {
    if (!TopicFilter.isValidFilter(filter)) {
      return new Result(Verdict.INVALID_FILTER, null, -1);
    }
    Limit limit = TopicLimits.check(filter, limits.maxTopicLength(), limits.maxTopicLevels());
    if (limit != null) {
      return new Result(limit == Limit.TOPIC_LENGTH ? Verdict.TOPIC_LENGTH : Verdict.TOPIC_LEVELS, null, -1);
    }
    TopicFilter requested = TopicFilter.parse(filter);
    for (String template : templates) {
      String expanded = TopicFilter.expand(template, clientId, username);
      if (expanded != null && requested.isCoveredBy(TopicFilter.parse(expanded))) {
        return new Result(Verdict.GRANTED, template, Math.min(Math.max(qos, 0), MAX_GRANTED_QOS));
      }
    }
    return new Result(Verdict.NOT_AUTHORIZED, null, -1);
  }

  /** The templates expanded for one client; a template the client's values cannot fill is left out. */
  static List<TopicFilter> expand(List<String> templates, String clientId, String username) {
    List<TopicFilter> filters = new ArrayList<>(templates.size());
    for (String template : templates) {
      String expanded = TopicFilter.expand(template, clientId, username);
      if (expanded != null) {
        filters.add(TopicFilter.parse(expanded));
      }
    }
    return filters;
  }

  /** The position of the first allowed filter that covers {@code requested}, or -1. */
  static int coveringIndex(TopicFilter requested, List<TopicFilter> allowed) {
    for (int i = 0; i < allowed.size(); i++) {
      if (requested.isCoveredBy(allowed.get(i))) {
        return i;
      }
    }
    return -1;
  }
}
