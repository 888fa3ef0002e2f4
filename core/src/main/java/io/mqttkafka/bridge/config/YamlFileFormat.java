package io.mqttkafka.bridge.config;

import io.vertx.config.spi.ConfigProcessor;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/**
 * The format of the configuration file for vert.x-config's file store: a YAML map of keys in which no
 * key appears twice, with one-line errors that name the file and the position. Found by vert.x-config
 * through {@code META-INF/services}. Store configuration: {@code path}, and {@link #SHOWN_NAME}, the
 * file as the user named it.
 */
public final class YamlFileFormat implements ConfigProcessor {

  /** The format's name in {@code ConfigStoreOptions.setFormat}. */
  public static final String NAME = "mqtt-bridge-yaml";
  /** The store configuration entry that names the file in messages. */
  static final String SHOWN_NAME = "shownName";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<JsonObject> process(Vertx vertx, JsonObject configuration, Buffer input) {
    String file = configuration.getString(SHOWN_NAME, configuration.getString("path"));
    // A worker thread, as vert.x-config's own YAML format does: parsing is no work for an event loop.
    return vertx.executeBlocking(() -> ConfigTree.parseFile(input.toString(StandardCharsets.UTF_8), file));
  }
}
