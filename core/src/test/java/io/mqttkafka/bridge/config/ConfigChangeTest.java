package io.mqttkafka.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.AsyncResult;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a later hot reload builds on: a loader on a running Vert.x reports each change, validated. */
class ConfigChangeTest {

  private static final Duration SCAN = Duration.ofMillis(50);

  @TempDir
  Path dir;

  private Vertx vertx;
  private Path file;
  private final List<AsyncResult<BridgeConfig>> changes = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    file = Files.writeString(dir.resolve("bridge.yaml"), "mqtt: { port: 1884 }\n");
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get();
  }

  private ConfigLoader watching(Map<String, String> env) throws Exception {
    ConfigLoader loader = ConfigLoader.create(vertx, file, env, SCAN);
    assertThat(loader.read().toCompletionStage().toCompletableFuture().get().mqtt().port()).isEqualTo(1884);
    loader.onChange(changes::add);
    return loader;
  }

  @Test
  void changedFileGivesANewValidatedConfiguration() throws Exception {
    watching(Map.of("MQTT_BRIDGE_HTTP_PORT", "9191"));

    replace("mqtt: { port: 1885 }\n");

    await().until(() -> !changes.isEmpty());
    AsyncResult<BridgeConfig> change = changes.get(0);
    assertThat(change.succeeded()).as("%s", change.cause()).isTrue();
    assertThat(change.result().mqtt().port()).isEqualTo(1885);
    assertThat(change.result().http().port()).as("the environment still applies").isEqualTo(9191);
  }

  @Test
  void invalidChangeIsRefusedNamingTheKey() throws Exception {
    watching(Map.of());

    replace("mqtt: { port: 70000 }\n");

    await().until(() -> !changes.isEmpty());
    assertThat(changes.get(0).failed()).isTrue();
    assertThat(changes.get(0).cause()).isInstanceOf(ConfigException.class)
        .hasMessage("mqtt.port: must be an integer between 0 and 65535, was \"70000\"");
    assertThat(((ConfigException) changes.get(0).cause()).key()).isEqualTo("mqtt.port");
  }

  @Test
  void fileThatNoLongerParsesIsRefusedAsTheConfigFile() throws Exception {
    watching(Map.of());

    replace("mqtt:\n  port: [1884\n");

    await().until(() -> !changes.isEmpty());
    assertThat(changes.get(0).cause()).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config: " + file + ": not valid YAML: ");
  }

  @Test
  void eachChangeIsReportedOnce() throws Exception {
    watching(Map.of());
    replace("mqtt: { port: 1885 }\n");
    await().until(() -> !changes.isEmpty());

    // A later change is still reported once, after scans that found nothing new in between.
    replace("mqtt: { port: 1886 }\n");
    await().until(() -> changes.size() >= 2);
    assertThat(changes).extracting(c -> c.result().mqtt().port()).containsExactly(1885, 1886);
  }

  /**
   * Replaces the file's content at once, as an editor or a ConfigMap update does: a scan between
   * Files.writeString's truncation and its write would read an empty file (the defaults), which the
   * watcher rightly reports as a change of its own.
   */
  private void replace(String content) throws Exception {
    Path next = Files.writeString(file.resolveSibling(file.getFileName() + ".next"), content);
    Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
