package io.mqttkafka.bridge.auth;

import io.vertx.core.Future;

/** Lets every client in as itself, without a user name: dev mode, or {@code auth.allowAnonymous: true}. */
public final class AnonymousAuthenticator implements Authenticator {

  @Override
  public Future<Identity> authenticate(ConnectInfo info) {
    return Future.succeededFuture(Identity.anonymous(info.clientId()));
  }
}
