package io.mqttkafka.bridge.auth;

import io.mqttkafka.bridge.auth.AuthenticationException.Reason;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * User name and password against a password file ({@code auth.passwordFile}). Hash checks run on the
 * given worker pool, never on the event loop: bcrypt is slow on purpose. The file is polled on a
 * Vert.x timer and read again, off the event loop, when its modification time, size or inode changes;
 * a file that fails to parse is logged and the previous users stay in force. After a reload, the
 * users who are gone or whose password changed are handed to the {@link #onRevoked} listener (on the
 * worker thread), which may close their connections.
 */
public final class PasswordFileAuthenticator implements Authenticator {

  private static final Logger LOG = LoggerFactory.getLogger(PasswordFileAuthenticator.class);

  private final Vertx vertx;
  private final WorkerExecutor worker;
  private final Path file;
  private final AtomicBoolean polling = new AtomicBoolean();
  private volatile PasswordFile current;
  /** The last version seen, loaded or not: a broken file is reported once, not at every poll. */
  private volatile PasswordFile.Version seen;
  /** Set on start, cancelled on close, which may run on another thread. */
  private volatile long timerId = -1;
  private volatile Consumer<Set<String>> revoked = users -> { };

  /** Reads the file now (blocking: call at start-up, not on an event loop). */
  PasswordFileAuthenticator(Vertx vertx, WorkerExecutor worker, Path file) throws IOException {
    this.vertx = vertx;
    this.worker = worker;
    this.file = file;
    this.current = PasswordFile.read(file);
    this.seen = current.version();
    LOG.info("Password file {}: {} user(s)", file, current.users().size());
  }

  /** Tells {@code listener} the users a reload removed or gave another password; none by default. */
  PasswordFileAuthenticator onRevoked(Consumer<Set<String>> listener) {
    this.revoked = listener;
    return this;
  }

  /** Starts polling the file for changes. */
  PasswordFileAuthenticator watch(Duration interval) {
    timerId = vertx.setPeriodic(interval.toMillis(), id -> poll());
    return this;
  }

  @Override
  public Future<Identity> authenticate(ConnectInfo info) {
    if (info.username() == null || info.password() == null) {
      return Future.failedFuture(new AuthenticationException(Reason.NO_CREDENTIALS, "no user name and password"));
    }
    PasswordHash hash = current.users().get(info.username());
    if (hash == null) {
      // The same reason as a wrong password; the caller answers every failure at the same moment.
      return Future.failedFuture(badCredentials(info));
    }
    String password = info.password();
    return worker.executeBlocking(() -> hash.matches(password), false)
        .compose(ok -> ok ? Future.succeededFuture(new Identity(info.clientId(), info.username()))
            : Future.failedFuture(badCredentials(info)));
  }

  private static AuthenticationException badCredentials(ConnectInfo info) {
    return new AuthenticationException(Reason.BAD_CREDENTIALS,
        "unknown user or wrong password for user \"" + info.username() + "\"");
  }

  /** Checks the file's version on the worker and reloads it if it changed. */
  Future<Void> poll() {
    if (!polling.compareAndSet(false, true)) {
      return Future.succeededFuture();
    }
    return worker.<Void>executeBlocking(() -> {
      reloadIfChanged();
      return null;
    }, false).onComplete(done -> polling.set(false));
  }

  private void reloadIfChanged() {
    PasswordFile.Version version;
    try {
      version = PasswordFile.Version.of(file);
    } catch (NoSuchFileException e) {
      if (seen != null) {
        LOG.warn("Password file {} is gone; keeping its {} user(s) until it is back", file, current.users().size());
        seen = null;
      }
      return;
    } catch (IOException e) {
      LOG.warn("Password file {} cannot be checked: {}", file, e.toString());
      return;
    }
    if (version.equals(seen)) {
      return;
    }
    PasswordFile loaded;
    try {
      loaded = PasswordFile.read(file);
    } catch (IOException e) {
      seen = version;
      LOG.warn("Password file {} changed but is not usable ({}); keeping the previous {} user(s)", file,
          e.toString(), current.users().size());
      return;
    } catch (IllegalArgumentException e) {
      seen = version;
      LOG.warn("Password file {} changed but is not usable ({}); keeping the previous {} user(s)", file,
          e.getMessage(), current.users().size());
      return;
    }
    PasswordFile before = current;
    current = loaded;
    seen = loaded.version();
    LOG.info("Password file {} changed: {} user(s)", file, loaded.users().size());
    Set<String> gone = new TreeSet<>();
    before.users().forEach((user, hash) -> {
      PasswordHash now = loaded.users().get(user);
      if (now == null || !now.sameAs(hash)) {
        gone.add(user);
      }
    });
    if (!gone.isEmpty()) {
      revoked.accept(Collections.unmodifiableSet(gone));
    }
  }

  /** The number of users in force (for tests and logs). */
  int users() {
    return current.users().size();
  }

  @Override
  public void close() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
    }
  }
}
