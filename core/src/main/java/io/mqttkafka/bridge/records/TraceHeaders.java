package io.mqttkafka.bridge.records;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;

/**
 * A downlink record's W3C Trace Context headers, {@code traceparent} and {@code tracestate}, as the
 * back end wrote them: copied unchanged to every receipt of the record, so that a back end can follow
 * a command to its {@code acked}. The bridge does not interpret them here (an echo, like
 * {@code correlation.id}); the optional spans read them through OpenTelemetry. Immutable.
 *
 * @param traceparent the record's {@code traceparent} header, or null
 * @param tracestate  its {@code tracestate} header, or null
 */
public record TraceHeaders(String traceparent, String tracestate) {

  /** A record without trace context. */
  public static final TraceHeaders NONE = new TraceHeaders(null, null);

  /** The headers, or {@link #NONE} when there is neither (no object per record without them). */
  public static TraceHeaders of(String traceparent, String tracestate) {
    return traceparent == null && tracestate == null ? NONE : new TraceHeaders(traceparent, tracestate);
  }

  /** True when the record had neither header. */
  public boolean isEmpty() {
    return traceparent == null && tracestate == null;
  }

  /** Adds the headers the record had to {@code headers}. */
  public void addTo(Headers headers) {
    if (traceparent != null) {
      headers.add(HeaderNames.TRACEPARENT, traceparent.getBytes(StandardCharsets.UTF_8));
    }
    if (tracestate != null) {
      headers.add(HeaderNames.TRACESTATE, tracestate.getBytes(StandardCharsets.UTF_8));
    }
  }
}
