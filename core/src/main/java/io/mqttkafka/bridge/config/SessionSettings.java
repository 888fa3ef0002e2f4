package io.mqttkafka.bridge.config;

import static io.mqttkafka.bridge.config.ConfigValue.at;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;

/**
 * The {@code sessions} section: persistent MQTT sessions and the downlink records kept for clients
 * while they cannot take them.
 *
 * @param maxExpiry         the longest session expiry granted (MQTT 5 asks for less or more; MQTT 3.1.1
 *                          sessions get this), and the longest a kept record waits
 * @param queueMaxMessages  the most records kept for one client
 * @param queueMaxBytes     the most key and value bytes kept for one client
 */
public record SessionSettings(Duration maxExpiry, int queueMaxMessages, int queueMaxBytes) {

  /** The longest Session Expiry Interval MQTT 5 can say: 2^32 - 1 seconds. */
  private static final long MAX_EXPIRY_SECONDS = 0xFFFF_FFFFL;

  /** The longest session expiry granted, in seconds. */
  public long maxExpirySeconds() {
    return maxExpiry.getSeconds();
  }

  /** Reads and validates {@code sessions.*} from a tree that holds every key of the defaults. */
  static SessionSettings parse(JsonNode t) throws ConfigException {
    ConfigValue expiry = at(t, "sessions.maxExpiry");
    Duration maxExpiry = expiry.duration();
    if (maxExpiry.toMillis() % 1000 != 0 || maxExpiry.getSeconds() > MAX_EXPIRY_SECONDS) {
      throw expiry.wrong("must be whole seconds between 1s and " + MAX_EXPIRY_SECONDS + "s (MQTT's longest)");
    }
    return new SessionSettings(maxExpiry, at(t, "sessions.queue.maxMessages").integer(1, 1_000_000),
        at(t, "sessions.queue.maxBytes").integer(1, Integer.MAX_VALUE));
  }
}
