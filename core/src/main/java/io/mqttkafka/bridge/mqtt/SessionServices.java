package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.auth.Authenticator;
import io.mqttkafka.bridge.config.MappingSettings;
import io.mqttkafka.bridge.config.MqttSettings;
import io.mqttkafka.bridge.config.SessionSettings;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.kafka.PresenceWriter;
import io.mqttkafka.bridge.kafka.ReceiptWriter;
import io.mqttkafka.bridge.trace.Tracing;
import io.mqttkafka.bridge.uplink.UplinkPublisher;

/**
 * What every device session of this instance shares: the settings a reload changes
 * ({@link LiveSettings}, read at each use through {@link #mqtt}, {@link #downlink} and
 * {@link #authenticator}), the Kafka writers, metrics, the registry, the persistent sessions'
 * settings and where a persistent session is found, and the spans of downlink deliveries ({@code tracing}:
 * null when there are none).
 */
public record SessionServices(String instanceId, LiveSettings settings, UplinkPublisher uplink,
                              PresenceWriter presence, ReceiptWriter receipts, BridgeMetrics metrics,
                              SessionRegistry registry, SessionSettings sessions, SessionResume resume,
                              Tracing tracing) {

  /** The MQTT settings in force now. */
  public MqttSettings mqtt() {
    return settings.current().mqtt();
  }

  /** The downlink settings in force now. */
  public MappingSettings.Downlink downlink() {
    return settings.current().downlink();
  }

  /** The authenticator in force now: it admits the next CONNECT. */
  public Authenticator authenticator() {
    return settings.current().authenticator();
  }
}
