package io.mqttkafka.bridge.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The sender's own in-flight limit: uplink records are refused at it, the bridge's own records
 * (receipts, presence) only at twice it, the producer's buffer.memory, so that a flood of uplink
 * messages cannot cost a downlink record its receipt.
 */
class KafkaSenderTest {

  private static final long LIMIT = 1_000;

  private final Vertx vertx = Vertx.vertx();
  private final MockProducer<String, Buffer> producer =
      new MockProducer<>(false, null, new StringSerializer(), new BufferSerializer());
  private final KafkaSender sender = new KafkaSender(vertx, producer, LIMIT, 60_000);

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  void uplinkRecordsAreRefusedAtTheLimitWhileTheBridgesOwnRecordsGoOnUntilTwiceIt() {
    Future<RecordMetadata> first = sender.send(record(600));
    Future<RecordMetadata> refused = sender.send(record(600));
    Future<RecordMetadata> receipt = sender.sendControl(record(600));
    Future<RecordMetadata> beyondBufferMemory = sender.sendControl(record(900));

    assertThat(first.isComplete()).as("within the limit: on its way").isFalse();
    assertThat(refused.failed()).isTrue();
    assertThat(refused.cause()).isInstanceOf(OverloadedException.class);
    assertThat(receipt.isComplete()).as("a receipt is not refused at the uplink limit").isFalse();
    assertThat(beyondBufferMemory.failed()).as("but at twice it").isTrue();
    assertThat(producer.history()).hasSize(2);
    assertThat(sender.congested()).isTrue();

    producer.completeNext();
    producer.completeNext();
    assertThat(sender.inFlightBytes()).isZero();
    assertThat(sender.send(record(600)).failed()).as("room again once Kafka took them").isFalse();
  }

  @Test
  void aCountedSuccessIsHandedOverWhereKafkaReportsItAFailureOnTheSendersContext() throws Exception {
    Context context = vertx.getOrCreateContext();
    CompletableFuture<Thread> succeeded = new CompletableFuture<>();
    CompletableFuture<Boolean> failedOnContext = new CompletableFuture<>();
    context.runOnContext(v -> {
      sender.sendCountingSuccess(record(10), (metadata, failure) -> succeeded.complete(Thread.currentThread()));
      sender.sendCountingSuccess(record(10), (metadata, failure) ->
          failedOnContext.complete(failure != null && Vertx.currentContext() == context));
    });
    await().until(() -> producer.history().size() == 2);
    Thread kafkaThread = new Thread(() -> {
      producer.completeNext();
      producer.errorNext(new RuntimeException("broker says no"));
    }, "kafka-io-stand-in");
    kafkaThread.start();
    kafkaThread.join();
    assertThat(succeeded.get(10, TimeUnit.SECONDS)).as("no task on the context for a success").isSameAs(kafkaThread);
    assertThat(failedOnContext.get(10, TimeUnit.SECONDS)).isTrue();
    assertThat(sender.inFlightBytes()).isZero();
  }

  @Test
  void workAskedForDuringABatchOfOutcomesRunsOnceTheBatchIsHandedOverEvenAfterAnotherFails() throws Exception {
    Context context = vertx.getOrCreateContext();
    List<String> order = new CopyOnWriteArrayList<>();
    CompletableFuture<Boolean> outsideABatch = new CompletableFuture<>();
    context.runOnContext(v -> {
      outsideABatch.complete(sender.afterCompletions(() -> order.add("never")));
      sender.send(record(10), (metadata, failure) -> {
        order.add("outcome");
        sender.afterCompletions(() -> {
          throw new IllegalStateException("one task fails");
        });
        order.add("asked: " + sender.afterCompletions(() -> order.add("after the batch")));
        order.add("outcome handled");
      });
    });
    assertThat(outsideABatch.get(10, TimeUnit.SECONDS)).isFalse();
    await().until(() -> producer.history().size() == 1);
    producer.completeNext();
    await().until(() -> order.size() == 4);
    assertThat(order).containsExactly("outcome", "asked: true", "outcome handled", "after the batch");
  }

  private static ProducerRecord<String, Buffer> record(int valueBytes) {
    return new ProducerRecord<>("t", "k", Buffer.buffer(new byte[valueBytes]));
  }
}
