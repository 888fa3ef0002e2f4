package io.mqttkafka.bridge.kafka;

import io.vertx.core.Vertx;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

/**
 * Whether Kafka answers, asked every few seconds with a cluster description (asynchronously: the
 * Admin client's own thread does the work), so that readiness never blocks an event loop.
 */
public final class KafkaHealth {

  private static final long PERIOD_MS = 5_000;
  private static final int TIMEOUT_MS = 4_000;

  private final Vertx vertx;
  private final Admin admin;
  private volatile boolean reachable = true;
  /** Set on start, cancelled on stop, which may run on another thread. */
  private volatile long timer = -1;

  public KafkaHealth(Vertx vertx, Admin admin) {
    this.vertx = vertx;
    this.admin = admin;
  }

  public void start() {
    check();
    timer = vertx.setPeriodic(PERIOD_MS, id -> check());
  }

  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  public boolean reachable() {
    return reachable;
  }

  private void check() {
    admin.describeCluster(new DescribeClusterOptions().timeoutMs(TIMEOUT_MS)).nodes()
        .whenComplete((nodes, failure) -> reachable = failure == null && !nodes.isEmpty());
  }
}
