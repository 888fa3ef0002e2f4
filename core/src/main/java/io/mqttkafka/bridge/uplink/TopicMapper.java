package io.mqttkafka.bridge.uplink;

import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.topic.TopicFilter;
import io.mqttkafka.bridge.config.UplinkRule;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * Maps an MQTT topic to a Kafka topic and record key by an ordered list of rules, compiled by the
 * configuration ({@link UplinkRule}): the first rule whose regex matches the whole MQTT topic wins,
 * and its topic and key templates render the result (the template language: {@code topic.TopicTemplate}).
 *
 * <p>A rule's regex may contain {@code ${clientId}} and {@code ${username}}: each stands for the
 * literal value of the connection the message comes from, so that a device can only publish under its
 * own topics. A rule without them is compiled once and shared; a rule with them is compiled for a
 * connection when that connection first reaches it ({@link Subject}). A rule that uses
 * {@code ${username}} anywhere (regex, topic or key) never matches an anonymous client, and a value
 * that is not exactly one topic level (empty, or containing '/', '+', '#' or U+0000) fills no
 * placeholder: such a rule never matches that connection either.
 *
 * <p>A topic template that uses references can still render an illegal Kafka topic name (say $1
 * captured "a/b"); callers check {@link #isValidKafkaTopic} and reject that publish.
 */
public final class TopicMapper {

  /** The key template of a rule that sets none: records of one client keep their order. */
  public static final String DEFAULT_KEY_TEMPLATE = UplinkRule.DEFAULT_KEY;

  /**
   * The values the placeholders stand for on one connection, and the rules of one mapper compiled for
   * them. One per connection; used on that connection's event loop only. It also keeps what would
   * otherwise be made anew for every message of the connection: one {@link Matcher} per rule, reset
   * for each topic, the UTF-8 of the client id and of the last topic for the record's headers, and
   * those headers themselves: Kafka only reads a record's headers, so every record of the connection
   * can carry the same header objects.
   *
   * <p>When a reload replaced the mapper, the publisher moves the subject over to the new one before
   * it maps ({@link #follow}): the subject drops what it compiled for the old one's rules and starts
   * over. That is safe without locks because a subject is confined to its connection's event loop,
   * and a mapper is immutable.
   */
  public static final class Subject {
    private TopicMapper mapper;
    private final String clientId;
    private final String username;
    /** Per rule position: the rule's regex compiled for this subject; null until first needed. */
    private Pattern[] own;
    /** Per rule position: a matcher of the rule's regex for this subject; null until first needed. */
    private Matcher[] matchers;
    private byte[] clientIdUtf8;
    private String lastTopic;
    private byte[] lastTopicUtf8;
    private Header clientIdHeader;
    private Header lastTopicHeader;

    private Subject(TopicMapper mapper, String clientId, String username) {
      this.mapper = mapper;
      this.clientId = Objects.requireNonNull(clientId, "clientId");
      this.username = username;
    }

    /**
     * Moves this subject to {@code next} if it belongs to another mapper: forgets the patterns and
     * matchers of the old one's rules, keeps the UTF-8 caches. A reference comparison when it does not.
     */
    void follow(TopicMapper next) {
      if (mapper != next) {
        mapper = next;
        own = null;
        matchers = null;
      }
    }

    public String clientId() {
      return clientId;
    }

    /** The client id in UTF-8; the caller must not change the array. */
    byte[] clientIdUtf8() {
      if (clientIdUtf8 == null) {
        clientIdUtf8 = clientId.getBytes(StandardCharsets.UTF_8);
      }
      return clientIdUtf8;
    }

    /**
     * {@code topic} in UTF-8, from a one-entry cache: a device sends to the same topic again and
     * again. The caller must not change the array.
     */
    byte[] topicUtf8(String topic) {
      if (!topic.equals(lastTopic)) {
        lastTopicUtf8 = topic.getBytes(StandardCharsets.UTF_8);
        lastTopic = topic;
      }
      return lastTopicUtf8;
    }

    /** The {@code mqtt.client.id} header of this subject's records. */
    Header clientIdHeader() {
      if (clientIdHeader == null) {
        clientIdHeader = new RecordHeader(HeaderNames.CLIENT_ID, clientIdUtf8());
      }
      return clientIdHeader;
    }

    /** The {@code mqtt.topic} header of {@code topic}, from the same one-entry cache as {@link #topicUtf8}. */
    Header topicHeader(String topic) {
      byte[] utf8 = topicUtf8(topic);
      if (lastTopicHeader == null || lastTopicHeader.value() != utf8) {
        lastTopicHeader = new RecordHeader(HeaderNames.TOPIC, utf8);
      }
      return lastTopicHeader;
    }

    /** The regex of rule {@code position}, compiled for this subject on first use; the caller checked canFill. */
    private Pattern pattern(int position) {
      if (own == null) {
        own = new Pattern[mapper.rules.length];
      }
      Pattern pattern = own[position];
      if (pattern == null) {
        pattern = mapper.rules[position].pattern().forSubject(clientId, username);
        own[position] = pattern;
      }
      return pattern;
    }

    /** This subject's matcher of rule {@code position}'s {@code pattern}, reset to {@code topic}. */
    private Matcher matcher(int position, Pattern pattern, String topic) {
      if (matchers == null) {
        matchers = new Matcher[mapper.rules.length];
      }
      Matcher m = matchers[position];
      if (m == null) {
        m = pattern.matcher(topic);
        matchers[position] = m;
        return m;
      }
      return m.reset(topic);
    }
  }

  /**
   * The rule that matched, its position in this mapper, and what it rendered; check {@code kafkaTopic}
   * with {@link #isValidKafkaTopic}.
   */
  public record Mapping(UplinkRule rule, int position, String kafkaTopic, String key) {}

  private final UplinkRule[] rules;
  /** Per rule: its regex shared by every subject; null when it has placeholders (compiled per subject). */
  private final Pattern[] shared;
  /** Per rule: ${username} appears in the regex, topic or key; it never matches an anonymous client. */
  private final boolean[] needsUsername;
  /** Per rule: the regex uses ${clientId}. */
  private final boolean[] needsClientId;
  /** Per rule: the regex's shape when the rule's topics belong to someone; otherwise null. */
  private final Pattern[] reserved;

  /** @param rules the rules in their order; copied */
  public TopicMapper(List<UplinkRule> rules) {
    this.rules = rules.toArray(UplinkRule[]::new);
    int n = this.rules.length;
    shared = new Pattern[n];
    needsUsername = new boolean[n];
    needsClientId = new boolean[n];
    reserved = new Pattern[n];
    for (int i = 0; i < n; i++) {
      UplinkRule rule = Objects.requireNonNull(this.rules[i], "rule");
      shared[i] = rule.pattern().shared();
      needsUsername[i] = rule.usesUsername();
      needsClientId[i] = rule.pattern().usesClientId();
      reserved[i] = rule.pattern().hasPlaceholders() || needsUsername[i] ? rule.pattern().shape() : null;
    }
  }

  /**
   * The subject of one connection's messages, for this mapper only.
   *
   * @param clientId the MQTT client id, never {@code null}
   * @param username the authenticated user name, or {@code null} for an anonymous client
   */
  public Subject subject(String clientId, String username) {
    return new Subject(this, clientId, username);
  }

  /** {@link #map(String, Subject)} for an anonymous client, for the tests; allocates a {@link Subject} per call. */
  Mapping map(String mqttTopic, String clientId) {
    return map(mqttTopic, subject(clientId, null));
  }

  /**
   * @return the mapping of the first rule whose regex matches all of {@code mqttTopic} for
   *     {@code subject}, or {@code null}
   * @throws IllegalArgumentException for a subject of another mapper (see {@link Subject#follow})
   */
  public Mapping map(String mqttTopic, Subject subject) {
    if (subject.mapper != this) {
      throw new IllegalArgumentException("the subject belongs to another TopicMapper");
    }
    for (int i = 0; i < rules.length; i++) {
      Pattern pattern = shared[i];
      if (pattern == null || needsUsername[i]) {
        if (!canFill(i, subject)) {
          continue;
        }
        if (pattern == null) {
          pattern = subject.pattern(i);
        }
      }
      Matcher m = subject.matcher(i, pattern, mqttTopic);
      if (m.matches()) {
        UplinkRule rule = rules[i];
        return new Mapping(rule, i, rule.topicTemplate().render(m, subject.clientId, subject.username),
            rule.keyTemplate().render(m, subject.clientId, subject.username));
      }
    }
    return null;
  }

  /** The rules in their order. */
  public List<UplinkRule> rules() {
    return List.of(rules);
  }

  /** Whether the subject has the values rule {@code i}'s placeholders need. */
  private boolean canFill(int i, Subject subject) {
    return (!needsUsername[i] || TopicFilter.isSafeLevelValue(subject.username))
        && (!needsClientId[i] || TopicFilter.isSafeLevelValue(subject.clientId));
  }

  /**
   * Whether a rule with placeholders would match {@code mqttTopic} for some other client id or user
   * name, or for a client with a user name: an unmapped topic that belongs to someone else, so its
   * refusal is a matter of authorisation. Only for the refusal path: it matches the topic against
   * every such rule.
   */
  public boolean isSomeoneElsesTopic(String mqttTopic) {
    for (Pattern shape : reserved) {
      if (shape != null && shape.matcher(mqttTopic).matches()) {
        return true;
      }
    }
    return false;
  }

  /** Whether Kafka accepts {@code name} as a topic name: 1..249 of [a-zA-Z0-9._-], not "." or "..". */
  public static boolean isValidKafkaTopic(String name) {
    return UplinkRule.isValidKafkaTopic(name);
  }
}
