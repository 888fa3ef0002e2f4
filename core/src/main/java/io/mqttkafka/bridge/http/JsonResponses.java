package io.mqttkafka.bridge.http;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JSON answers of the management port's APIs: the body as given, or an error as
 * {@code {"status": 404, "error": "Not Found", "message": "..."}}, never a stack trace.
 */
public final class JsonResponses {

  private static final Logger LOG = LoggerFactory.getLogger(JsonResponses.class);
  private static final String JSON = "application/json";

  private JsonResponses() {
  }

  /** Answers {@code status} with the JSON text {@code body}. */
  public static void ok(RoutingContext ctx, int status, String body) {
    ctx.response().setStatusCode(status).putHeader("content-type", JSON).putHeader("cache-control", "no-store")
        .end(body);
  }

  /** Answers an error: {@code message} says what was wrong, in one line, for the caller. */
  public static void error(RoutingContext ctx, int status, String message) {
    if (ctx.response().ended()) {
      return;
    }
    JsonObject body = new JsonObject().put("status", status)
        .put("error", reason(status)).put("message", message);
    ctx.response().setStatusCode(status).putHeader("content-type", JSON).putHeader("cache-control", "no-store")
        .end(body.encode());
  }

  /**
   * A failure handler: a failed route (a status set by a handler or by vert.x-web, such as 404 or 405,
   * or an exception) becomes a JSON error; an exception is logged here and answered 500 without detail.
   */
  public static void failure(RoutingContext ctx) {
    int status = ctx.statusCode();
    if (ctx.failure() != null && status < 400) {
      LOG.warn("Admin request {} {} failed", ctx.request().method(), ctx.request().path(), ctx.failure());
      error(ctx, 500, "the request failed inside the bridge (logged)");
      return;
    }
    int code = status < 400 ? 500 : status;
    error(ctx, code, switch (code) {
      case 404 -> "no such resource: " + ctx.request().path();
      case 405 -> "method " + ctx.request().method() + " not allowed on " + ctx.request().path();
      default -> reason(code);
    });
  }

  /** The reason phrase of the statuses these APIs answer. */
  static String reason(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 503 -> "Service Unavailable";
      default -> status >= 500 ? "Internal Server Error" : "Error";
    };
  }
}
