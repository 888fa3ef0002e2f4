package io.mqttkafka.bridge.config;

import static io.mqttkafka.bridge.config.ConfigValue.at;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The {@code bridge} section: this instance. {@code id} is never empty: an empty configured id becomes
 * the host name plus "-" and 6 random hex digits (new at each validation: a reload keeps the running
 * id). {@code reloadInterval}: how often the configuration file is checked for changes, which are
 * applied while the bridge runs where they can be; 0 = never.
 */
public record InstanceSettings(String id, Duration reloadInterval) {

  /** Reads {@code bridge.*} from a tree that holds every key of the defaults; may look up the host name. */
  static InstanceSettings parse(JsonNode t) throws ConfigException {
    return new InstanceSettings(resolveId(at(t, "bridge.id").string()),
        at(t, "bridge.reloadInterval").nonNegativeDuration());
  }

  private static String resolveId(String configured) {
    if (!configured.isBlank()) {
      return configured;
    }
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "bridge";
    }
    return host + "-" + String.format("%06x", ThreadLocalRandom.current().nextInt(1 << 24));
  }
}
