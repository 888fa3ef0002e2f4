package io.mqttkafka.bridge.config;

import static io.mqttkafka.bridge.config.ConfigValue.at;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URISyntaxException;

/**
 * The {@code tracing} section: W3C Trace Context on uplink records and optional OpenTelemetry spans.
 * Off by default: then the bridge only copies {@code traceparent} like any other user property or
 * header, and creates no OpenTelemetry object.
 *
 * @param generateTraceparent an uplink record without a valid {@code traceparent} gets a new one
 * @param sampled             the sampled flag of a generated {@code traceparent}, and whether the
 *                            bridge's own root spans are recorded
 * @param serviceName         the {@code service.name} of the exported spans
 * @param otlpEndpoint        where spans are sent (OTLP over HTTP, e.g.
 *                            {@code http://collector:4318/v1/traces}); empty: no spans
 */
public record TracingSettings(boolean generateTraceparent, boolean sampled, String serviceName,
                              String otlpEndpoint) {

  /** True when spans are recorded and exported. */
  public boolean spans() {
    return !otlpEndpoint.isEmpty();
  }

  /** True when the bridge reads trace context at all: it generates it or records spans. */
  public boolean enabled() {
    return generateTraceparent || spans();
  }

  /** Reads and validates {@code tracing.*} from a tree that holds every key of the defaults. */
  static TracingSettings parse(JsonNode t) throws ConfigException {
    ConfigValue endpoint = at(t, "tracing.otlp.endpoint");
    String url = endpoint.string().strip();
    if (!url.isEmpty()) {
      try {
        URI uri = new URI(url);
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
          throw endpoint.wrong("must be an http or https URL such as http://collector:4318/v1/traces");
        }
      } catch (URISyntaxException e) {
        throw endpoint.wrong("must be an http or https URL such as http://collector:4318/v1/traces");
      }
    }
    return new TracingSettings(at(t, "tracing.generateTraceparent").bool(), at(t, "tracing.sampled").bool(),
        at(t, "tracing.serviceName").nonBlank(), url);
  }
}
