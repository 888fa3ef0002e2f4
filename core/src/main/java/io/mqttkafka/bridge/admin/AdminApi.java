package io.mqttkafka.bridge.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mqttkafka.bridge.admin.ClusterAdmin.Reply;
import io.mqttkafka.bridge.bus.AdminProtocol.DisconnectAnswer;
import io.mqttkafka.bridge.config.MqttSettings;
import io.mqttkafka.bridge.http.AdminGuard;
import io.mqttkafka.bridge.http.JsonResponses;
import io.mqttkafka.bridge.http.ManagementServer;
import io.mqttkafka.bridge.mqtt.LiveSettings;
import io.mqttkafka.bridge.uplink.UplinkPublisher;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The admin API ({@code /admin/v1/...}, described by {@code /admin/v1/openapi.yaml}) and its console
 * ({@code /admin/console/}) on the management port. Every {@code /admin/v1} path but the document
 * passes the {@link AdminGuard} first. Questions about clients and the cluster go to every instance
 * ({@link ClusterAdmin}); topic tests are answered from this instance's configuration ({@link TopicTests}).
 * Every answer is JSON; a bad request gets a 4xx with a JSON error, a failure a 500 without detail.
 */
public final class AdminApi implements ManagementServer.Extension {

  static final String BASE = "/admin/v1";
  private static final String CONSOLE = "/admin/console/";
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The console's files: name, content type. */
  private static final Map<String, String> CONSOLE_FILES = Map.of("index.html", "text/html; charset=utf-8",
      "console.js", "text/javascript; charset=utf-8", "console.css", "text/css; charset=utf-8");
  /** The console loads nothing from elsewhere and runs no inline script. */
  private static final String CONTENT_SECURITY_POLICY =
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'";

  /**
   * What the API works with.
   *
   * @param instanceIds the instance ids of the cluster now (this one alone when not clustered)
   */
  public record Parts(String instanceId, Supplier<List<String>> instanceIds, UplinkPublisher uplink,
                      LiveSettings settings, String deadLetterTopic, AdminGuard guard) {
  }

  private final Parts parts;
  private final TopicTests topics;
  private final Map<String, byte[]> files;
  private final byte[] openApi;

  /** Reads the document and the console from the class path (blocking: at start-up). */
  public AdminApi(Parts parts) {
    this.parts = parts;
    this.topics = new TopicTests(parts.uplink(), parts.settings(), parts.deadLetterTopic());
    this.openApi = resource("openapi.yaml");
    this.files = Map.of("index.html", resource("console/index.html"), "console.js", resource("console/console.js"),
        "console.css", resource("console/console.css"));
  }

  @Override
  public void install(Vertx vertx, Router router) {
    ClusterAdmin cluster = new ClusterAdmin(vertx, parts.instanceIds());
    parts.guard().watch(vertx);
    router.get("/admin").handler(ctx -> ctx.redirect(CONSOLE));
    router.get(CONSOLE).handler(ctx -> consoleFile(ctx, "index.html"));
    router.get(CONSOLE + ":file").handler(ctx -> consoleFile(ctx, ctx.pathParam("file")));
    router.get(BASE + "/openapi.yaml").handler(ctx -> ctx.response()
        .putHeader("content-type", "application/yaml; charset=utf-8").end(Buffer.buffer(openApi)));
    router.route(BASE + "/*").handler(parts.guard());
    router.get(BASE + "/cluster").handler(ctx -> cluster.instances()
        .onSuccess(replies -> json(ctx, 200, Views.cluster(replies, parts.instanceId()))).onFailure(ctx::fail));
    router.get(BASE + "/clients/:clientId").handler(ctx -> {
      String clientId = clientId(ctx);
      if (clientId != null) {
        cluster.client(clientId).onSuccess(replies -> json(ctx, 200, Views.client(clientId, replies)))
            .onFailure(ctx::fail);
      }
    });
    router.delete(BASE + "/clients/:clientId/connection").handler(ctx -> {
      String clientId = clientId(ctx);
      if (clientId != null) {
        cluster.disconnect(clientId).onSuccess(replies -> disconnected(ctx, clientId, replies)).onFailure(ctx::fail);
      }
    });
    router.get(BASE + "/test/uplink").handler(this::testUplink);
    router.get(BASE + "/test/subscription").handler(this::testSubscription);
    router.route("/admin/*").failureHandler(JsonResponses::failure);
    // No route matched (404), or none for the method (405): JSON for the admin paths, text elsewhere.
    for (int status : new int[] {404, 405}) {
      router.errorHandler(status, ctx -> {
        if (ctx.request().path().startsWith("/admin")) {
          JsonResponses.failure(ctx);
        } else {
          ctx.response().setStatusCode(status).end(status == 404 ? "Not Found" : "Method Not Allowed");
        }
      });
    }
  }

