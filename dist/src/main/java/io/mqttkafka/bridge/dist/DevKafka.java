package io.mqttkafka.bridge.dist;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.devkafka.EmbeddedKafka;
import io.mqttkafka.bridge.kafka.EmbeddedBroker;

/**
 * Dev mode's broker for {@link Bridge#start(io.mqttkafka.bridge.config.BridgeConfig, EmbeddedBroker.Starter)}:
 * the devkafka module's {@link EmbeddedKafka}, when this jar carries the broker (README, "A jar
 * without the embedded Kafka").
 */
final class DevKafka implements EmbeddedBroker {

  /** A class of the broker itself: absent from a jar built without it. */
  private static final String BROKER_CLASS = "kafka.server.KafkaRaftServer";

  private final EmbeddedKafka kafka;

  private DevKafka(EmbeddedKafka kafka) {
    this.kafka = kafka;
  }

  /** The starter, or null when this jar was built without the broker. */
  static EmbeddedBroker.Starter starter() {
    try {
      Class.forName(BROKER_CLASS, false, DevKafka.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      return null;
    }
    return (dataDir, port, controllerPort) -> new DevKafka(EmbeddedKafka.start(dataDir, port, controllerPort));
  }

  @Override
  public String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  @Override
  public void close() {
    kafka.close();
  }
}
