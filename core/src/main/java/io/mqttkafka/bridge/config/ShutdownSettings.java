package io.mqttkafka.bridge.config;

import static io.mqttkafka.bridge.config.ConfigValue.at;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;

/**
 * The {@code shutdown} section. {@code drainPeriod}: on SIGTERM, device connections are closed spread
 * over this period, so that a fleet does not reconnect to the other instances all at once.
 */
public record ShutdownSettings(Duration drainPeriod) {

  /** Reads and validates {@code shutdown.*} from a tree that holds every key of the defaults. */
  static ShutdownSettings parse(JsonNode t) throws ConfigException {
    return new ShutdownSettings(at(t, "shutdown.drainPeriod").nonNegativeDuration());
  }
}
