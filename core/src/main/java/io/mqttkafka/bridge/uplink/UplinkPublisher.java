package io.mqttkafka.bridge.uplink;

import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.kafka.OverloadedException;
import io.mqttkafka.bridge.kafka.KafkaSender;
import io.mqttkafka.bridge.config.MappingSettings.Unmatched;
import io.mqttkafka.bridge.config.UplinkRule;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.metrics.RuleMeters;
import io.mqttkafka.bridge.trace.Tracing;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.opentelemetry.api.trace.Span;
import io.vertx.core.Completable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * One uplink message (a PUBLISH or a Will) into Kafka: maps the MQTT topic with the ordered rules,
 * builds the record of the public contract (README, "Kafka record contracts") and hands it to the sender.
 * An unmatched topic that a rule with placeholders reserves for someone else is refused as not
 * authorised; any other unmatched topic follows {@code mappings.unmatched}.
 *
 * <p>The rules in force ({@link Rules}: the mapper, the unmatched policy and each rule's meters) are one
 * immutable object behind a volatile field, which a reload replaces whole ({@link #reconfigure}) and
 * each message reads once: the message then maps, counts and follows the policy of one configuration,
 * and the next message on any event loop sees the new one. A connection's {@link TopicMapper.Subject}
 * rebinds itself to the new mapper on its next message.
 */
public final class UplinkPublisher {

  // Shared by every record: Kafka only reads a record's headers.
  private static final Header[] QOS_HEADERS = {new RecordHeader(HeaderNames.QOS, bytes("0")),
      new RecordHeader(HeaderNames.QOS, bytes("1")), new RecordHeader(HeaderNames.QOS, bytes("2"))};
  private static final Header RETAIN_HEADER = new RecordHeader(HeaderNames.RETAIN, bytes("true"));
  private static final Header UNMATCHED_HEADER = new RecordHeader(HeaderNames.REASON, bytes("unmatched"));

  /** What became of an uplink message that did not fail. */
  public enum Outcome { PRODUCED, DEAD_LETTERED, DROPPED }

  /**
   * The uplink rules of one configuration: the mapper, what happens to a topic no rule matches, and
   * per rule position the rule's meters. Immutable.
   */
  public static final class Rules {
    private final TopicMapper mapper;
    private final Unmatched unmatched;
    private final RuleMeters[] meters;

    private Rules(TopicMapper mapper, Unmatched unmatched, BridgeMetrics metrics) {
      this.mapper = mapper;
      this.unmatched = unmatched;
      List<UplinkRule> rules = mapper.rules();
      this.meters = new RuleMeters[rules.size()];
      for (int i = 0; i < meters.length; i++) {
        meters[i] = metrics.ruleMeters(rules.get(i).name());
      }
    }

    public TopicMapper mapper() {
      return mapper;
    }

    public Unmatched unmatched() {
      return unmatched;
    }
  }

  private final KafkaSender sender;
  private final String deadLetterTopic;
  private final BridgeMetrics metrics;
  /** Null when tracing is off: nothing of it runs per message. */
  private final Tracing tracing;
  private volatile Rules rules;

  /** A publisher without tracing. */
  public UplinkPublisher(TopicMapper mapper, KafkaSender sender, Unmatched unmatched, String deadLetterTopic,
                         BridgeMetrics metrics) {
    this(mapper, sender, unmatched, deadLetterTopic, metrics, null);
  }

  /** @param tracing the trace context of the records and their spans; null when tracing is off */
  public UplinkPublisher(TopicMapper mapper, KafkaSender sender, Unmatched unmatched, String deadLetterTopic,
                         BridgeMetrics metrics, Tracing tracing) {
    this.tracing = tracing;
    this.sender = sender;
    this.deadLetterTopic = deadLetterTopic;
    this.metrics = metrics;
    this.rules = new Rules(mapper, unmatched, metrics);
  }

  /** The rules in force now; a later reload does not change the object returned. */
  public Rules rules() {
    return rules;
  }

  /**
   * Puts new rules in force: the next message on any connection maps with them. The meters of rules
   * whose names are gone are removed; a rule that keeps its name keeps its series.
   */
  public void reconfigure(List<UplinkRule> uplink, Unmatched unmatched) {
    Rules next = new Rules(new TopicMapper(uplink), unmatched, metrics);
    rules = next;
    metrics.retainRules(uplink.stream().map(UplinkRule::name).toList());
  }

  /**
   * The subject of one connection's messages: its client id and the authenticated user name (null for
   * an anonymous client), which fill the rules' placeholders. Create one per connection.
   */
  public TopicMapper.Subject subject(String clientId, String username) {
    return rules.mapper.subject(clientId, username);
  }

  /**
   * Sends one message; the future completes when Kafka holds it (or when it was dropped by policy): on
   * the caller's context, but a QoS 0 success on the producer's I/O thread (see the method below). Fails with {@link RejectedTopicException}, {@link TopicNotAuthorizedException},
   * {@link OverloadedException} or the producer's exception.
   */
  public Future<Outcome> publish(TopicMapper.Subject subject, String mqttTopic, Buffer payload, int qos,
                                 boolean retain, MqttProperties properties) {
    Promise<Outcome> promise = Promise.promise();
    publish(subject, mqttTopic, payload, qos, retain, properties, promise);
    return promise.future();
  }

  /**
   * As {@link #publish(TopicMapper.Subject, String, Buffer, int, boolean, MqttProperties)}, the outcome
   * handed to {@code done} instead, once: on the caller's context (before this returns when the
   * message is refused without Kafka), except that the success of a QoS 0 message, which only counts,
   * is handed over on the producer's I/O thread ({@link KafkaSender#sendCountingSuccess}), so
   * {@code done} must be thread-safe for it. The path of every PUBLISH, with one object per message
   * for its outcome and no future.
   */
  public void publish(TopicMapper.Subject subject, String mqttTopic, Buffer payload, int qos, boolean retain,
                      MqttProperties properties, Completable<Outcome> done) {
    Rules current = rules;
    subject.follow(current.mapper); // after a reload: the connection's next message maps with the new rules
    TopicMapper.Mapping mapping = current.mapper.map(mqttTopic, subject);
    if (mapping == null) {
      if (current.mapper.isSomeoneElsesTopic(mqttTopic)) {
        metrics.uplinkRejected(qos);
        done.complete(null, new TopicNotAuthorizedException("the topic belongs to another client or user"));
        return;
      }
      unmatched(current.unmatched, subject, mqttTopic, payload, qos, done);
      return;
    }
    RuleMeters meters = current.meters[mapping.position()];
    meters.matched();
    if (!TopicMapper.isValidKafkaTopic(mapping.kafkaTopic())) {
      meters.refused();
      metrics.uplinkRejected(qos);
      done.complete(null, new RejectedTopicException(
          "rule " + mapping.rule().name() + " rendered an invalid Kafka topic name"));
      return;
    }
    // Into the record's own header list: a list given to ProducerRecord would be copied.
    ProducerRecord<String, Buffer> record = new ProducerRecord<>(mapping.kafkaTopic(), null, mapping.key(), payload);
    Headers headers = record.headers()
        .add(subject.topicHeader(mqttTopic))
        .add(QOS_HEADERS[qos])
        .add(subject.clientIdHeader());
    if (retain) {
      headers.add(RETAIN_HEADER);
    }
    PropertyHeaders.copy(properties, headers);
    Span span = tracing == null ? null : tracing.uplink(headers, mapping.kafkaTopic(), subject.clientId(), qos);
    Written written = new Written(meters, qos, payload.length(), span, done);
    if (qos == 0) {
      sender.sendCountingSuccess(record, written);
    } else {
      sender.send(record, written);
    }
  }

  /**
   * The outcome of one record sent to Kafka: counted, its span ended, then handed on. A success may
   * come on the producer's I/O thread: all it touches is thread-safe.
   */
  private final class Written implements Completable<RecordMetadata> {
    private final RuleMeters meters;
    private final int qos;
    private final int bytes;
    private final Span span;
    private final Completable<Outcome> done;
    private final long startNanos = System.nanoTime();

    Written(RuleMeters meters, int qos, int bytes, Span span, Completable<Outcome> done) {
      this.meters = meters;
      this.qos = qos;
      this.bytes = bytes;
      this.span = span;
      this.done = done;
    }

    @Override
    public void complete(RecordMetadata metadata, Throwable failure) {
      if (span != null) {
        Tracing.end(span, failure);
      }
      if (failure == null) {
        metrics.uplinkProduced(qos, bytes, System.nanoTime() - startNanos);
        meters.written();
        done.complete(Outcome.PRODUCED, null);
        return;
      }
      boolean overloaded = failure instanceof OverloadedException;
      if (overloaded) {
        meters.dropped();
      } else {
        meters.failed();
      }
      metrics.uplinkFailed(qos, overloaded);
      done.complete(null, failure);
    }
  }

  /** See {@link KafkaSender#afterCompletions}: once per batch of outcomes, on the calling context. */
  public boolean afterCompletions(Runnable task) {
    return sender.afterCompletions(task);
  }

  /** See {@link KafkaSender#congested()}: publishers should be slowed down. */
  public boolean congested() {
    return sender.congested();
  }

  /** See {@link KafkaSender#drained()}: slowed-down publishers may go on. */
  public boolean drained() {
    return sender.drained();
  }

  private void unmatched(Unmatched unmatched, TopicMapper.Subject subject, String mqttTopic, Buffer payload,
                         int qos, Completable<Outcome> done) {
    switch (unmatched) {
      case DROP:
        metrics.uplinkDroppedUnmatched(qos);
        done.complete(Outcome.DROPPED, null);
        return;
      case DEADLETTER:
        ProducerRecord<String, Buffer> record = new ProducerRecord<>(deadLetterTopic, null, subject.clientId(), payload);
        record.headers()
            .add(subject.topicHeader(mqttTopic))
            .add(QOS_HEADERS[qos])
            .add(subject.clientIdHeader())
            .add(UNMATCHED_HEADER);
        sender.send(record, (metadata, failure) -> {
          if (failure == null) {
            metrics.uplinkDeadLettered(qos);
            done.complete(Outcome.DEAD_LETTERED, null);
          } else {
            metrics.uplinkFailed(qos, failure instanceof OverloadedException);
            done.complete(null, failure);
          }
        });
        return;
      default:
        metrics.uplinkRejected(qos);
        done.complete(null, new RejectedTopicException("no mapping rule matches the topic"));
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
