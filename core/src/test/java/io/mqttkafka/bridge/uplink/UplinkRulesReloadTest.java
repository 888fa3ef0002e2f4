package io.mqttkafka.bridge.uplink;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttkafka.bridge.config.MappingSettings.Unmatched;
import io.mqttkafka.bridge.config.UplinkRule;
import io.mqttkafka.bridge.kafka.BufferSerializer;
import io.mqttkafka.bridge.kafka.KafkaSender;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The uplink rules a reload replaces (UplinkPublisher.reconfigure): a connection's subject follows the
 * new mapper at its next message, and each rule counts its messages by name and outcome; a rule that is
 * gone loses its series, one that keeps its name keeps its counts.
 */
@ExtendWith(VertxExtension.class)
@io.vertx.junit5.Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class UplinkRulesReloadTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final BridgeMetrics metrics = new BridgeMetrics(registry);

  @Test
  void theSameSubjectMapsWithTheNewRulesAfterAReload(Vertx vertx, VertxTestContext test) {
    MockProducer<String, Buffer> producer = new MockProducer<>(true, null, new StringSerializer(),
        new BufferSerializer());
    UplinkPublisher publisher = publisher(vertx, producer, List.of(
        UplinkRule.compile(0, "own", "^UL/${clientId}/(.+)$", "before", null)));
    TopicMapper.Subject car = publisher.subject("car1", null);

    onContext(vertx, () -> publisher.publish(car, "UL/car1/a", Buffer.buffer("1"), 1, false, null)
        .compose(first -> {
          publisher.reconfigure(List.of(UplinkRule.compile(0, "own", "^UL/${clientId}/(.+)$", "after", null)),
              Unmatched.REJECT);
          return publisher.publish(car, "UL/car1/b", Buffer.buffer("2"), 1, false, null);
        }))
        .onComplete(test.succeeding(done -> test.verify(() -> {
          assertThat(producer.history()).extracting(ProducerRecord::topic).containsExactly("before", "after");
          assertThat(count("own", "matched")).isEqualTo(2);
          assertThat(count("own", "written")).as("a rule that keeps its name keeps its series").isEqualTo(2);
          test.completeNow();
        })));
  }

  @Test
  void eachOutcomeOfARuleIsCountedUnderItsName(Vertx vertx, VertxTestContext test) {
    MockProducer<String, Buffer> producer = new MockProducer<>(false, null, new StringSerializer(),
        new BufferSerializer());
    UplinkPublisher publisher = publisher(vertx, producer, List.of(
        UplinkRule.compile(0, "telemetry", "^UL/(.+)$", "cs.uplink", null),
        UplinkRule.compile(1, "by-level", "^raw/(.+)$", "$1", null)));
    TopicMapper.Subject car = publisher.subject("car1", null);

    onContext(vertx, () -> {
      Future<?> written = publisher.publish(car, "UL/a", Buffer.buffer("1"), 1, false, null);
      Future<?> failed = publisher.publish(car, "UL/b", Buffer.buffer("2"), 1, false, null);
      Future<?> refused = publisher.publish(car, "raw/a/b", Buffer.buffer("3"), 1, false, null);
      vertx.setTimer(50, id -> {
        producer.completeNext();
        producer.errorNext(new RecordTooLargeException("too large"));
      });
      return Future.join(written, failed, refused).otherwiseEmpty().mapEmpty();
    }).onComplete(test.succeeding(done -> test.verify(() -> {
      assertThat(count("telemetry", "matched")).isEqualTo(2);
      assertThat(count("telemetry", "written")).isEqualTo(1);
      assertThat(count("telemetry", "failed")).isEqualTo(1);
      assertThat(count("by-level", "matched")).isEqualTo(1);
      assertThat(count("by-level", "refused")).isEqualTo(1);
      assertThat(count("by-level", "dropped")).isZero();
      test.completeNow();
    })));
  }

  @Test
  void aReloadRemovesTheSeriesOfRulesThatAreGoneOrRenamed(Vertx vertx) {
    UplinkPublisher publisher = publisher(vertx, new MockProducer<>(true, null, new StringSerializer(),
        new BufferSerializer()), List.of(UplinkRule.compile(0, "telemetry", "^UL/(.+)$", "t", null),
        UplinkRule.compile(1, "alarms", "^AL/(.+)$", "a", null)));
    assertThat(ruleNames()).containsExactlyInAnyOrder("telemetry", "alarms");

    publisher.reconfigure(List.of(UplinkRule.compile(0, "positions", "^UL/(.+)$", "t", null),
        UplinkRule.compile(1, "alarms", "^AL/(.+)$", "a2", null)), Unmatched.DROP);

    assertThat(ruleNames()).containsExactlyInAnyOrder("positions", "alarms");
    assertThat(publisher.rules().unmatched()).isEqualTo(Unmatched.DROP);
  }

  private List<String> ruleNames() {
    return registry.find("mqtt.bridge.uplink.rule.messages").counters().stream()
        .map(c -> c.getId().getTag("rule")).distinct().toList();
  }

  private double count(String rule, String outcome) {
    var counter = registry.find("mqtt.bridge.uplink.rule.messages").tag("rule", rule).tag("outcome", outcome)
        .counter();
    return counter == null ? -1 : counter.count();
  }

  private UplinkPublisher publisher(Vertx vertx, MockProducer<String, Buffer> producer, List<UplinkRule> rules) {
    return new UplinkPublisher(new TopicMapper(rules), new KafkaSender(vertx, producer, 1_000_000, 60_000),
        Unmatched.REJECT, "dead", metrics);
  }

  private static <T> Future<T> onContext(Vertx vertx, Supplier<Future<T>> publishing) {
    Promise<T> outcome = Promise.promise();
    vertx.runOnContext(v -> publishing.get().onComplete(outcome));
    return outcome.future();
  }
}
