package io.mqttkafka.bridge.config;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.time.Duration;
import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.json.JsonObject;

/**
 * Builds the {@link BridgeConfig} with a vert.x-config {@link ConfigRetriever} of three stores, each
 * over the one before: the built-in defaults ({@link Defaults}), the YAML file ({@link YamlFileFormat}),
 * then the environment ({@code MQTT_BRIDGE_*} variables, whose names are derived from the keys: see
 * {@link ConfigTree}). What the stores give together is checked against the keys of the defaults and
 * then validated section by section; the first wrong key fails the load with a one-line
 * {@link ConfigException} that names it.
 *
 * <p>Start-up needs the configuration before the bridge's (possibly clustered) Vert.x exists, so
 * {@link #load(Path, Map)} reads it once with a small Vert.x of its own, which it closes before it
 * returns. A running bridge can keep a loader on its own Vert.x ({@link #create}) and learn of changes
 * through {@link #onChange}.
 */
public final class ConfigLoader {

  /** Longer than any file read: the load only waits this long for its own Vert.x. */
  private static final long LOAD_TIMEOUT_SECONDS = 60;

  private final Vertx vertx;
  private final ConfigRetriever retriever;
  private final String file;

  private ConfigLoader(Vertx vertx, ConfigRetriever retriever, String file) {
    this.vertx = vertx;
    this.retriever = retriever;
    this.file = file;
  }

  /**
   * Loads the configuration once; blocks the calling thread, which must not be an event loop.
   *
   * @param fileOrNull a YAML file, or null for none
   * @param env the environment, usually {@code System.getenv()}
   * @throws ConfigException naming the first wrong key, or {@code config} if the file cannot be read
   */
  public static BridgeConfig load(Path fileOrNull, Map<String, String> env) throws ConfigException {
    if (Context.isOnEventLoopThread()) {
      throw new IllegalStateException("ConfigLoader.load blocks; on an event loop use ConfigLoader.create");
    }
    // Small, and reading files by their path only (no class-path look-up, no file cache directory).
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
        .setInternalBlockingPoolSize(1)
        .setFileSystemOptions(new FileSystemOptions().setClassPathResolvingEnabled(false)
            .setFileCachingEnabled(false)));
    try {
      ConfigLoader loader = create(vertx, fileOrNull, env, Duration.ZERO);
      // Validated on this thread: it checks files and may look up the host name.
      return validate(await(loader.retriever.getConfig().recover(loader::asConfigFailure)));
    } finally {
      close(vertx);
    }
  }

  /**
   * A loader on a Vert.x that the caller owns and closes.
   *
   * @param scanPeriod how often the stores are read again for {@link #onChange}; zero: never
   * @throws ConfigException when an {@code MQTT_BRIDGE_*} variable is not valid YAML
   */
  public static ConfigLoader create(Vertx vertx, Path fileOrNull, Map<String, String> env, Duration scanPeriod)
      throws ConfigException {
    ConfigRetrieverOptions options = new ConfigRetrieverOptions().setScanPeriod(scanPeriod.toMillis())
        .addStore(new ConfigStoreOptions().setType("json").setConfig(ConfigTree.defaults()));
    if (fileOrNull != null) {
      options.addStore(new ConfigStoreOptions().setType("file").setFormat(YamlFileFormat.NAME)
          .setConfig(new JsonObject().put("path", fileOrNull.toAbsolutePath().toString())
              .put(YamlFileFormat.SHOWN_NAME, fileOrNull.toString())));
    }
    options.addStore(new ConfigStoreOptions().setType("json").setConfig(ConfigTree.fromEnv(env)));
    return new ConfigLoader(vertx, ConfigRetriever.create(vertx, options), String.valueOf(fileOrNull));
  }

  /**
   * Reads every store now and validates what they give (on a worker thread: validation checks files
   * and may look up the host name). Fails with a {@link ConfigException}.
   */
  public Future<BridgeConfig> read() {
    return readTree().map(ConfigChange::config);
  }

  /** As {@link #read}, with the tree the configuration was built from. */
  public Future<ConfigChange> readTree() {
    return retriever.getConfig().recover(this::asConfigFailure).compose(this::validateOnWorker);
  }

  /**
   * Calls {@code handler} after each scan that found the stores changed: with the new configuration,
   * validated, or with the {@link ConfigException} that refuses it (a wrong value, or a file that cannot
   * be read or parsed). A change is measured against the last read; call {@link #read} first. A file
   * that cannot be read or parsed is reported again at every scan until it can (and vert.x-config logs
   * each such scan at ERROR); a wrong value is reported once per change.
   */
  public void onChange(Handler<AsyncResult<BridgeConfig>> handler) {
    watch(change -> handler.handle(change.map(ConfigChange::config)));
  }

  /**
   * As {@link #onChange}, with the tree the configuration was built from, so that the caller can tell
   * which keys changed ({@link ConfigChange#changedSince}) and decide what of it to apply.
   */
  public void watch(Handler<AsyncResult<ConfigChange>> handler) {
    retriever.listen(change -> validateOnWorker(change.getNewConfiguration()).onComplete(handler));
    retriever.configStream().exceptionHandler(failure ->
        asConfigFailure(failure).<ConfigChange>mapEmpty().onComplete(handler));
  }

  /** Stops the scans. */
  public Future<Void> close() {
    return retriever.close();
  }

  /** The variable for a key: {@code kafka.bootstrapServers} -> {@code MQTT_BRIDGE_KAFKA_BOOTSTRAP_SERVERS}. */
  public static String envName(String key) {
    return ConfigTree.envName(key);
  }

  private Future<ConfigChange> validateOnWorker(JsonObject merged) {
    return vertx.executeBlocking(() -> {
      JsonNode tree = ConfigTree.normalize(merged);
      return new ConfigChange(BridgeConfig.parse(tree), tree);
    });
  }

  private static BridgeConfig validate(JsonObject merged) throws ConfigException {
    return BridgeConfig.parse(ConfigTree.normalize(merged));
  }

  /** A store's failure as the {@link ConfigException} it stands for. */
  private <T> Future<T> asConfigFailure(Throwable failure) {
    if (failure instanceof ConfigException) {
      return Future.failedFuture(failure);
    }
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof NoSuchFileException) {
        return Future.failedFuture(new ConfigException("config", file + ": no such file"));
      }
      if (cause instanceof AccessDeniedException) {
        return Future.failedFuture(new ConfigException("config", file + ": permission denied"));
      }
      if (cause instanceof IOException) {
        return Future.failedFuture(new ConfigException("config", file + ": cannot read: " + cause));
      }
    }
    return Future.failedFuture(failure);
  }

  private static void close(Vertx vertx) {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(LOAD_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // Its threads end with it or soon after; the configuration is read already.
    }
  }

  private static <T> T await(Future<T> future) throws ConfigException {
    try {
      return future.toCompletionStage().toCompletableFuture().get(LOAD_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ConfigException config) {
        throw config;
      }
      throw new IllegalStateException("loading the configuration failed", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while loading the configuration", e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("the configuration did not load within " + LOAD_TIMEOUT_SECONDS + " s", e);
    }
  }
}
