package io.mqttkafka.bridge.uplink;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttkafka.bridge.config.MappingSettings.Unmatched;
import io.mqttkafka.bridge.config.UplinkRule;
import io.mqttkafka.bridge.kafka.BufferSerializer;
import io.mqttkafka.bridge.kafka.KafkaSender;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.uplink.UplinkPublisher.Outcome;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One uplink message into Kafka (UplinkPublisher): the record of the public contract (README,
 * "Uplink record"), the unmatched policies, and topics that belong to someone else. Kafka is Kafka's
 * MockProducer behind the real KafkaSender; each publish runs on a Vert.x context, as from a
 * connection's event loop.
 */
@ExtendWith(VertxExtension.class)
@io.vertx.junit5.Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class UplinkPublisherTest {

  private static final String DEAD_LETTER = "test.deadletter";
  private static final List<UplinkRule> RULES = List.of(
      UplinkRule.compile(0, "telemetry", "^UL/(.+)$", "cs.uplink", null),
      UplinkRule.compile(1, "own", "^dev/${clientId}/(.+)$", "devices", null),
      UplinkRule.compile(2, "by-level", "^raw/(.+)$", "$1", null));

  private final MockProducer<String, Buffer> producer =
      new MockProducer<>(true, null, new StringSerializer(), new BufferSerializer());
  private final BridgeMetrics metrics = new BridgeMetrics(new SimpleMeterRegistry());

  @Test
  void aMappedMessageIsARecordWithTheContractHeaders(Vertx vertx, VertxTestContext test) {
    UplinkPublisher publisher = publisher(vertx, Unmatched.REJECT);
    TopicMapper.Subject car1 = publisher.subject("car1", null);

    onContext(vertx, () -> publisher.publish(car1, "UL/temp", Buffer.buffer("21.5"), 1, false, null)
        .compose(first -> publisher.publish(car1, "UL/door", Buffer.buffer("open"), 2, true, null)
            .map(second -> List.of(first, second))))
        .onComplete(test.succeeding(outcomes -> test.verify(() -> {
          assertThat(outcomes).containsExactly(Outcome.PRODUCED, Outcome.PRODUCED);
          ProducerRecord<String, Buffer> temp = producer.history().get(0);
          assertThat(temp.topic()).isEqualTo("cs.uplink");
          assertThat(temp.key()).as("default key: the client id").isEqualTo("car1");
          assertThat(temp.value().toString()).isEqualTo("21.5");
          assertThat(headers(temp)).containsExactly(
              Map.entry(HeaderNames.TOPIC, "UL/temp"), Map.entry(HeaderNames.QOS, "1"),
              Map.entry(HeaderNames.CLIENT_ID, "car1"));
          assertThat(headers(producer.history().get(1))).containsExactly(
              Map.entry(HeaderNames.TOPIC, "UL/door"), Map.entry(HeaderNames.QOS, "2"),
              Map.entry(HeaderNames.CLIENT_ID, "car1"), Map.entry(HeaderNames.RETAIN, "true"));
          test.completeNow();
        })));
  }

  @Test
  void userPropertiesBecomeHeadersExceptThoseNamedLikeTheBridgesOwn(Vertx vertx, VertxTestContext test) {
    UplinkPublisher publisher = publisher(vertx, Unmatched.REJECT);
    TopicMapper.Subject car1 = publisher.subject("car1", null);
    MqttProperties properties = new MqttProperties();
    properties.add(new MqttProperties.UserProperty("unit", "celsius"));
    properties.add(new MqttProperties.UserProperty(HeaderNames.CLIENT_ID, "car2"));
    properties.add(new MqttProperties.UserProperty("mqtt.anything", "x"));
    properties.add(new MqttProperties.UserProperty("sensor", "front"));

    onContext(vertx, () -> publisher.publish(car1, "UL/temp", Buffer.buffer("21.5"), 0, false, properties))
        .onComplete(test.succeeding(outcome -> test.verify(() -> {
          assertThat(headers(producer.history().get(0))).as("a device cannot forge the bridge's headers")
              .containsExactly(Map.entry(HeaderNames.TOPIC, "UL/temp"), Map.entry(HeaderNames.QOS, "0"),
                  Map.entry(HeaderNames.CLIENT_ID, "car1"), Map.entry("unit", "celsius"),
                  Map.entry("sensor", "front"));
          test.completeNow();
        })));
  }

  @Test
  void aRecordsUserPropertiesStayOnThatRecord(Vertx vertx, VertxTestContext test) {
    UplinkPublisher publisher = publisher(vertx, Unmatched.REJECT);
    TopicMapper.Subject car1 = publisher.subject("car1", null);
    MqttProperties properties = new MqttProperties();
    properties.add(new MqttProperties.UserProperty("unit", "celsius"));

    onContext(vertx, () -> publisher.publish(car1, "UL/temp", Buffer.buffer("21.5"), 1, true, properties)
        .compose(first -> publisher.publish(car1, "UL/temp", Buffer.buffer("21.6"), 1, false, null)))
        .onComplete(test.succeeding(outcome -> test.verify(() -> {
          assertThat(headers(producer.history().get(0))).containsExactly(
              Map.entry(HeaderNames.TOPIC, "UL/temp"), Map.entry(HeaderNames.QOS, "1"),
              Map.entry(HeaderNames.CLIENT_ID, "car1"), Map.entry(HeaderNames.RETAIN, "true"),
              Map.entry("unit", "celsius"));
          assertThat(headers(producer.history().get(1))).as("the next record of the connection: its own headers")
              .containsExactly(Map.entry(HeaderNames.TOPIC, "UL/temp"), Map.entry(HeaderNames.QOS, "1"),
                  Map.entry(HeaderNames.CLIENT_ID, "car1"));
          test.completeNow();
        })));
  }

  @Test
  void anUnmatchedTopicIsRefusedUnderReject(Vertx vertx, VertxTestContext test) {
    UplinkPublisher publisher = publisher(vertx, Unmatched.REJECT);

    onContext(vertx, () -> publisher.publish(publisher.subject("car1", null), "other/x", Buffer.buffer("p"), 1,
        false, null))
        .onComplete(test.failing(failure -> test.verify(() -> {
          assertThat(failure).isInstanceOf(RejectedTopicException.class);
          assertThat(producer.history()).isEmpty();
          test.completeNow();
        })));
  }

  @Test
  void anUnmatchedTopicIsDroppedUnderDrop(Vertx vertx, VertxTestContext test) {
    UplinkPublisher publisher = publisher(vertx, Unmatched.DROP);

    onContext(vertx, () -> publisher.publish(publisher.subject("car1", null), "other/x", Buffer.buffer("p"), 1,
        false, null))
        .onComplete(test.succeeding(outcome -> test.verify(() -> {
          assertThat(outcome).isEqualTo(Outcome.DROPPED);
          assertThat(producer.history()).isEmpty();
          test.completeNow();
        })));
  }

  @Test
  void anUnmatchedTopicGoesToTheDeadLetterTopicUnderDeadletter(Vertx vertx, VertxTestContext test) {
    UplinkPublisher publisher = publisher(vertx, Unmatched.DEADLETTER);

    onContext(vertx, () -> publisher.publish(publisher.subject("car1", null), "other/x", Buffer.buffer("p"), 1,
        false, null))
        .onComplete(test.succeeding(outcome -> test.verify(() -> {
          assertThat(outcome).isEqualTo(Outcome.DEAD_LETTERED);
          ProducerRecord<String, Buffer> record = producer.history().get(0);
          assertThat(record.topic()).isEqualTo(DEAD_LETTER);
          assertThat(record.key()).isEqualTo("car1");
          assertThat(record.value().toString()).isEqualTo("p");
          assertThat(headers(record)).containsExactly(
              Map.entry(HeaderNames.TOPIC, "other/x"), Map.entry(HeaderNames.QOS, "1"),
              Map.entry(HeaderNames.CLIENT_ID, "car1"), Map.entry(HeaderNames.REASON, "unmatched"));
          test.completeNow();
        })));
  }

  @ParameterizedTest
  @EnumSource(Unmatched.class)
  void anotherClientsTopicIsNotAuthorisedWhateverTheUnmatchedPolicy(Unmatched policy, Vertx vertx,
                                                                     VertxTestContext test) {
    UplinkPublisher publisher = publisher(vertx, policy);
    TopicMapper.Subject car1 = publisher.subject("car1", null);

    onContext(vertx, () -> publisher.publish(car1, "dev/car1/temp", Buffer.buffer("mine"), 1, false, null)
        .compose(own -> publisher.publish(car1, "dev/car2/temp", Buffer.buffer("theirs"), 1, false, null)))
        .onComplete(test.failing(failure -> test.verify(() -> {
          assertThat(failure).isInstanceOf(TopicNotAuthorizedException.class);
          assertThat(producer.history()).extracting(ProducerRecord::topic).as("only its own topic")
              .containsExactly("devices");
          test.completeNow();
        })));
  }

  @Test
  void aRuleThatRendersAnInvalidKafkaTopicRefusesTheMessage(Vertx vertx, VertxTestContext test) {
    UplinkPublisher publisher = publisher(vertx, Unmatched.DEADLETTER);

    onContext(vertx, () -> publisher.publish(publisher.subject("car1", null), "raw/a/b", Buffer.buffer("p"), 1,
        false, null))
        .onComplete(test.failing(failure -> test.verify(() -> {
          assertThat(failure).isInstanceOf(RejectedTopicException.class).hasMessageContaining("by-level");
          assertThat(producer.history()).isEmpty();
          test.completeNow();
        })));
  }

  private UplinkPublisher publisher(Vertx vertx, Unmatched unmatched) {
    KafkaSender sender = new KafkaSender(vertx, producer, 1_000_000, 60_000);
    return new UplinkPublisher(new TopicMapper(RULES), sender, unmatched, DEAD_LETTER, metrics);
  }

  /** Runs the publishing on a Vert.x context, as a connection's event loop does; its outcome comes back there. */
  private static <T> Future<T> onContext(Vertx vertx, Supplier<Future<T>> publishing) {
    Promise<T> outcome = Promise.promise();
    vertx.runOnContext(v -> publishing.get().onComplete(outcome));
    return outcome.future();
  }

  private static List<Map.Entry<String, String>> headers(ProducerRecord<String, Buffer> record) {
    return Arrays.stream(record.headers().toArray())
        .map(h -> Map.entry(h.key(), new String(h.value(), StandardCharsets.UTF_8)))
        .collect(Collectors.toList());
  }
}
