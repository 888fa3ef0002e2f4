package io.mqttkafka.bridge.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Waits for an authentication outcome in a test thread. */
final class Outcomes {

  private Outcomes() {
  }

  static Identity identity(Future<Identity> outcome) throws Exception {
    return outcome.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** The failure, which must be an {@link AuthenticationException}. */
  static AuthenticationException refusal(Future<Identity> outcome) throws Exception {
    Throwable cause = failure(outcome);
    assertThat(cause).isInstanceOf(AuthenticationException.class);
    return (AuthenticationException) cause;
  }

  static Throwable failure(Future<Identity> outcome) throws Exception {
    try {
      Identity identity = identity(outcome);
      throw new AssertionError("expected a refusal, got " + identity);
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }
}
