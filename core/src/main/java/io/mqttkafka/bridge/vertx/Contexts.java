package io.mqttkafka.bridge.vertx;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;

/**
 * Running code that lives on a thread of its own (the router's consumer thread) as an event of a
 * vert.x context, which the public API does not offer: then its event-bus requests, timers and Kafka
 * completions all belong to that one context, instead of a new context each.
 */
public final class Contexts {

  private Contexts() {
  }

  /** A new event-loop context on one of the instance's event loops. */
  public static Context newEventLoopContext(Vertx vertx) {
    return ((VertxInternal) vertx).createEventLoopContext();
  }

  /** Runs {@code task} on the calling thread as an event of {@code context}, and returns when it does. */
  public static void dispatch(Context context, Runnable task) {
    ((ContextInternal) context).dispatch(task);
  }
}
