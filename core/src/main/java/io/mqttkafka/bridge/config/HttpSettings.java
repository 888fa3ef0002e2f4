package io.mqttkafka.bridge.config;

import static io.mqttkafka.bridge.config.ConfigValue.at;

import com.fasterxml.jackson.databind.JsonNode;

/** The {@code http} section: the management endpoints; {@code port} 0 = pick a free port. */
public record HttpSettings(String host, int port) {

  /** Reads and validates {@code http.*} from a tree that holds every key of the defaults. */
  static HttpSettings parse(JsonNode t) throws ConfigException {
    return new HttpSettings(at(t, "http.host").nonBlank(), at(t, "http.port").integer(0, 65535));
  }
}
