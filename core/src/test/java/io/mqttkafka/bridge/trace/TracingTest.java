package io.mqttkafka.bridge.trace;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.config.TracingSettings;
import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.records.TraceHeaders;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/**
 * W3C Trace Context on uplink records and the spans (Tracing): what a record's headers hold after the
 * bridge read them, through OpenTelemetry's W3C propagator, and the spans an in-memory exporter gets.
 */
class TracingTest {

  private static final String TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
  private static final String DEVICE_SPAN = "b7ad6b7169203331";
  private static final String DEVICE = "00-" + TRACE_ID + "-" + DEVICE_SPAN + "-01";
  private static final String W3C = "00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]";

  private final InMemorySpanExporter exported = InMemorySpanExporter.create();

  @Test
  void tracingIsNotCreatedWhenOff() {
    assertThat(Tracing.create(settings(false, true, ""))).isNull();
  }

  @Test
  void aValidTraceparentAndItsTracestateStayAsTheyAre() {
    Tracing tracing = Tracing.create(settings(true, true, ""));
    Headers headers = headers(HeaderNames.TRACEPARENT, DEVICE, HeaderNames.TRACESTATE, "vendor=1");

    assertThat(tracing.uplink(headers, "cs.uplink", "car1", 1)).as("no spans").isNull();

    assertThat(text(headers, HeaderNames.TRACEPARENT)).containsExactly(DEVICE);
    assertThat(text(headers, HeaderNames.TRACESTATE)).containsExactly("vendor=1");
  }

  @Test
  void aRecordWithoutTraceparentGetsANewSampledOne() {
    Tracing tracing = Tracing.create(settings(true, true, ""));
    Headers first = headers("unit", "celsius");
    Headers second = new RecordHeaders();

    tracing.uplink(first, "cs.uplink", "car1", 1);
    tracing.uplink(second, "cs.uplink", "car1", 1);

    assertThat(text(first, "unit")).containsExactly("celsius");
    assertThat(text(first, HeaderNames.TRACEPARENT)).singleElement().asString().matches(W3C).endsWith("-01");
    assertThat(text(second, HeaderNames.TRACEPARENT).get(0).substring(3, 35)).as("a trace of its own")
        .isNotEqualTo(text(first, HeaderNames.TRACEPARENT).get(0).substring(3, 35));
  }

  @Test
  void aGeneratedTraceparentIsNotSampledWhenSampledIsOff() {
    Tracing tracing = Tracing.create(settings(true, false, ""));
    Headers headers = new RecordHeaders();

    tracing.uplink(headers, "cs.uplink", "car1", 1);

    assertThat(text(headers, HeaderNames.TRACEPARENT)).singleElement().asString().matches(W3C).endsWith("-00");
  }

  @Test
  void aMalformedTraceparentIsDroppedWithItsTracestateAndReplacedWhenGenerating() {
    Tracing tracing = Tracing.create(settings(true, true, ""));
    Headers headers = headers(HeaderNames.TRACEPARENT, "00-not-a-trace-01", HeaderNames.TRACESTATE, "vendor=1");

    tracing.uplink(headers, "cs.uplink", "car1", 1);

    assertThat(text(headers, HeaderNames.TRACEPARENT)).singleElement().asString().matches(W3C)
        .doesNotContain("not-a-trace");
    assertThat(text(headers, HeaderNames.TRACESTATE)).isEmpty();
  }

  @Test
  void aTraceparentGivenTwiceIsInvalidAndDropped() {
    Tracing tracing = Tracing.create(settings(false, true, "http://127.0.0.1:4318/v1/traces"),
        SimpleSpanProcessor.create(exported));
    Headers headers = headers(HeaderNames.TRACEPARENT, DEVICE, HeaderNames.TRACEPARENT, DEVICE);

    Tracing.end(tracing.uplink(headers, "cs.uplink", "car1", 1), null);

    SpanData span = exported.getFinishedSpanItems().get(0);
    assertThat(span.getParentSpanContext().isValid()).as("a root span: no parent").isFalse();
    assertThat(text(headers, HeaderNames.TRACEPARENT)).as("the span's context, once").singleElement().asString()
        .startsWith("00-" + span.getTraceId() + "-" + span.getSpanId() + "-");
  }

