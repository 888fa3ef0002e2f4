package io.mqttkafka.bridge.kafka;

import io.vertx.core.Vertx;
import io.vertx.kafka.admin.KafkaAdminClient;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.AdminClient;

/**
 * Whether Kafka answers, asked every few seconds with a cluster description through vertx-kafka-client's
 * admin client (its futures complete on a vert.x context; the Kafka admin client's own thread does the
 * work), so that readiness never blocks an event loop. A check that gets no answer within
 * {@link #TIMEOUT_MS} counts as unreachable; only the newest check decides, so a late answer to an
 * old one (Kafka was black-holed) cannot undo a newer outcome.
 */
public final class KafkaHealth {

  private static final long PERIOD_MS = 5_000;
  private static final long TIMEOUT_MS = 4_000;

  private final Vertx vertx;
  private final KafkaAdminClient admin;
  private final AtomicLong checks = new AtomicLong();
  private volatile boolean reachable = true;
  /** Set on start, cancelled on stop, which may run on another thread. */
  private volatile long timer = -1;

  public KafkaHealth(Vertx vertx, AdminClient admin) {
    this.vertx = vertx;
    this.admin = KafkaAdminClient.create(vertx, admin);
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
    long check = checks.incrementAndGet();
    admin.describeCluster().timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS).onComplete((cluster, failure) -> {
      if (checks.get() == check) {
        reachable = failure == null && !cluster.getNodes().isEmpty();
      }
    });
  }
}
