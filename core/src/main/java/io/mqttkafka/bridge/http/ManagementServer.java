package io.mqttkafka.bridge.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.mqttkafka.bridge.config.HttpSettings;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The management port: {@code /metrics} (Prometheus text), {@code /health/live} and {@code /health/ready}
 * (JSON, 200 or 503), and what an {@link Extension} adds (the admin API). Plain HTTP, or HTTPS with
 * {@code http.tls}, where a client certificate is asked for (never required) when {@code http.tls.caFile}
 * is set.
 */
public final class ManagementServer extends VerticleBase {

  /** Adds routes to the management port's router; called once, on the server's event loop, at start. */
  @FunctionalInterface
  public interface Extension {
    void install(Vertx vertx, Router router);
  }

  private final HttpSettings settings;
  private final PrometheusMeterRegistry registry;
  private final Supplier<Map<String, Boolean>> readinessChecks;
  private final Extension extension;
  private io.vertx.core.http.HttpServer server;

  /**
   * @param readinessChecks named checks; ready when every one is true. Called on the event loop: must not block.
   * @param extension       more routes, or null for none
   */
  public ManagementServer(HttpSettings settings, PrometheusMeterRegistry registry,
                          Supplier<Map<String, Boolean>> readinessChecks, Extension extension) {
    this.settings = settings;
    this.registry = registry;
    this.readinessChecks = readinessChecks;
    this.extension = extension;
  }

  public int actualPort() {
    return server.actualPort();
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    router.get("/health/live").handler(ctx -> respond(ctx, true, new JsonObject()));
    router.get("/health/ready").handler(this::ready);
    if (extension != null) {
      extension.install(vertx, router);
    }
    server = vertx.createHttpServer(options(settings.tls()));
    return server.requestHandler(router).listen(settings.port(), settings.host());
  }

  /** The server's options: HTTPS with the PEM files of {@code http.tls} when enabled. */
  static HttpServerOptions options(HttpSettings.Tls tls) {
    HttpServerOptions options = new HttpServerOptions();
    if (tls.enabled()) {
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
          .setCertPath(tls.certFile().orElseThrow().toString()).setKeyPath(tls.keyFile().orElseThrow().toString()));
      tls.caFile().ifPresent(ca -> options.setTrustOptions(new PemTrustOptions().addCertPath(ca.toString()))
          .setClientAuth(ClientAuth.REQUEST));
    }
    return options;
  }

  private void ready(RoutingContext ctx) {
    JsonObject checks = new JsonObject();
    boolean up = true;
    for (Map.Entry<String, Boolean> check : readinessChecks.get().entrySet()) {
      checks.put(check.getKey(), check.getValue() ? "UP" : "DOWN");
      up &= check.getValue();
    }
    respond(ctx, up, checks);
  }

  private static void respond(RoutingContext ctx, boolean up, JsonObject checks) {
    JsonObject body = new JsonObject().put("status", up ? "UP" : "DOWN");
    if (!checks.isEmpty()) {
      body.put("checks", checks);
    }
    ctx.response().setStatusCode(up ? 200 : 503).putHeader("content-type", "application/json")
        .end(body.encode());
  }
}
