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
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * One uplink message (a PUBLISH or a Will) into Kafka: maps the MQTT topic with the ordered rules,
 * builds the record of the public contract (README, "Kafka record contracts") and hands it to the sender.
 * An unmatched topic that a rule with placeholders reserves for someone else is refused as not
 * authorised; any other unmatched topic follows {@code mappings.unmatched}.
 */
public final class UplinkPublisher {

  // Shared by every record: Kafka only reads a record's headers.
  private static final Header[] QOS_HEADERS = {new RecordHeader(HeaderNames.QOS, bytes("0")),
      new RecordHeader(HeaderNames.QOS, bytes("1")), new RecordHeader(HeaderNames.QOS, bytes("2"))};
  private static final Header RETAIN_HEADER = new RecordHeader(HeaderNames.RETAIN, bytes("true"));
  private static final Header UNMATCHED_HEADER = new RecordHeader(HeaderNames.REASON, bytes("unmatched"));

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
    // Into the record's own header list: a list given to ProducerRecord would be copied.
    ProducerRecord<String, Buffer> record = new ProducerRecord<>(mapping.kafkaTopic(), null, mapping.key(), payload);
    Headers headers = record.headers()
        .add(subject.topicHeader(mqttTopic))
        .add(QOS_HEADERS[qos])
        .add(subject.clientIdHeader());
    if (retain) {
      headers.add(RETAIN_HEADER);
    }
    copyUserProperties(properties, headers);
    long startNanos = System.nanoTime();
    int ruleIndex = mapping.rule().index();
    return sender.send(record)
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
        ProducerRecord<String, Buffer> record = new ProducerRecord<>(deadLetterTopic, null, subject.clientId(), payload);
        record.headers()
            .add(subject.topicHeader(mqttTopic))
            .add(QOS_HEADERS[qos])
            .add(subject.clientIdHeader())
            .add(UNMATCHED_HEADER);
        return sender.send(record)
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

  private static void copyUserProperties(MqttProperties properties, Headers headers) {
    if (properties == null) {
      return;
    }
    // Netty declares the list with a raw element type; iterate as Object to keep javac quiet.
    for (Object property : properties.getProperties(MqttProperties.USER_PROPERTY)) {
      if (property instanceof MqttProperties.UserProperty userProperty) {
        String name = userProperty.value().key;
        if (!name.startsWith(HeaderNames.RESERVED_PREFIX)) {
          headers.add(name, bytes(userProperty.value().value));
        }
      }
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
