package io.mqttkafka.bridge;

import io.mqttkafka.bridge.auth.Authenticator;
import io.mqttkafka.bridge.auth.Authenticators;
import io.mqttkafka.bridge.config.AuthSettings;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.config.ConfigChange;
import io.mqttkafka.bridge.config.ConfigException;
import io.mqttkafka.bridge.config.ConfigLoader;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.mqtt.ConnectionLimits;
import io.mqttkafka.bridge.mqtt.DeviceSession;
import io.mqttkafka.bridge.mqtt.SessionRegistry;
import io.mqttkafka.bridge.mqtt.LiveSettings;
import io.mqttkafka.bridge.uplink.UplinkPublisher;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running configuration, and its changes applied while the bridge runs: the configuration file is
 * read again every {@code bridge.reloadInterval} (vert.x-config's scan) and a change is validated as a
 * whole; one that does not validate is refused, logged with its key, counted
 * ({@code mqtt.bridge.config.reloads{outcome="refused"}}), and the running configuration stays. Of one
 * that validates, the keys of {@link ConfigChange#LIVE} are applied (each part only when it differs):
 * the uplink rules ({@link UplinkPublisher#reconfigure}), the session settings and a new authenticator
 * ({@link LiveSettings}), the connection limits, the log levels. Every other changed key is logged
 * at WARN: it takes effect at the next start. Connections stay open; each takes the new settings at its
 * next packet. Changes are applied one at a time, on the event loop of the scan.
 *
 * <p>A change is applied once the file has stayed the same for one and a half scan periods: an editor
 * or a tool that truncates the file before it writes it would otherwise have its empty (all defaults,
 * and valid) or half-written file applied in between.
 */
final class LiveReload {

  private static final Logger LOG = LoggerFactory.getLogger(LiveReload.class);

  /** What a reload changes. */
  record Targets(UplinkPublisher uplink, LiveSettings sessions, ConnectionLimits limits,
                 SessionRegistry registry) {
  }

  private final Vertx vertx;
  private final BridgeMetrics metrics;
  private volatile BridgeConfig running;
  private volatile Targets targets;
  private ConfigLoader loader;
  /** The tree of the configuration in force, to tell changed keys; null when the first read failed. */
  private ConfigChange applied;
  /** The change being applied: the next one waits for it. The loader's context only, as the fields below. */
  private Future<Void> applying = Future.succeededFuture();
  /** The last scan's outcome, waiting for the file to settle. */
  private AsyncResult<ConfigChange> pending;
  private long settleTimer = -1;
  private long settleMs;
  /** The last refusal's message: a file that stays broken is reported once, not at every scan. */
  private String lastRefusal;

  LiveReload(Vertx vertx, BridgeConfig config, BridgeMetrics metrics) {
    this.vertx = vertx;
    this.running = config;
    this.metrics = metrics;
  }

  /** The configuration in force now. */
  BridgeConfig running() {
    return running;
  }

  void targets(Targets targets) {
    this.targets = targets;
  }

  /**
   * The authenticator for {@code auth}; the users a changed password file revokes are disconnected when
   * {@code auth.disconnectRevoked} is on (as the running configuration says at that moment). Blocks
   * while it reads files: not on an event loop.
   */
  Authenticator authenticator(AuthSettings auth) throws ConfigException {
    return Authenticators.fromConfig(vertx, auth, metrics, this::revoked);
  }

  /** Starts watching the configuration file; does nothing without one or with a reload interval of 0. */
  void start(ConfigSource source) throws ConfigException {
    Duration interval = running.bridge().reloadInterval();
    if (source == null || source.file() == null || interval.isZero()) {
      return;
    }
    settleMs = Math.max(100, interval.toMillis() * 3 / 2);
    loader = ConfigLoader.create(vertx, source.file(), source.env(), interval);
    loader.readTree().onComplete(first -> {
      if (first.failed()) {
        refuse(first.cause());
      } else {
        applied = first.result();
      }
      loader.watch(this::scanned);
    });
    LOG.info("Configuration file {} is checked for changes every {} ms", source.file(), interval.toMillis());
  }

  void close() {
    if (loader != null) {
      loader.close();
    }
  }

  /** A scan found the stores changed: handled once they stayed so for {@link #settleMs}. */
  private void scanned(AsyncResult<ConfigChange> result) {
    pending = result;
    if (settleTimer >= 0) {
      vertx.cancelTimer(settleTimer);
    }
    settleTimer = vertx.setTimer(settleMs, id -> {
      settleTimer = -1;
      AsyncResult<ConfigChange> settled = pending;
      pending = null;
      applying = applying.transform(done -> changed(settled));
    });
  }

  private Future<Void> changed(AsyncResult<ConfigChange> result) {
    if (result.failed()) {
      refuse(result.cause());
      return Future.succeededFuture();
    }
    ConfigChange change = result.result();
    Set<String> keys = applied == null ? Set.of() : change.changedSince(applied);
    List<String> restart = keys.stream().filter(key -> !ConfigChange.isLive(key)).toList();
    if (!restart.isEmpty()) {
      LOG.warn("Configuration keys changed that apply only at the next start (the running values stay): {}",
          String.join(", ", restart));
    }
    BridgeConfig before = running;
    BridgeConfig next = before.withLiveSettingsOf(change.config());
    Future<Authenticator> authenticator = next.auth().equals(before.auth()) ? Future.succeededFuture()
        : vertx.executeBlocking(() -> authenticator(next.auth()));
    List<String> live = keys.stream().filter(ConfigChange::isLive).toList();
    return authenticator.onSuccess(fresh -> {
      apply(before, next, fresh, live);
      applied = change;
    }).onFailure(this::refuse).mapEmpty();
  }

  /** Puts {@code next} in force; {@code fresh} is a new authenticator, or null when auth did not change. */
  private void apply(BridgeConfig before, BridgeConfig next, Authenticator fresh, List<String> liveKeys) {
    Targets t = targets;
    if (!next.mappings().uplink().equals(before.mappings().uplink())
        || next.mappings().unmatched() != before.mappings().unmatched()) {
      t.uplink().reconfigure(next.mappings().uplink(), next.mappings().unmatched());
    }
    LiveSettings.Current current = t.sessions().current();
    t.sessions().update(new LiveSettings.Current(next.mqtt(), next.mappings().downlink(),
        fresh != null ? fresh : current.authenticator()));
    if (fresh != null && current.authenticator() != null) {
      current.authenticator().close();
    }
    t.limits().update(next.mqtt().limits());
    if (!next.logging().equals(before.logging())) {
      LogSetup.levels(before.logging(), next.logging());
    }
    running = next;
    lastRefusal = null;
    metrics.configReloaded(true);
    LOG.info("Configuration reloaded{}", liveKeys.isEmpty() ? ": nothing to apply while running"
        : ", in force for the next packets: " + String.join(", ", liveKeys));
  }

  private void refuse(Throwable failure) {
    String message = failure instanceof ConfigException ? failure.getMessage() : failure.toString();
    if (message.equals(lastRefusal)) {
      LOG.debug("Configuration change still refused: {}", message);
      return;
    }
    lastRefusal = message;
    metrics.configReloaded(false);
    LOG.warn("Configuration change refused, the running configuration stays: {}", message);
  }

  /** Closes the connections of users a changed password file removed or gave another password. */
  private void revoked(Set<String> users) {
    Targets t = targets;
    if (t == null || !running.auth().disconnectRevoked()) {
      LOG.info("Password file: {} user(s) removed or changed; their open connections stay"
          + " (auth.disconnectRevoked is off)", users.size());
      return;
    }
    int closed = 0;
    for (DeviceSession session : t.registry().all()) {
      if (session.username() != null && users.contains(session.username())) {
        session.revoke();
        closed++;
      }
    }
    LOG.info("Password file: {} user(s) removed or changed; closing their {} connection(s)", users.size(), closed);
  }
}
