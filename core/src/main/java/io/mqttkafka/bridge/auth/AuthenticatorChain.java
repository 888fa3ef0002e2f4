package io.mqttkafka.bridge.auth;

import io.mqttkafka.bridge.auth.AuthenticationException.Reason;
import io.vertx.core.Future;
import java.util.List;

/**
 * The configured methods in order (client certificate, JWT, password file): the first that finds its
 * kind of credentials decides, success or failure; a failure never falls through to the next method
 * or to anonymous. When none finds any: anonymous if allowed, else refused: "bad credentials" when a
 * password was sent that no method can check, "no credentials" otherwise.
 */
final class AuthenticatorChain implements Authenticator {

  private final List<Authenticator> methods;
  private final Authenticator anonymous;

  /** @param anonymous the fallback, or null when anonymous clients are not allowed */
  AuthenticatorChain(List<Authenticator> methods, Authenticator anonymous) {
    this.methods = List.copyOf(methods);
    this.anonymous = anonymous;
  }

  @Override
  public Future<Identity> authenticate(ConnectInfo info) {
    return attempt(0, info);
  }

  private Future<Identity> attempt(int index, ConnectInfo info) {
    if (index == methods.size()) {
      if (anonymous != null) {
        return anonymous.authenticate(info);
      }
      return Future.failedFuture(info.password() != null
          ? new AuthenticationException(Reason.BAD_CREDENTIALS, "a password no configured method accepts")
          : new AuthenticationException(Reason.NO_CREDENTIALS, "anonymous clients are not allowed"));
    }
    return methods.get(index).authenticate(info).recover(failure -> notItsKind(failure)
        ? attempt(index + 1, info) : Future.failedFuture(failure));
  }

  private static boolean notItsKind(Throwable failure) {
    return failure instanceof AuthenticationException e && e.reason() == Reason.NO_CREDENTIALS;
  }

  @Override
  public void close() {
    methods.forEach(Authenticator::close);
  }
}
