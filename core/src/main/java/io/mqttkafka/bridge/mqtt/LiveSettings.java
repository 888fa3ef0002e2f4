package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.auth.Authenticator;
import io.mqttkafka.bridge.config.MappingSettings;
import io.mqttkafka.bridge.config.MqttSettings;
import java.util.Objects;

/**
 * The settings of this instance's sessions that a configuration reload changes: the MQTT settings
 * (limits, client id rules, Receive Maximum), the downlink filters and the authenticator. One
 * immutable {@link Current} behind a volatile field, replaced whole, so a reader on any event loop
 * sees one configuration's settings together; readers read it at each use (a CONNECT, a PUBLISH, a
 * SUBSCRIBE), never keep it, except for what a connection was promised in its CONNACK (Receive
 * Maximum, keep-alive), which it keeps.
 */
public final class LiveSettings {

  /** One configuration's session settings. */
  public record Current(MqttSettings mqtt, MappingSettings.Downlink downlink, Authenticator authenticator) {
    public Current {
      Objects.requireNonNull(mqtt, "mqtt");
      Objects.requireNonNull(downlink, "downlink");
    }
  }

  private volatile Current current;

  /** @param authenticator admits connections; null only in tests that accept none */
  public LiveSettings(MqttSettings mqtt, MappingSettings.Downlink downlink, Authenticator authenticator) {
    this.current = new Current(mqtt, downlink, authenticator);
  }

  public Current current() {
    return current;
  }

  /** Puts new settings in force; returns those they replace (whose authenticator the caller closes if new). */
  public Current update(Current next) {
    Current before = current;
    current = next;
    return before;
  }
}
