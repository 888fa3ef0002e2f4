package io.mqttkafka.bridge.trace;

import io.mqttkafka.bridge.config.TracingSettings;
import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.records.TraceHeaders;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.IdGenerator;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import org.apache.kafka.common.header.Headers;

/**
 * W3C Trace Context on the bridge's messages ({@code tracing.*}), through OpenTelemetry's W3C
 * propagator, and the optional spans, exported over OTLP. Exists only when tracing is configured
 * ({@link #create} returns null otherwise): the per-message code holds a null and touches nothing
 * of OpenTelemetry.
 *
 * <p>Uplink ({@link #uplink}): the record's {@code traceparent} header (a device's MQTT 5 user
 * property, copied) is read; a malformed one, or one the record carries twice, is dropped with its
 * {@code tracestate}; a record left without one gets a new one when {@code generateTraceparent} is
 * on. With spans, the span "uplink" runs from the PUBLISH to Kafka's acknowledgement, a child of the
 * device's context, and the record carries the span's context, so that a consumer's span is its child.
 *
 * <p>Downlink ({@link #downlink}): the span "downlink" runs from the PUBLISH to the device to its
 * final receipt (PUBACK for QoS 1), a child of the record's context. Thread-safe.
 */
public final class Tracing implements AutoCloseable {

  private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
  private static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
  private static final AttributeKey<String> CLIENT_ID = AttributeKey.stringKey("messaging.client.id");
  private static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
  private static final AttributeKey<Long> QOS = AttributeKey.longKey("mqtt.qos");
  private static final AttributeKey<String> RECEIPT = AttributeKey.stringKey("mqtt.receipt");

  private final W3CTraceContextPropagator propagator = W3CTraceContextPropagator.getInstance();
  private final boolean generate;
  private final TraceFlags rootFlags;
  private final IdGenerator ids = IdGenerator.random();
  /** Null without spans. */
  private final SdkTracerProvider provider;
  private final Tracer tracer;

  private Tracing(TracingSettings settings, SpanProcessor spans) {
    this.generate = settings.generateTraceparent();
    this.rootFlags = settings.sampled() ? TraceFlags.getSampled() : TraceFlags.getDefault();
    if (spans == null) {
      this.provider = null;
      this.tracer = null;
    } else {
      this.provider = SdkTracerProvider.builder()
          .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(SERVICE_NAME, settings.serviceName()))))
          .setSampler(Sampler.parentBased(settings.sampled() ? Sampler.alwaysOn() : Sampler.alwaysOff()))
          .addSpanProcessor(spans)
          .build();
      this.tracer = provider.get("io.mqttkafka.bridge");
    }
  }

  /** The tracing the settings ask for, or null when they ask for none (the default). */
  public static Tracing create(TracingSettings settings) {
    if (!settings.enabled()) {
      return null;
    }
    SpanProcessor spans = settings.spans()
        ? BatchSpanProcessor.builder(OtlpHttpSpanExporter.builder().setEndpoint(settings.otlpEndpoint()).build()).build()
        : null;
    return new Tracing(settings, spans);
  }

  /**
   * Tracing whose spans, if {@code spans} is not null, go to that processor whatever the endpoint
   * (tests: an in-memory exporter behind a simple processor).
   */
  public static Tracing create(TracingSettings settings, SpanProcessor spans) {
    return new Tracing(settings, spans);
  }

  /**
   * An uplink record's trace context, its headers already holding the device's properties: checks
   * or sets {@code traceparent} and starts the uplink span.
   *
   * @return the span, to {@link #end} when Kafka answers; null without spans
   */
  public Span uplink(Headers headers, String kafkaTopic, String clientId, int qos) {
    Context parent = propagator.extract(Context.root(), headers, KafkaHeadersCarrier.GETTER);
    if (!Span.fromContext(parent).getSpanContext().isValid()) {
      headers.remove(HeaderNames.TRACEPARENT);
      headers.remove(HeaderNames.TRACESTATE);
      if (generate) {
        parent = Context.root().with(Span.wrap(SpanContext.create(ids.generateTraceId(), ids.generateSpanId(),
            rootFlags, TraceState.getDefault())));
        if (tracer == null) {
          propagator.inject(parent, headers, KafkaHeadersCarrier.SETTER);
        }
      }
    }
    if (tracer == null) {
      return null;
    }
    Span span = tracer.spanBuilder("uplink").setParent(parent).setSpanKind(SpanKind.PRODUCER)
        .setAttribute(SYSTEM, "kafka").setAttribute(DESTINATION, kafkaTopic).setAttribute(CLIENT_ID, clientId)
        .setAttribute(QOS, (long) qos).startSpan();
    propagator.inject(Context.root().with(span), headers, KafkaHeadersCarrier.SETTER);
    return span;
  }

  /** True when spans are recorded. */
  public boolean spans() {
    return tracer != null;
  }

  /**
   * Starts the span of a downlink PUBLISH to a device, a child of the record's trace context.
   *
   * @return the span, to {@link #end} at the message's final receipt; null without spans
   */
  public Span downlink(TraceHeaders trace, String clientId, String mqttTopic, int qos) {
    if (tracer == null) {
      return null;
    }
    Context parent = trace.isEmpty() ? Context.root()
        : propagator.extract(Context.root(), trace, KafkaHeadersCarrier.TRACE_HEADERS);
    return tracer.spanBuilder("downlink").setParent(parent).setSpanKind(SpanKind.CONSUMER)
        .setAttribute(SYSTEM, "mqtt").setAttribute(DESTINATION, mqttTopic).setAttribute(CLIENT_ID, clientId)
        .setAttribute(QOS, (long) qos).startSpan();
  }

  /** Ends an uplink span: {@code failure} null when Kafka holds the record. */
  public static void end(Span span, Throwable failure) {
    if (failure != null) {
      span.setStatus(StatusCode.ERROR, failure.getClass().getSimpleName());
    }
    span.end();
  }

  /**
   * Ends a downlink span with the message's receipt status (its JSON value); {@code failed} when the
   * message did not reach the device or was not acknowledged.
   */
  public static void end(Span span, String receipt, boolean failed) {
    span.setAttribute(RECEIPT, receipt);
    if (failed) {
      span.setStatus(StatusCode.ERROR, receipt);
    }
    span.end();
  }

  /** Exports the spans still buffered and stops. */
  @Override
  public void close() {
    if (provider != null) {
      provider.close();
    }
  }
}
