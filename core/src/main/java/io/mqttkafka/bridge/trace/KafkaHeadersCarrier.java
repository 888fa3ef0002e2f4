package io.mqttkafka.bridge.trace;

import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.records.TraceHeaders;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The carriers the W3C propagator reads and writes: a Kafka record's headers (UTF-8 values) and a
 * downlink record's {@link TraceHeaders}. A name a record carries more than once has no value: W3C
 * Trace Context holds a repeated {@code traceparent} invalid. Stateless.
 */
final class KafkaHeadersCarrier {

  /** Reads the headers of a Kafka record. */
  static final TextMapGetter<Headers> GETTER = (headers, key) -> {
    if (headers == null) {
      return null;
    }
    Iterator<Header> named = headers.headers(key).iterator();
    if (!named.hasNext()) {
      return null;
    }
    Header first = named.next();
    if (named.hasNext() || first.value() == null) {
      return null;
    }
    return new String(first.value(), StandardCharsets.UTF_8);
  };

  /** Writes a header of a Kafka record, in place of any of the same name. */
  static final TextMapSetter<Headers> SETTER = (headers, key, value) -> {
    if (headers != null) {
      headers.remove(key);
      headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }
  };

  /** Reads the trace context headers of a downlink record. */
  static final TextMapGetter<TraceHeaders> TRACE_HEADERS = (trace, key) -> {
    if (trace == null) {
      return null;
    }
    return switch (key) {
      case HeaderNames.TRACEPARENT -> trace.traceparent();
      case HeaderNames.TRACESTATE -> trace.tracestate();
      default -> null;
    };
  };

  private KafkaHeadersCarrier() {
  }
}
