package io.mqttkafka.bridge.admin;

import io.mqttkafka.bridge.config.MappingSettings.Unmatched;
import io.mqttkafka.bridge.config.MqttSettings;
import io.mqttkafka.bridge.config.UplinkRule;
import io.mqttkafka.bridge.metrics.MetricTags.Limit;
import io.mqttkafka.bridge.mqtt.FilterCheck;
import io.mqttkafka.bridge.mqtt.LiveSettings;
import io.mqttkafka.bridge.topic.TopicFilter;
import io.mqttkafka.bridge.topic.TopicLimits;
import io.mqttkafka.bridge.uplink.TopicMapper;
import io.mqttkafka.bridge.uplink.UplinkPublisher;
import java.util.Locale;

/**
 * The admin API's topic tester: what the configuration in force on this instance does with a PUBLISH
 * topic or a SUBSCRIBE filter of a given client, with the checks a real packet goes through, in the same
 * order (topic validity, {@code mqtt.limits}, the rules or the allowed filters, {@code mappings.unmatched}).
 */
final class TopicTests {

  /** A rule as the API shows it. */
  record RuleView(int index, String name, String match, String topic, String key) {
    static RuleView of(UplinkRule rule) {
      return new RuleView(rule.index(), rule.name(), rule.match(), rule.topic(), rule.key());
    }
  }

  /**
   * What becomes of a PUBLISH.
   *
   * @param outcome    {@code written} (to {@code kafkaTopic} with {@code key}), {@code dead_lettered},
   *                   {@code dropped} or {@code refused}
   * @param reason     why refused: {@code invalid_topic}, {@code topic_length}, {@code topic_levels},
   *                   {@code not_authorized}, {@code invalid_kafka_topic} or {@code no_rule}; else null
   * @param rule       the rule that matched, or null
   */
  record UplinkTest(String clientId, String username, String topic, String outcome, String reason, String detail,
                    RuleView rule, String kafkaTopic, String key) {
  }

  /**
   * What a SUBSCRIBE of one filter gets.
   *
   * @param outcome {@code granted} or {@code refused}
   * @param reason  why refused: {@code invalid_filter}, {@code topic_length}, {@code topic_levels},
   *                {@code not_authorized}; else null
   */
  record SubscriptionTest(String clientId, String username, String filter, String outcome, String reason,
                          int grantedQos, String allowedBy) {
  }

  private final UplinkPublisher uplink;
  private final LiveSettings settings;
  private final String deadLetterTopic;

  TopicTests(UplinkPublisher uplink, LiveSettings settings, String deadLetterTopic) {
    this.uplink = uplink;
    this.settings = settings;
    this.deadLetterTopic = deadLetterTopic;
  }

  /** @param username the user name, or null for an anonymous client */
  UplinkTest uplink(String clientId, String username, String topic) {
    if (topic.isEmpty() || !TopicFilter.isValidTopicName(topic)) {
      return refused(clientId, username, topic, "invalid_topic",
          "not an MQTT topic name (empty, or with '+', '#' or U+0000): the connection is closed", null, null);
    }
    MqttSettings.Limits limits = settings.current().mqtt().limits();
    Limit limit = TopicLimits.check(topic, limits.maxTopicLength(), limits.maxTopicLevels());
    if (limit != null) {
      return refused(clientId, username, topic, limit.metricTag(), limit == Limit.TOPIC_LENGTH
          ? "longer than mqtt.limits.maxTopicLength (" + limits.maxTopicLength() + " bytes)"
          : "more levels than mqtt.limits.maxTopicLevels (" + limits.maxTopicLevels() + ")", null, null);
    }
    UplinkPublisher.Rules rules = uplink.rules();
    TopicMapper mapper = rules.mapper();
    TopicMapper.Mapping mapping = mapper.map(topic, mapper.subject(clientId, username));
    if (mapping != null) {
      RuleView rule = RuleView.of(mapping.rule());
      if (!TopicMapper.isValidKafkaTopic(mapping.kafkaTopic())) {
        return refused(clientId, username, topic, "invalid_kafka_topic", "rule " + rule.name()
            + " renders a name Kafka does not accept as a topic", rule, mapping.kafkaTopic());
      }
      return new UplinkTest(clientId, username, topic, "written", null, "rule " + rule.name() + " matches", rule,
          mapping.kafkaTopic(), mapping.key());
    }
    if (mapper.isSomeoneElsesTopic(topic)) {
      return refused(clientId, username, topic, "not_authorized",
          "a rule with placeholders reserves the topic for another client id or user name", null, null);
    }
    Unmatched unmatched = rules.unmatched();
    return switch (unmatched) {
      case REJECT -> refused(clientId, username, topic, "no_rule", "no rule matches; mappings.unmatched is reject",
          null, null);
      case DEADLETTER -> new UplinkTest(clientId, username, topic, "dead_lettered", null,
          "no rule matches; mappings.unmatched is deadletter", null, deadLetterTopic, clientId);
      case DROP -> new UplinkTest(clientId, username, topic, "dropped", null,
          "no rule matches; mappings.unmatched is drop", null, null, null);
    };
  }

  /** @param username the user name, or null for an anonymous client */
  SubscriptionTest subscription(String clientId, String username, String filter, int qos) {
    LiveSettings.Current current = settings.current();
    FilterCheck.Result result = FilterCheck.check(current.downlink().filters(), current.mqtt().limits(), clientId,
        username, filter, qos);
    boolean granted = result.verdict() == FilterCheck.Verdict.GRANTED;
    return new SubscriptionTest(clientId, username, filter, granted ? "granted" : "refused",
        granted ? null : result.verdict().name().toLowerCase(Locale.ROOT), result.grantedQos(), result.allowedBy());
  }

  private static UplinkTest refused(String clientId, String username, String topic, String reason, String detail,
                                    RuleView rule, String kafkaTopic) {
    return new UplinkTest(clientId, username, topic, "refused", reason, detail, rule, kafkaTopic, null);
  }
}
