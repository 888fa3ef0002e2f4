package io.mqttkafka.bridge.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Calls a bridge's admin API with a real HTTP client (java.net.http), as an operator's script would. */
public final class AdminHttp {

  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http;
  private final String base;
  private final String token;

  /** @param token the bearer token, or null to send none */
  public AdminHttp(HttpClient http, String base, String token) {
    this.http = http;
    this.base = base;
    this.token = token;
  }

  public AdminHttp(int httpPort, String token) {
    this(HttpClient.newHttpClient(), "http://127.0.0.1:" + httpPort, token);
  }

  /** The same server with another token (null: none). */
  public AdminHttp withToken(String other) {
    return new AdminHttp(http, base, other);
  }

  public HttpResponse<String> send(String method, String path) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20))
        .method(method, HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  public HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return send("GET", path);
  }

  /** GET that must answer 200; its JSON body. */
  public JsonNode json(String path) throws IOException, InterruptedException {
    HttpResponse<String> response = get(path);
    if (response.statusCode() != 200) {
      throw new AssertionError("GET " + path + ": " + response.statusCode() + " " + response.body());
    }
    return JSON.readTree(response.body());
  }

  public static JsonNode parse(String body) throws IOException {
    return JSON.readTree(body);
  }
}
