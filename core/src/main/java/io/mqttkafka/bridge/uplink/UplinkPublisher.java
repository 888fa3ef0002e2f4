package io.mqttkafka.bridge.uplink;

import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.kafka.OverloadedException;
import io.mqttkafka.bridge.kafka.KafkaSender;
import io.mqttkafka.bridge.config.MappingSettings.Unmatched;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * One uplink message (a PUBLISH or a Will) into Kafka: maps the MQTT topic with the ordered rules,
 * builds the record of the public contract (README, "Kafka record contracts") and hands it to the sender.
 * An unmatched topic that a rule with placeholders reserves for someone else is refused as not
 * authorised; any other unmatched topic follows {@code mappings.unmatched}.
 */
public final class UplinkPublisher {

  private static final byte[][] QOS_BYTES = {bytes("0"), bytes("1"), bytes("2")};
  private static final byte[] TRUE = bytes("true");
  private static final byte[] UNMATCHED = bytes("unmatched");

  /** What became of an uplink message that did not fail. */
  public enum Outcome { PRODUCED, DEAD_LETTERED, DROPPED }

  private final TopicMapper mapper;
  private final KafkaSender sender;
  private final Unmatched unmatched;
  private final String deadLetterTopic;
  private final BridgeMetrics metrics;

  public UplinkPublisher(TopicMapper mapper, KafkaSender sender, Unmatched unmatched, String deadLetterTopic,
                         BridgeMetrics metrics) {
    this.mapper = mapper;
    this.sender = sender;
    this.unmatched = unmatched;
    this.deadLetterTopic = deadLetterTopic;
    this.metrics = metrics;
  }

  /**
   * The subject of one connection's messages: its client id and the authenticated user name (null for
   * an anonymous client), which fill the rules' placeholders. Create one per connection.
   */
  public TopicMapper.Subject subject(String clientId, String username) {
    return mapper.subject(clientId, username);
  }

  /**
   * Sends one message; the future completes on the caller's context when Kafka holds it (or when it
   * was dropped by policy). Fails with {@link RejectedTopicException}, {@link TopicNotAuthorizedException},
   * {@link OverloadedException} or the producer's exception.
   */
  public Future<Outcome> publish(TopicMapper.Subject subject, String mqttTopic, Buffer payload, int qos,
                                 boolean retain, MqttProperties properties) {
    TopicMapper.Mapping mapping = mapper.map(mqttTopic, subject);
    if (mapping == null) {
      if (mapper.isSomeoneElsesTopic(mqttTopic)) {
        metrics.uplinkRejected(qos);
        return Future.failedFuture(new TopicNotAuthorizedException("the topic belongs to another client or user"));
      }
      return unmatched(subject, mqttTopic, payload, qos);
    }
    if (!TopicMapper.isValidKafkaTopic(mapping.kafkaTopic())) {
      metrics.uplinkRejected(qos);
      return Future.failedFuture(new RejectedTopicException(
          "rule " + mapping.rule().name() + " rendered an invalid Kafka topic name"));
    }
    Headers headers = new RecordHeaders()
        .add(HeaderNames.TOPIC, subject.topicUtf8(mqttTopic))
        .add(HeaderNames.QOS, QOS_BYTES[qos])
        .add(HeaderNames.CLIENT_ID, subject.clientIdUtf8());
    if (retain) {
      headers.add(HeaderNames.RETAIN, TRUE);
    }
    PropertyHeaders.copy(properties, headers);
    long startNanos = System.nanoTime();
    int ruleIndex = mapping.rule().index();
    return sender.send(new ProducerRecord<>(mapping.kafkaTopic(), null, mapping.key(), payload, headers))
        .map(metadata -> {
          metrics.uplinkProduced(qos, ruleIndex, payload.length(), System.nanoTime() - startNanos);
          return Outcome.PRODUCED;
        })
        .onFailure(failure -> metrics.uplinkFailed(qos, failure instanceof OverloadedException));
  }

  /** See {@link KafkaSender#congested()}: publishers should be slowed down. */
  public boolean congested() {
    return sender.congested();
  }

  /** See {@link KafkaSender#drained()}: slowed-down publishers may go on. */
  public boolean drained() {
    return sender.drained();
  }

  private Future<Outcome> unmatched(TopicMapper.Subject subject, String mqttTopic, Buffer payload, int qos) {
    switch (unmatched) {
      case DROP:
        metrics.uplinkDroppedUnmatched(qos);
        return Future.succeededFuture(Outcome.DROPPED);
      case DEADLETTER:
        Headers headers = new RecordHeaders()
            .add(HeaderNames.TOPIC, subject.topicUtf8(mqttTopic))
            .add(HeaderNames.QOS, QOS_BYTES[qos])
            .add(HeaderNames.CLIENT_ID, subject.clientIdUtf8())
            .add(HeaderNames.REASON, UNMATCHED);
        return sender.send(new ProducerRecord<>(deadLetterTopic, null, subject.clientId(), payload, headers))
            .map(metadata -> {
              metrics.uplinkDeadLettered(qos);
              return Outcome.DEAD_LETTERED;
            })
            .onFailure(failure -> metrics.uplinkFailed(qos, failure instanceof OverloadedException));
      default:
        metrics.uplinkRejected(qos);
        return Future.failedFuture(new RejectedTopicException("no mapping rule matches the topic"));
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
