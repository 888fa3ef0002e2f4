package io.mqttkafka.bridge.config;

/**
 * Wrong configuration: stops start-up with one line, {@code "<key>: <what is wrong>"}, that names the
 * full key (such as {@code mqtt.port} or {@code mappings.uplink[2].match}), or {@code config} for the
 * file itself.
 */
public final class ConfigException extends Exception {

  private final String key;

  public ConfigException(String key, String problem) {
    // One line even when the problem quotes a multi-line parser message.
    super(key + ": " + problem.strip().replaceAll("\\s*\\R\\s*", " "));
    this.key = key;
  }

  /** The full key that is wrong. */
  public String key() {
    return key;
  }
}
