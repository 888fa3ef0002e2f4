package io.mqttkafka.bridge.auth;

import io.mqttkafka.bridge.config.AuthSettings;
import io.mqttkafka.bridge.config.ConfigException;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Builds the one {@link Authenticator} a deployment uses from {@code auth.*}: the configured methods
 * in a fixed order (client certificate, JWT, password file), anonymous as configured, and the refusal
 * delay around them. With no method configured and anonymous allowed (dev mode) every client is let in.
 */
public final class Authenticators {

  /** Threads that check password hashes; bcrypt keeps one busy for milliseconds per check, by design. */
  static final int HASH_THREADS = 2;
  static final String HASH_POOL = "mqtt-bridge-auth";

  private Authenticators() {
  }

  /**
   * Reads the password file and keys the configuration names, without starting anything: lets
   * start-up fail on a bad file before Kafka is contacted.
   *
   * @throws ConfigException naming the key whose file is unusable
   */
  public static void check(AuthSettings config) throws ConfigException {
    if (config.passwordFile().isPresent()) {
      readPasswordFile(config.passwordFile().get());
    }
    if (config.jwt().enabled()) {
      jwtOptions(config.jwt());
    }
  }

  /**
   * The authenticator for a deployment; close it when the bridge stops. Blocks while it reads files:
   * call at start-up, not on an event loop.
   *
   * @throws ConfigException naming the key whose file is unusable
   */
  public static Authenticator fromConfig(Vertx vertx, AuthSettings config, BridgeMetrics metrics)
      throws ConfigException {
    return fromConfig(vertx, config, metrics, users -> { });
  }

  /**
   * As {@link #fromConfig(Vertx, AuthSettings, BridgeMetrics)}; the JWT key file is checked for changes
   * every {@code auth.jwt.reloadInterval}, and {@code onRevoked} hears, on a worker thread, of the users
   * a changed password file removed or gave another password.
   */
  public static Authenticator fromConfig(Vertx vertx, AuthSettings config, BridgeMetrics metrics,
                                         Consumer<Set<String>> onRevoked) throws ConfigException {
    List<Authenticator> methods = new ArrayList<>();
    if (config.certificate().enabled()) {
      methods.add(new CertificateAuthenticator(config.certificate().identity()));
    }
    if (config.jwt().enabled()) {
      AuthSettings.Jwt jwt = config.jwt();
      methods.add(new JwtAuthenticator(JWTAuth.create(vertx, jwtOptions(jwt)), jwt.clientIdClaim())
          .watch(vertx, jwt.keyFile().orElseThrow(), jwt.reloadInterval(),
              () -> JWTAuth.create(vertx, jwtOptions(jwt))));
    }
    WorkerExecutor hashPool = null;
    if (config.passwordFile().isPresent()) {
      Path file = config.passwordFile().get();
      hashPool = vertx.createSharedWorkerExecutor(HASH_POOL, HASH_THREADS);
      try {
        methods.add(new PasswordFileAuthenticator(vertx, hashPool, file).onRevoked(onRevoked)
            .watch(config.passwordFilePollInterval()));
      } catch (IOException | IllegalArgumentException e) {
        hashPool.close();
        methods.forEach(Authenticator::close);
        throw passwordFileProblem(file, e);
      }
    }
    AnonymousAuthenticator anonymous = config.allowAnonymous() ? new AnonymousAuthenticator() : null;
    Authenticator decide = methods.isEmpty() && anonymous != null ? anonymous
        : new AuthenticatorChain(methods, anonymous);
    WorkerExecutor pool = hashPool;
    return new DelayedRefusals(vertx, decide, config.failureDelay(), metrics, () -> {
      if (pool != null) {
        pool.close();
      }
    });
  }

  private static void readPasswordFile(Path file) throws ConfigException {
    try {
      PasswordFile.read(file);
    } catch (IOException | IllegalArgumentException e) {
      throw passwordFileProblem(file, e);
    }
  }

  private static ConfigException passwordFileProblem(Path file, Exception e) {
    return new ConfigException("auth.passwordFile",
        file + ": " + (e instanceof IOException ? "cannot read: " + e : e.getMessage()));
  }

  static JWTAuthOptions jwtOptions(AuthSettings.Jwt jwt) throws ConfigException {
    JWTOptions checks = new JWTOptions().setLeeway((int) Math.min(Integer.MAX_VALUE, jwt.leeway().toSeconds()));
    jwt.issuer().ifPresent(checks::setIssuer);
    jwt.audience().ifPresent(audience -> checks.setAudience(List.of(audience)));
    JWTAuthOptions options = new JWTAuthOptions().setJWTOptions(checks);
    if (jwt.jwksFile().isPresent()) {
      Path file = jwt.jwksFile().get();
      try {
        JwtKeys.jwks(read("auth.jwt.jwksFile", file)).forEach(options::addJwk);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("auth.jwt.jwksFile", file + ": " + e.getMessage());
      }
    } else {
      Path file = jwt.publicKeyFile().orElseThrow();
      try {
        JwtKeys.pem(read("auth.jwt.publicKeyFile", file)).forEach(options::addPubSecKey);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("auth.jwt.publicKeyFile", file + ": " + e.getMessage());
      }
    }
    return options;
  }

  private static String read(String key, Path file) throws ConfigException {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(key, file + ": cannot read: " + e);
    }
  }
}
