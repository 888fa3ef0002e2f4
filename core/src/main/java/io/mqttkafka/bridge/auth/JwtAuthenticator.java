package io.mqttkafka.bridge.auth;

import io.mqttkafka.bridge.auth.AuthenticationException.Reason;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import java.util.regex.Pattern;

/**
 * A JWT in the MQTT password field: signed by a configured key, within its validity (with leeway),
 * from the configured issuer and for the configured audience, and its {@code clientIdClaim} equal to
 * the client id. It decides only for passwords shaped like a signed JWT (three base64url parts), so a
 * password-file user may connect beside it. Verification is one signature check (microseconds for
 * RSA/EC), done on the calling event loop.
 */
public final class JwtAuthenticator implements Authenticator {

  private static final Pattern SIGNED_JWT = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");

  private final JWTAuth provider;
  private final String clientIdClaim;

  JwtAuthenticator(JWTAuth provider, String clientIdClaim) {
    this.provider = provider;
    this.clientIdClaim = clientIdClaim;
  }

  /** True for the compact form of a signed JWT; says nothing about its validity. */
  static boolean looksLikeJwt(String password) {
    return password != null && SIGNED_JWT.matcher(password).matches();
  }

  @Override
  public Future<Identity> authenticate(ConnectInfo info) {
    if (!looksLikeJwt(info.password())) {
      return Future.failedFuture(new AuthenticationException(Reason.NO_CREDENTIALS, "no JWT in the password"));
    }
    Future<User> verified;
    try {
      verified = provider.authenticate(new TokenCredentials(info.password()));
    } catch (RuntimeException e) {
      // vert.x throws rather than fails for some malformed claims (a non-numeric exp).
      verified = Future.failedFuture(e);
    }
    return verified.transform(result -> {
      if (result.failed()) {
        return Future.failedFuture(new AuthenticationException(Reason.INVALID_TOKEN, result.cause().getMessage()));
      }
      JsonObject claims = result.result().attributes().getJsonObject("accessToken", new JsonObject());
      Object claimed = claims.getValue(clientIdClaim);
      if (!info.clientId().equals(claimed)) {
        return Future.failedFuture(new AuthenticationException(Reason.CLIENT_ID_MISMATCH,
            "the token's claim \"" + clientIdClaim + "\" is not the client id"));
      }
      Object subject = claims.getValue("sub");
      return Future.succeededFuture(new Identity(info.clientId(),
          subject instanceof String s && !s.isEmpty() ? s : info.clientId()));
    });
  }
}
