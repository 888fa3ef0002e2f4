package io.mqttkafka.bridge.http;

import io.mqttkafka.bridge.config.ConfigException;
import io.mqttkafka.bridge.config.HttpSettings;
import io.vertx.core.AsyncResult;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets a request through to the admin API only with what {@code http.admin} asks for: a bearer token of
 * {@code tokenFile} ({@code Authorization: Bearer <token>}) and/or a client certificate that the
 * management port's TLS verified against {@code http.tls.caFile}; both when both are configured.
 * Anything else is answered 401 (JSON, {@code WWW-Authenticate: Bearer}).
 *
 * <p>The token file holds one token per line (blank lines and {@code #} comments are skipped), so that a
 * rotation can add the new token before it removes the old one. It is read again every
 * {@code tokenReloadInterval} (asynchronously, off the event loop) and a change applies to the next
 * request; a file that holds no token or cannot be read is logged and the tokens in force stay. Tokens
 * are compared by their SHA-256 digests in constant time.
 */
public final class AdminGuard implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger(AdminGuard.class);
  private static final String BEARER = "Bearer ";

  private final Optional<Path> tokenFile;
  private final Duration interval;
  private final boolean clientCertificate;
  private volatile List<byte[]> tokens;
  /** The problem last logged, until a reading holds tokens again; touched only by the periodic check. */
  private String lastProblem;
  private long timer = -1;

  private AdminGuard(Optional<Path> tokenFile, Duration interval, boolean clientCertificate, List<byte[]> tokens) {
    this.tokenFile = tokenFile;
    this.interval = interval;
    this.clientCertificate = clientCertificate;
    this.tokens = tokens;
  }

  /**
   * Reads the token file now (blocking: at start-up, not on an event loop).
   *
   * @throws ConfigException naming {@code http.admin.tokenFile} when it cannot be read or holds no token
   */
  public static AdminGuard create(HttpSettings.Admin admin) throws ConfigException {
    List<byte[]> tokens = List.of();
    if (admin.tokenFile().isPresent()) {
      Path file = admin.tokenFile().get();
      try {
        tokens = digests(Files.readString(file, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new ConfigException("http.admin.tokenFile", file + ": cannot read: " + e);
      }
      if (tokens.isEmpty()) {
        throw new ConfigException("http.admin.tokenFile", file + ": holds no token (one per line)");
      }
    }
    return new AdminGuard(admin.tokenFile(), admin.tokenReloadInterval(), admin.clientCertificate(), tokens);
  }

  /** Reads the token file again every {@code http.admin.tokenReloadInterval}. */
  public AdminGuard watch(Vertx vertx) {
    tokenFile.ifPresent(file -> timer = vertx.setPeriodic(interval.toMillis(),
        id -> vertx.fileSystem().readFile(file.toString()).onComplete(read -> reread(file, read))));
    return this;
  }

  /**
   * Applies one reading of the token file. A problem (unreadable, no token) keeps the tokens in force and
   * is logged once while it lasts, not at every check; a reading that holds tokens ends it.
   */
  void reread(Path file, AsyncResult<Buffer> read) {
    if (read.failed()) {
      problem("Admin token file " + file + " cannot be read (" + read.cause() + "); the tokens in force stay");
      return;
    }
    List<byte[]> next = digests(read.result().toString(StandardCharsets.UTF_8));
    if (next.isEmpty()) {
      problem("Admin token file " + file + " holds no token; the tokens in force stay");
      return;
    }
    if (lastProblem != null) {
      lastProblem = null;
      LOG.info("Admin token file {} holds tokens again", file);
    }
    if (!same(next, tokens)) {
      tokens = next;
      LOG.info("Admin token file {} changed: {} token(s)", file, next.size());
    }
  }

  private void problem(String message) {
    if (!message.equals(lastProblem)) {
      lastProblem = message;
      LOG.warn(message);
    }
  }

  public void close(Vertx vertx) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  @Override
  public void handle(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    if (clientCertificate && !hasVerifiedCertificate(request)) {
      refuse(ctx, "a client certificate signed by a CA of http.tls.caFile is required");
      return;
    }
    if (tokenFile.isPresent()) {
      String authorization = request.getHeader("Authorization");
      if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
        refuse(ctx, "a bearer token is required (Authorization: Bearer <token>)");
        return;
      }
      if (!known(digest(authorization.substring(BEARER.length()).strip()))) {
        refuse(ctx, "the bearer token is not valid");
        return;
      }
    }
    ctx.next();
  }

  private static boolean hasVerifiedCertificate(HttpServerRequest request) {
    if (!request.isSSL()) {
      return false;
    }
    try {
      // With clientAuth REQUEST the handshake fails on a certificate the trust store does not verify,
      // so a certificate here is a verified one.
      return !request.connection().peerCertificates().isEmpty();
    } catch (SSLPeerUnverifiedException e) {
      return false;
    }
  }

  private boolean known(byte[] presented) {
    boolean found = false;
    for (byte[] token : tokens) {
      found |= MessageDigest.isEqual(token, presented); // no early exit: every token is compared
    }
    return found;
  }

  private static void refuse(RoutingContext ctx, String message) {
    LOG.debug("Admin request {} {} refused: {}", ctx.request().method(), ctx.request().path(), message);
    ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"mqtt-kafka-bridge admin\"");
    JsonResponses.error(ctx, 401, message);
  }

  private static List<byte[]> digests(String text) {
    List<byte[]> digests = new ArrayList<>();
    for (String line : text.split("\\R")) {
      String token = line.strip();
      if (!token.isEmpty() && !token.startsWith("#")) {
        digests.add(digest(token));
      }
    }
    return List.copyOf(digests);
  }

  private static boolean same(List<byte[]> a, List<byte[]> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (!Arrays.equals(a.get(i), b.get(i))) {
        return false;
      }
    }
    return true;
  }

  private static byte[] digest(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }
}
