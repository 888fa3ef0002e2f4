package io.mqttkafka.bridge.auth;

import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Around the configured methods: every failure is counted ({@code mqtt.bridge.auth.failures{reason}}),
 * logged at DEBUG without credentials, and answered {@code failureDelay} after the CONNECT arrived,
 * whatever went wrong: an unknown user (no hash to check) and a wrong password (a bcrypt check) are
 * answered at the same moment, and guessing is slowed down. Success is answered at once.
 */
final class DelayedRefusals implements Authenticator {

  private static final Logger LOG = LoggerFactory.getLogger(DelayedRefusals.class);

  private final Vertx vertx;
  private final Authenticator delegate;
  private final long delayNanos;
  private final BridgeMetrics metrics;
  private final Runnable onClose;

  DelayedRefusals(Vertx vertx, Authenticator delegate, Duration delay, BridgeMetrics metrics, Runnable onClose) {
    this.vertx = vertx;
    this.delegate = delegate;
    this.delayNanos = delay.toNanos();
    this.metrics = metrics;
    this.onClose = onClose;
  }

  @Override
  public Future<Identity> authenticate(ConnectInfo info) {
    long started = System.nanoTime();
    Future<Identity> outcome;
    try {
      outcome = delegate.authenticate(info);
    } catch (RuntimeException e) {
      outcome = Future.failedFuture(e);
    }
    return outcome.recover(failure -> {
      AuthenticationException.Reason reason;
      if (failure instanceof AuthenticationException e) {
        reason = e.reason();
        LOG.debug("[client-id: {}] authentication failed: {}", info.clientId(), printable(e.getMessage()));
      } else {
        reason = AuthenticationException.Reason.ERROR;
        LOG.warn("[client-id: {}] authentication could not be done: {}", info.clientId(), failure.toString());
      }
      metrics.authFailed(reason);
      long remainingNanos = delayNanos - (System.nanoTime() - started);
      // Rounded up: never answer before the delay.
      long waitMillis = TimeUnit.NANOSECONDS.toMillis(remainingNanos + TimeUnit.MILLISECONDS.toNanos(1) - 1);
      if (waitMillis < 1) {
        return Future.failedFuture(failure);
      }
      Promise<Identity> answer = Promise.promise();
      vertx.setTimer(waitMillis, id -> answer.fail(failure));
      return answer.future();
    });
  }

  /** One line, bounded: details can quote parts of what the client sent. */
  private static String printable(String text) {
    String line = text == null ? "" : text.replaceAll("\\p{Cntrl}", "?");
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }

  @Override
  public void close() {
    delegate.close();
    onClose.run();
  }
}
