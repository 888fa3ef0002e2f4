package io.mqttkafka.bridge.trace;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.records.TraceHeaders;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/** Kafka headers and a downlink record's trace headers to and from an OpenTelemetry context. */
class KafkaHeadersCarrierTest {

  private static final String TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  private final W3CTraceContextPropagator propagator = W3CTraceContextPropagator.getInstance();

  @Test
  void aContextReadFromHeadersIsWrittenBackTheSame() {
    Headers in = new RecordHeaders().add(HeaderNames.TRACEPARENT, utf8(TRACEPARENT))
        .add(HeaderNames.TRACESTATE, utf8("congo=t61rcWkgMzE"));

    Context context = propagator.extract(Context.root(), in, KafkaHeadersCarrier.GETTER);
    Headers out = new RecordHeaders().add(HeaderNames.TRACEPARENT, utf8("stale"));
    propagator.inject(context, out, KafkaHeadersCarrier.SETTER);

    SpanContext read = Span.fromContext(context).getSpanContext();
    assertThat(read.getTraceId()).isEqualTo("0af7651916cd43dd8448eb211c80319c");
    assertThat(read.getSpanId()).isEqualTo("b7ad6b7169203331");
    assertThat(read.isSampled()).isTrue();
    assertThat(out.toArray()).as("replaced, not added").hasSize(2);
    assertThat(text(out, HeaderNames.TRACEPARENT)).isEqualTo(TRACEPARENT);
    assertThat(text(out, HeaderNames.TRACESTATE)).isEqualTo("congo=t61rcWkgMzE");
  }

  @Test
  void aRepeatedHeaderHasNoValue() {
    Headers twice = new RecordHeaders().add(HeaderNames.TRACEPARENT, utf8(TRACEPARENT))
        .add(HeaderNames.TRACEPARENT, utf8(TRACEPARENT));

    assertThat(KafkaHeadersCarrier.GETTER.get(twice, HeaderNames.TRACEPARENT)).isNull();
    assertThat(KafkaHeadersCarrier.GETTER.get(twice, HeaderNames.TRACESTATE)).isNull();
  }

  @Test
  void aDownlinkRecordsTraceHeadersAreAContext() {
    Context context = propagator.extract(Context.root(), TraceHeaders.of(TRACEPARENT, null),
        KafkaHeadersCarrier.TRACE_HEADERS);

    assertThat(Span.fromContext(context).getSpanContext()).isEqualTo(SpanContext.createFromRemoteParent(
        "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", TraceFlags.getSampled(), TraceState.getDefault()));
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(Headers headers, String name) {
    return new String(headers.lastHeader(name).value(), StandardCharsets.UTF_8);
  }
}
