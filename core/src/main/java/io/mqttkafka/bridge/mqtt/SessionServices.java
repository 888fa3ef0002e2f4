package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.auth.Authenticator;
import io.mqttkafka.bridge.config.MappingSettings;
import io.mqttkafka.bridge.config.MqttSettings;
import io.mqttkafka.bridge.config.SessionSettings;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.kafka.PresenceWriter;
import io.mqttkafka.bridge.kafka.ReceiptWriter;
import io.mqttkafka.bridge.uplink.UplinkPublisher;

/**
 * What every device session of this instance shares: settings, the Kafka writers, metrics, the registry,
 * the authenticator that admits connections, and where persistent sessions are found.
 */
public record SessionServices(String instanceId, MqttSettings mqtt, MappingSettings.Downlink downlink,
                              UplinkPublisher uplink, PresenceWriter presence, ReceiptWriter receipts,
                              BridgeMetrics metrics, SessionRegistry registry, Authenticator authenticator,
                              SessionSettings sessions, SessionResume resume) {
}
