package io.mqttkafka.bridge.testkit;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the bridge's /metrics as a Prometheus scraper would. */
public final class Metrics {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private Metrics() {
  }

  public static String scrape(int httpPort) throws Exception {
    return get(httpPort, "/metrics").body();
  }

  /** {@link #scrape(int)} of a bridge listening on {@code host}. */
  public static String scrape(String host, int httpPort) throws Exception {
    return get(host, httpPort, "/metrics").body();
  }

  public static HttpResponse<String> get(int httpPort, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A GET of {@code path} with a 5 s timeout: a bridge that hangs must not hang the test. */
  public static HttpResponse<String> get(String host, int httpPort, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + httpPort + path))
            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The value of one sample, e.g. {@code mqtt_bridge_protocol_errors_total{type="malformed_packet"}}; 0 if absent. */
  public static double value(String scrape, String name, String labels) {
    Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(?:\\{([^}]*)\\})? (\\S+)$", Pattern.MULTILINE);
    Matcher m = line.matcher(scrape);
    double sum = 0;
    while (m.find()) {
      boolean all = true;
      for (String label : labels.split(",")) {
        all &= label.isBlank() || (m.group(1) != null && m.group(1).contains(label.trim()));
      }
      if (all) {
        sum += Double.parseDouble(m.group(2));
      }
    }
    return sum;
  }
}
