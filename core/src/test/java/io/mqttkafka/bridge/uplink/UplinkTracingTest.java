package io.mqttkafka.bridge.uplink;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttkafka.bridge.config.MappingSettings.Unmatched;
import io.mqttkafka.bridge.config.TracingSettings;
import io.mqttkafka.bridge.config.UplinkRule;
import io.mqttkafka.bridge.kafka.BufferSerializer;
import io.mqttkafka.bridge.kafka.KafkaSender;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.trace.Tracing;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Trace context of uplink records (UplinkPublisher with tracing): a device's {@code traceparent} user
 * property is the parent of the span that runs until Kafka holds the record, and the record carries
 * the span's context; with tracing off the property is copied like any other. Kafka is Kafka's
 * MockProducer, which answers when the test says; spans go to an in-memory exporter.
 */
@ExtendWith(VertxExtension.class)
@io.vertx.junit5.Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class UplinkTracingTest {

  private static final String TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
  private static final String DEVICE_SPAN = "b7ad6b7169203331";
  private static final String DEVICE = "00-" + TRACE_ID + "-" + DEVICE_SPAN + "-01";
  private static final List<UplinkRule> RULES = List.of(UplinkRule.compile(0, "telemetry", "^UL/(.+)$", "cs.uplink",
      null));

  private final MockProducer<String, Buffer> producer =
      new MockProducer<>(false, null, new StringSerializer(), new BufferSerializer());
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final BridgeMetrics metrics = new BridgeMetrics(new SimpleMeterRegistry());

  @Test
  void aPublishWithATraceparentYieldsASpanWithThatParentEndedByKafkasAck(Vertx vertx, VertxTestContext test) {
    Tracing tracing = Tracing.create(new TracingSettings(false, true, "test", "http://127.0.0.1:4318/v1/traces"),
        SimpleSpanProcessor.create(spans));
    UplinkPublisher publisher = publisher(vertx, tracing);

    Future<UplinkPublisher.Outcome> outcome = onContext(vertx, () -> publisher.publish(publisher.subject("car1", null),
        "UL/temp", Buffer.buffer("21.5"), 1, false, traceparent(DEVICE)));
    vertx.setTimer(50, t -> test.verify(() -> {
      assertThat(spans.getFinishedSpanItems()).as("no ack from Kafka yet").isEmpty();
      producer.completeNext();
    }));
    outcome.onComplete(test.succeeding(produced -> test.verify(() -> {
      SpanData span = spans.getFinishedSpanItems().get(0);
      assertThat(span.getName()).isEqualTo("uplink");
      assertThat(span.getTraceId()).isEqualTo(TRACE_ID);
      assertThat(span.getParentSpanId()).isEqualTo(DEVICE_SPAN);
      assertThat(traceparents(producer.history().get(0))).as("the record names the bridge's span")
          .containsExactly("00-" + TRACE_ID + "-" + span.getSpanId() + "-01");
      test.completeNow();
    })));
  }

  @Test
  void withTracingOffTheTraceparentIsCopiedLikeAnyUserPropertyEvenWhenMalformed(Vertx vertx, VertxTestContext test) {
    UplinkPublisher publisher = publisher(vertx, null);

    Future<UplinkPublisher.Outcome> outcome = onContext(vertx, () -> publisher.publish(publisher.subject("car1", null),
        "UL/temp", Buffer.buffer("21.5"), 1, false, traceparent("not-a-traceparent")));
    vertx.setTimer(50, t -> producer.completeNext());
    outcome.onComplete(test.succeeding(produced -> test.verify(() -> {
      assertThat(traceparents(producer.history().get(0))).containsExactly("not-a-traceparent");
      test.completeNow();
    })));
  }

  @Test
  void generatingARecordWithoutTraceparentGetsOneAndAMalformedOneIsReplaced(Vertx vertx, VertxTestContext test) {
    Tracing tracing = Tracing.create(new TracingSettings(true, true, "test", ""));
    UplinkPublisher publisher = publisher(vertx, tracing);
    TopicMapper.Subject car1 = publisher.subject("car1", null);

    Future<List<UplinkPublisher.Outcome>> outcomes = onContext(vertx, () -> {
      Future<UplinkPublisher.Outcome> none = publisher.publish(car1, "UL/a", Buffer.buffer("1"), 0, false, null);
      Future<UplinkPublisher.Outcome> bad = publisher.publish(car1, "UL/b", Buffer.buffer("2"), 0, false,
          traceparent("00-xyz-01"));
      Future<UplinkPublisher.Outcome> good = publisher.publish(car1, "UL/c", Buffer.buffer("3"), 0, false,
          traceparent(DEVICE));
      return Future.all(none, bad, good).map(all -> List.of(none.result(), bad.result(), good.result()));
    });
    vertx.setTimer(50, t -> {
      while (producer.completeNext()) {
        // all three
      }
    });
    outcomes.onComplete(test.succeeding(produced -> test.verify(() -> {
      assertThat(traceparents(producer.history().get(0))).singleElement().asString()
          .matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
      assertThat(traceparents(producer.history().get(1))).singleElement().asString()
          .matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
      assertThat(traceparents(producer.history().get(2))).as("a valid one is kept").containsExactly(DEVICE);
      assertThat(spans.getFinishedSpanItems()).as("no spans without an endpoint").isEmpty();
      test.completeNow();
    })));
  }

  private UplinkPublisher publisher(Vertx vertx, Tracing tracing) {
    KafkaSender sender = new KafkaSender(vertx, producer, 1_000_000, 60_000);
    return new UplinkPublisher(new TopicMapper(RULES), sender, Unmatched.REJECT, "dead", metrics, tracing);
  }

  private static MqttProperties traceparent(String value) {
    MqttProperties properties = new MqttProperties();
    properties.add(new MqttProperties.UserProperty(HeaderNames.TRACEPARENT, value));
    return properties;
  }

  private static List<String> traceparents(ProducerRecord<String, Buffer> record) {
    return Arrays.stream(record.headers().toArray()).filter(h -> h.key().equals(HeaderNames.TRACEPARENT))
        .map(h -> new String(h.value(), StandardCharsets.UTF_8)).toList();
  }

  private static <T> Future<T> onContext(Vertx vertx, Supplier<Future<T>> publishing) {
    Promise<T> outcome = Promise.promise();
    vertx.runOnContext(v -> publishing.get().onComplete(outcome));
    return outcome.future();
  }
}
