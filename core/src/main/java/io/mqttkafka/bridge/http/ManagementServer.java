package io.mqttkafka.bridge.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.Map;
import java.util.function.Supplier;

/** {@code /metrics} (Prometheus text), {@code /health/live} and {@code /health/ready} (JSON, 200 or 503). */
public final class ManagementServer extends VerticleBase {

  private final String host;
  private final int port;
  private final PrometheusMeterRegistry registry;
  private final Supplier<Map<String, Boolean>> readinessChecks;
  private io.vertx.core.http.HttpServer server;

  /**
   * @param readinessChecks named checks; ready when every one is true. Called on the event loop: must not block.
   */
  public ManagementServer(String host, int port, PrometheusMeterRegistry registry,
                          Supplier<Map<String, Boolean>> readinessChecks) {
    this.host = host;
    this.port = port;
    this.registry = registry;
    this.readinessChecks = readinessChecks;
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
    server = vertx.createHttpServer();
    return server.requestHandler(router).listen(port, host);
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
