package io.mqttkafka.bridge.kafka;

import io.mqttkafka.bridge.records.PresenceRecord;
import io.mqttkafka.bridge.kafka.BufferSerializer;
import io.mqttkafka.bridge.kafka.KafkaSender;
import io.vertx.core.Future;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Writes a connection's presence and subscriptions to the compacted {@code mqtt.subscriptions} topic. */
public final class PresenceWriter {

  private final KafkaSender sender;
  private final String topic;

  public PresenceWriter(KafkaSender sender, String topic) {
    this.sender = sender;
    this.topic = topic;
  }

  /** Completes on the caller's context once Kafka has the record. */
  public Future<Void> write(String clientId, PresenceRecord record) {
    return sender.sendControl(new ProducerRecord<>(topic, clientId, BufferSerializer.wrap(record.toJson()))).mapEmpty();
  }
}
