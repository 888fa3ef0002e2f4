package io.mqttkafka.bridge.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The bridge's management endpoint as a scraper sees it: {@code /metrics} (Prometheus text) and
 * {@code /health/ready}. All methods fail soft: an unreachable bridge reads as "no value".
 */
final class BridgeEndpoint {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
  private final String base;

  /** @param base e.g. {@code http://127.0.0.1:9090}; {@code null} or empty: no bridge to ask */
  BridgeEndpoint(String base) {
    this.base = base == null || base.isBlank() ? null : base.replaceAll("/+$", "");
  }

  boolean known() {
    return base != null;
  }

  /** The /metrics text, or {@code null} when it cannot be read. */
  String scrape() {
    return get("/metrics");
  }

  boolean ready() {
    if (base == null) {
      return false;
    }
    try {
      return http.send(request("/health/ready"), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Sum of the samples of {@code name} whose labels contain every one of {@code labels}; NaN if none. */
  static double sample(String scrape, String name, String... labels) {
    if (scrape == null) {
      return Double.NaN;
    }
    double sum = 0;
    boolean found = false;
    for (String line : scrape.split("\n")) {
      if (!line.startsWith(name) || line.length() <= name.length()) {
        continue;
      }
      char next = line.charAt(name.length());
      if (next != '{' && next != ' ') {
        continue;
      }
      int space = line.lastIndexOf(' ');
      String labelPart = next == '{' ? line.substring(name.length(), line.indexOf('}') + 1) : "";
      boolean all = true;
      for (String label : labels) {
        all &= labelPart.contains(label);
      }
      if (all) {
        try {
          sum += Double.parseDouble(line.substring(space + 1));
          found = true;
        } catch (NumberFormatException e) {
          // not a sample line
        }
      }
    }
    return found ? sum : Double.NaN;
  }

  /** One value from a fresh scrape; NaN when absent or unreachable. */
  double value(String name, String... labels) {
    return sample(scrape(), name, labels);
  }

  private String get(String path) {
    if (base == null) {
      return null;
    }
    try {
      HttpResponse<String> response = http.send(request(path), HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? response.body() : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private HttpRequest request(String path) {
    return HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT).build();
  }
}
