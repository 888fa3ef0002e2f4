package io.mqttkafka.bridge.downlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttkafka.bridge.bus.DownlinkMessage;
import io.mqttkafka.bridge.config.TracingSettings;
import io.mqttkafka.bridge.kafka.BufferSerializer;
import io.mqttkafka.bridge.kafka.KafkaSender;
import io.mqttkafka.bridge.kafka.ReceiptWriter;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.records.DownlinkProperties;
import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.records.TraceHeaders;
import io.mqttkafka.bridge.testsupport.FakeMqttEndpoint;
import io.mqttkafka.bridge.trace.Tracing;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Trace context on the downlink to one device (DeviceDelivery): every receipt of a record carries the
 * record's {@code traceparent} and {@code tracestate} headers, and with spans on, a span runs from the
 * PUBLISH to the message's final receipt, a child of the record's context. Receipts go through the
 * real ReceiptWriter into Kafka's MockProducer; spans into an in-memory exporter.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class DeliveryTracingTest {

  private static final String TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
  private static final String RECORD_SPAN = "b7ad6b7169203331";
  private static final TraceHeaders TRACE = new TraceHeaders("00-" + TRACE_ID + "-" + RECORD_SPAN + "-01",
      "congo=t61rcWkgMzE");
  private static final long ACK_TIMEOUT_MS = 30_000;

  private final ManualClock clock = new ManualClock();
  private final FakeMqttEndpoint endpoint = new FakeMqttEndpoint("car1", 5);
  private final MockProducer<String, Buffer> producer =
      new MockProducer<>(true, null, new StringSerializer(), new BufferSerializer());
  private final BridgeMetrics metrics = new BridgeMetrics(new SimpleMeterRegistry());
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private ReceiptWriter receipts;

  @BeforeEach
  void receiptWriter(Vertx vertx) {
    receipts = new ReceiptWriter(new KafkaSender(vertx, producer, 100_000_000, 60_000), "test.receipts", "i-test",
        metrics);
  }

  @Test
  void everyReceiptCarriesTheRecordsTraceContext() {
    DeviceDelivery delivery = delivery(null);

    delivery.deliver(message(1, 1, TRACE));
    delivery.onPuback(1);

    assertThat(producer.history()).extracting(DeliveryTracingTest::status, r -> header(r, HeaderNames.TRACEPARENT),
        r -> header(r, HeaderNames.TRACESTATE)).containsExactly(
        tuple("delivered", TRACE.traceparent(), TRACE.tracestate()),
        tuple("acked", TRACE.traceparent(), TRACE.tracestate()));
  }

  @Test
  void aReceiptOfARecordWithoutTraceContextHasNone() {
    DeviceDelivery delivery = delivery(null);

    delivery.deliver(message(1, 0, TraceHeaders.NONE));

    assertThat(producer.history()).singleElement().satisfies(r -> {
      assertThat(r.headers().lastHeader(HeaderNames.TRACEPARENT)).isNull();
      assertThat(r.headers().lastHeader(HeaderNames.TRACESTATE)).isNull();
    });
  }

  @Test
  void theSpanRunsFromThePublishToThePubackAsAChildOfTheRecord() {
    DeviceDelivery delivery = delivery(spans());

    delivery.deliver(message(1, 1, TRACE));
    assertThat(spans.getFinishedSpanItems()).as("delivered: still waiting for the PUBACK").isEmpty();
    delivery.onPuback(1);

    SpanData span = spans.getFinishedSpanItems().get(0);
    assertThat(span.getName()).isEqualTo("downlink");
    assertThat(span.getTraceId()).isEqualTo(TRACE_ID);
    assertThat(span.getParentSpanId()).isEqualTo(RECORD_SPAN);
    assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    assertThat(span.getAttributes().asMap().toString()).contains("mqtt.receipt=acked");
  }

  @Test
  void aMessageWithoutPubackEndsItsSpanAsATimeout() {
    DeviceDelivery delivery = delivery(spans());

    delivery.deliver(message(1, 1, TRACE));
    clock.advance(ACK_TIMEOUT_MS + 1);

    assertThat(spans.getFinishedSpanItems()).singleElement().satisfies(span -> {
      assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
      assertThat(span.getStatus().getDescription()).isEqualTo("timeout");
    });
  }

  @Test
  void aQos0SpanEndsWhenThePublishIsWrittenAndOneWithoutTraceContextIsARoot() {
    DeviceDelivery delivery = delivery(spans());

    delivery.deliver(message(1, 0, TraceHeaders.NONE));

    assertThat(spans.getFinishedSpanItems()).singleElement().satisfies(span -> {
      assertThat(span.getParentSpanContext().isValid()).isFalse();
      assertThat(span.getAttributes().asMap().toString()).contains("mqtt.receipt=delivered");
    });
  }

  @Test
  void aConnectionThatEndsEndsTheSpansOfItsMessages() {
    DeviceDelivery delivery = delivery(spans());

    delivery.deliver(message(1, 1, TRACE));
    delivery.closed();

    assertThat(spans.getFinishedSpanItems()).singleElement()
        .satisfies(span -> assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR));
  }

  private Tracing spans() {
    return Tracing.create(new TracingSettings(false, true, "test", "http://127.0.0.1:4318/v1/traces"),
        SimpleSpanProcessor.create(spans));
  }

  private DeviceDelivery delivery(Tracing tracing) {
    return new DeviceDelivery(endpoint, clock, receipts, metrics, new DeviceDelivery.Terms(10, ACK_TIMEOUT_MS, false),
        () -> { }, tracing);
  }

  private static DownlinkMessage message(long offset, int qos, TraceHeaders trace) {
    return new DownlinkMessage("car1", "c-1", "DL/car1", qos, "corr-" + offset, 0, offset, 0, offset, 0L,
        Buffer.buffer("p"), DownlinkProperties.NONE, DownlinkMessage.FIRST_SEND, false, trace);
  }

  private static String status(ProducerRecord<String, Buffer> record) {
    return Receipt.fromJson(record.value().getBytes()).status().metricTag();
  }

  private static String header(ProducerRecord<String, Buffer> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }
}