  private void testUplink(RoutingContext ctx) {
    String clientId = required(ctx, "clientId");
    String topic = clientId == null ? null : required(ctx, "topic");
    if (topic != null) {
      json(ctx, 200, topics.uplink(clientId, optional(ctx, "username"), topic));
    }
  }

  private void testSubscription(RoutingContext ctx) {
    String clientId = required(ctx, "clientId");
    String filter = clientId == null ? null : required(ctx, "filter");
    if (filter == null) {
      return;
    }
    String qos = optional(ctx, "qos");
    if (qos != null && !qos.matches("[0-2]")) {
      JsonResponses.error(ctx, 400, "qos: must be 0, 1 or 2, was \"" + qos + "\"");
      return;
    }
    json(ctx, 200, topics.subscription(clientId, optional(ctx, "username"), filter,
        qos == null ? 1 : Integer.parseInt(qos)));
  }

  private static void disconnected(RoutingContext ctx, String clientId, List<Reply<DisconnectAnswer>> replies) {
    List<String> notAnswering = replies.stream().filter(r -> r.answer() == null).map(Reply::instanceId).toList();
    for (Reply<DisconnectAnswer> reply : replies) {
      if (reply.answer() != null && reply.answer().connectionId() != null) {
        json(ctx, 200, Map.of("clientId", clientId, "disconnected", true, "instance", reply.instanceId(),
            "connectionId", reply.answer().connectionId(), "notAnswering", notAnswering));
        return;
      }
    }
    JsonResponses.error(ctx, 404, "client " + clientId + " is not connected to any instance that answered"
        + (notAnswering.isEmpty() ? "" : " (not answering: " + String.join(", ", notAnswering) + ")"));
  }

  /** The path's client id if this bridge would accept it in a CONNECT; else answers 400 and returns null. */
  private String clientId(RoutingContext ctx) {
    String clientId = ctx.pathParam("clientId");
    MqttSettings mqtt = parts.settings().current().mqtt();
    if (clientId == null || clientId.isEmpty() || clientId.length() > mqtt.maxClientIdLength()
        || !mqtt.clientIdPattern().matcher(clientId).matches()) {
      JsonResponses.error(ctx, 400, "clientId: not a client id this bridge accepts (mqtt.clientIdPattern "
          + mqtt.clientIdPattern() + ", at most mqtt.maxClientIdLength " + mqtt.maxClientIdLength() + ")");
      return null;
    }
    return clientId;
  }

  private static String required(RoutingContext ctx, String name) {
    String value = ctx.queryParams().get(name);
    if (value == null || value.isEmpty()) {
      JsonResponses.error(ctx, 400, name + ": the query parameter is required");
      return null;
    }
    return value;
  }

  private static String optional(RoutingContext ctx, String name) {
    String value = ctx.queryParams().get(name);
    return value == null || value.isEmpty() ? null : value;
  }

  private void consoleFile(RoutingContext ctx, String name) {
    byte[] body = files.get(name);
    if (body == null) {
      ctx.fail(404);
      return;
    }
    ctx.response().putHeader("content-type", CONSOLE_FILES.get(name))
        .putHeader("content-security-policy", CONTENT_SECURITY_POLICY)
        .putHeader("x-content-type-options", "nosniff")
        .putHeader("cache-control", "no-cache")
        .end(Buffer.buffer(body));
  }

  private static void json(RoutingContext ctx, int status, Object view) {
    try {
      JsonResponses.ok(ctx, status, JSON.writeValueAsString(view));
    } catch (JsonProcessingException e) {
      ctx.fail(e);
    }
  }

  private static byte[] resource(String name) {
    try (InputStream in = AdminApi.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing from the jar: " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
