package io.mqttkafka.bridge.kafka;

import java.nio.file.Path;

/**
 * Dev mode's Kafka: a single-node broker in the bridge's own process, started when no
 * {@code kafka.bootstrapServers} is configured. The broker lives in the {@code devkafka} module, so
 * that this module never compiles against broker classes; the distribution hands a {@link Starter}
 * to {@code Bridge.start}.
 */
public interface EmbeddedBroker extends AutoCloseable {

  /** Where clients reach the broker, e.g. {@code 127.0.0.1:9092}. */
  String bootstrapServers();

  /** Stops the broker; its data stays in its data directory. */
  @Override
  void close();

  /** Starts a broker with its data in {@code dataDir}, listening on loopback. */
  @FunctionalInterface
  interface Starter {
    EmbeddedBroker start(Path dataDir, int port, int controllerPort) throws Exception;
  }
}