  @Test
  void theUplinkSpanIsAChildOfTheDevicesContextAndTheRecordCarriesTheSpan() {
    Tracing tracing = Tracing.create(settings(false, true, "http://127.0.0.1:4318/v1/traces"),
        SimpleSpanProcessor.create(exported));
    Headers headers = headers(HeaderNames.TRACEPARENT, DEVICE, HeaderNames.TRACESTATE, "vendor=1");

    Span span = tracing.uplink(headers, "cs.uplink", "car1", 1);
    assertThat(exported.getFinishedSpanItems()).as("open until Kafka answers").isEmpty();
    Tracing.end(span, null);

    SpanData data = exported.getFinishedSpanItems().get(0);
    assertThat(data.getName()).isEqualTo("uplink");
    assertThat(data.getTraceId()).isEqualTo(TRACE_ID);
    assertThat(data.getParentSpanId()).isEqualTo(DEVICE_SPAN);
    assertThat(data.getParentSpanContext().isRemote()).isTrue();
    assertThat(data.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    assertThat(text(headers, HeaderNames.TRACEPARENT))
        .containsExactly("00-" + TRACE_ID + "-" + data.getSpanId() + "-01");
    assertThat(text(headers, HeaderNames.TRACESTATE)).containsExactly("vendor=1");
  }

  @Test
  void anUplinkSpanWhoseRecordKafkaRefusedIsAnError() {
    Tracing tracing = Tracing.create(settings(false, true, "http://127.0.0.1:4318/v1/traces"),
        SimpleSpanProcessor.create(exported));

    Tracing.end(tracing.uplink(headers(HeaderNames.TRACEPARENT, DEVICE), "t", "car1", 0),
        new IllegalStateException("no broker"));

    assertThat(exported.getFinishedSpanItems()).singleElement().satisfies(span -> {
      assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
      assertThat(span.getStatus().getDescription()).isEqualTo("IllegalStateException");
    });
  }

  @Test
  void theDownlinkSpanIsAChildOfTheRecordsContextAndNamesItsReceipt() {
    Tracing tracing = Tracing.create(settings(false, true, "http://127.0.0.1:4318/v1/traces"),
        SimpleSpanProcessor.create(exported));

    Span span = tracing.downlink(TraceHeaders.of(DEVICE, null), "car1", "DL/car1", 1);
    Tracing.end(span, "timeout", true);

    SpanData data = exported.getFinishedSpanItems().get(0);
    assertThat(data.getName()).isEqualTo("downlink");
    assertThat(data.getTraceId()).isEqualTo(TRACE_ID);
    assertThat(data.getParentSpanId()).isEqualTo(DEVICE_SPAN);
    assertThat(data.getAttributes().asMap().toString()).contains("mqtt.receipt=timeout");
    assertThat(data.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
  }

  @Test
  void withoutSpansNoDownlinkSpanIsStarted() {
    Tracing tracing = Tracing.create(settings(true, true, ""));

    assertThat(tracing.spans()).isFalse();
    assertThat(tracing.downlink(TraceHeaders.of(DEVICE, null), "car1", "DL/car1", 1)).isNull();
  }

  private static TracingSettings settings(boolean generate, boolean sampled, String endpoint) {
    return new TracingSettings(generate, sampled, "test-bridge", endpoint);
  }

  private static Headers headers(String... namesAndValues) {
    Headers headers = new RecordHeaders();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      headers.add(namesAndValues[i], namesAndValues[i + 1].getBytes(StandardCharsets.UTF_8));
    }
    return headers;
  }

  private static List<String> text(Headers headers, String name) {
    return Arrays.stream(headers.toArray()).filter(h -> h.key().equals(name)).map(Header::value)
        .map(v -> new String(v, StandardCharsets.UTF_8)).toList();
  }
}
