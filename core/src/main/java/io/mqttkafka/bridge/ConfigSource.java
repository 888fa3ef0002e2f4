package io.mqttkafka.bridge;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where a running bridge's configuration came from, so that it can read it again when it changes
 * ({@code bridge.reloadInterval}): the YAML file and the environment.
 *
 * @param file the YAML file, or null for none (nothing then changes while the bridge runs)
 * @param env  the environment it was loaded with, usually {@code System.getenv()}
 */
public record ConfigSource(Path file, Map<String, String> env) {
  public ConfigSource {
    env = Map.copyOf(env);
  }
}
