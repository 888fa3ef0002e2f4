package io.mqttkafka.bridge.auth;

import io.vertx.core.Future;

/**
 * Decides who a connecting client is. One implementation per method (password file, JWT, client
 * certificate, anonymous); {@link Authenticators#fromConfig} combines the configured ones.
 *
 * <p>The future fails with an {@link AuthenticationException} when the client's credentials are
 * missing or wrong (its fault), and with anything else when the bridge could not decide (ours). A
 * single method fails with {@link AuthenticationException.Reason#NO_CREDENTIALS} when the connection
 * brings no credentials of its kind, so that the next method may decide. Implementations never block
 * the calling event loop, and complete on the caller's context.
 */
public interface Authenticator {

  Future<Identity> authenticate(ConnectInfo info);

  /** Releases timers and threads; called once, when the bridge stops. */
  default void close() {
  }
}
