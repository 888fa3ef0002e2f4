package io.mqttkafka.bridge.auth;

import io.mqttkafka.bridge.auth.AuthenticationException.Reason;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A JWT in the MQTT password field: signed by a configured key, within its validity (with leeway),
 * from the configured issuer and for the configured audience, and its {@code clientIdClaim} equal to
 * the client id. It decides only for passwords shaped like a signed JWT (three base64url parts), so a
 * password-file user may connect beside it. Verification is one signature check (microseconds for
 * RSA/EC), done on the calling event loop.
 *
 * <p>The key file is checked on a timer ({@link #watch}) and read again, off the event loop, when its
 * modification time, size or inode changes (a key rotation, a renewed Kubernetes Secret): the next
 * CONNECT is verified with the new keys; a file that does not load is logged and the keys in force stay.
 */
public final class JwtAuthenticator implements Authenticator {

  private static final Pattern SIGNED_JWT = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");

  private static final Logger LOG = LoggerFactory.getLogger(JwtAuthenticator.class);

  private volatile JWTAuth provider;
  private final String clientIdClaim;
  private final AtomicBoolean polling = new AtomicBoolean();
  private volatile long timerId = -1;
  private volatile Vertx vertx;

  JwtAuthenticator(JWTAuth provider, String clientIdClaim) {
    this.provider = provider;
    this.clientIdClaim = clientIdClaim;
  }

  /**
   * Checks {@code file} every {@code interval} and, when it changed, loads the keys again with
   * {@code load} (blocking: run on a worker thread); the keys in force stay when that fails.
   */
  JwtAuthenticator watch(Vertx vertx, Path file, Duration interval, Callable<JWTAuth> load) {
    this.vertx = vertx;
    Object[] seen = {version(file)};
    timerId = vertx.setPeriodic(interval.toMillis(), id -> {
      if (!polling.compareAndSet(false, true)) {
        return;
      }
      vertx.<JWTAuth>executeBlocking(() -> {
        Object now = version(file);
        if (now == null || now.equals(seen[0])) {
          return null;
        }
        seen[0] = now;
        try {
          return load.call();
        } catch (Exception e) {
          LOG.warn("JWT key file {} changed but is not usable ({}); keeping the keys in force", file,
              e.getMessage());
          return null;
        }
      }, false).onComplete(loaded -> {
        polling.set(false);
        if (loaded.succeeded() && loaded.result() != null) {
          provider = loaded.result();
          LOG.info("JWT key file {} changed: new CONNECTs are verified with its keys", file);
        }
      });
    });
    return this;
  }

  /** What identifies one state of the file (modification time, size, inode); null when it cannot be read. */
  private static Object version(Path file) {
    try {
      return PasswordFile.Version.of(file);
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public void close() {
    Vertx owner = vertx;
    if (owner != null && timerId >= 0) {
      owner.cancelTimer(timerId);
    }
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
