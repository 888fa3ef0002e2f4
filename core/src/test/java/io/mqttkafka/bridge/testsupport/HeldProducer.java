package io.mqttkafka.bridge.testsupport;

import io.mqttkafka.bridge.kafka.BufferSerializer;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Kafka's MockProducer, except that each record waits until the test completes or fails that very
 * record, in any order: MockProducer itself completes in send order only, while Kafka completes
 * records of different partitions in any order. Completing calls the sender's callback on the
 * caller's thread, as the producer's I/O thread would.
 */
public final class HeldProducer extends MockProducer<String, Buffer> {

  private record Held(ProducerRecord<String, Buffer> record, Callback callback) {
  }

  private final List<Held> held = new ArrayList<>();
  private final List<ProducerRecord<String, Buffer>> sent = new ArrayList<>();
  private long offset;

  public HeldProducer() {
    super(false, null, new StringSerializer(), new BufferSerializer());
  }

  @Override
  public synchronized Future<RecordMetadata> send(ProducerRecord<String, Buffer> record, Callback callback) {
    held.add(new Held(record, callback));
    sent.add(record);
    return new CompletableFuture<>();
  }

  /** Every record sent to {@code topic}, in send order, completed or not. */
  public synchronized List<ProducerRecord<String, Buffer>> sent(String topic) {
    return sent.stream().filter(r -> r.topic().equals(topic)).toList();
  }

  /** The records of {@code topic} still waiting for Kafka, in send order. */
  public synchronized List<ProducerRecord<String, Buffer>> waiting(String topic) {
    return held.stream().map(Held::record).filter(r -> r.topic().equals(topic)).toList();
  }

  /** Kafka has the record. */
  public void complete(ProducerRecord<String, Buffer> record) {
    Callback callback = take(record);
    long at;
    synchronized (this) {
      at = offset++;
    }
    callback.onCompletion(new RecordMetadata(new TopicPartition(record.topic(), 0), at, 0, 0L, 0, 0), null);
  }

  /** Kafka refused the record. */
  public void fail(ProducerRecord<String, Buffer> record, Exception failure) {
    take(record).onCompletion(null, failure);
  }

  /** Completes every waiting record of {@code topic}, in send order. */
  public void completeAll(String topic) {
    waiting(topic).forEach(this::complete);
  }

  private synchronized Callback take(ProducerRecord<String, Buffer> record) {
    for (int i = 0; i < held.size(); i++) {
      if (held.get(i).record == record) {
        return held.remove(i).callback;
      }
    }
    throw new IllegalStateException("not waiting: " + record);
  }
}
