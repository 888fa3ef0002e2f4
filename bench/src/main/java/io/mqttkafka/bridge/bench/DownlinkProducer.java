package io.mqttkafka.bridge.bench;

import io.mqttkafka.bridge.records.DownlinkRecord;
import io.mqttkafka.bridge.testkit.Pacer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;

/**
 * The back end of the downlink benchmark: one thread writes downlink records (key = the device's
 * client id, headers {@code mqtt.topic}, {@code mqtt.qos}, {@code correlation.id}) round-robin over
 * the devices at a paced rate. The send time in the payload is taken just before
 * {@link KafkaProducer#send}.
 */
final class DownlinkProducer {

  private final KafkaProducer<byte[], byte[]> producer;
  private final String topic;
  private final List<Integer> devices;
  private final String clientIdPrefix;
  private final String topicPattern;
  private final int qos;
  private final int payloadSize;
  private final int runId;
  private final String correlationPrefix;
  private final double rate;
  private final long[] seq;
  private final LongAdder[] produced = {new LongAdder(), new LongAdder()};
  private final LongAdder failed = new LongAdder();
  private final Latency ackLatency = new Latency();
  private final Thread thread;
  private volatile byte phase = Payload.WARMUP;
  private volatile long budget = Long.MAX_VALUE;
  private volatile boolean running = true;

  DownlinkProducer(KafkaProducer<byte[], byte[]> producer, String topic, List<Integer> devices, String clientIdPrefix,
                   String topicPattern, int qos, int payloadSize, int runId, String correlationPrefix, double rate,
                   int deviceCount) {
    this.producer = producer;
    this.topic = topic;
    this.devices = devices;
    this.clientIdPrefix = clientIdPrefix;
    this.topicPattern = topicPattern;
    this.qos = qos;
    this.payloadSize = payloadSize;
    this.runId = runId;
    this.correlationPrefix = correlationPrefix;
    this.rate = rate;
    this.seq = new long[deviceCount];
    this.thread = new Thread(this::run, "bench-downlink-producer");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** From now on records count as measured; {@code messages} > 0 stops after that many. */
  void measure(long messages) {
    if (messages > 0) {
      budget = messages;
    }
    phase = Payload.MEASURED;
  }

  boolean budgetUsed() {
    return phase == Payload.MEASURED && produced[Payload.MEASURED].sum() >= budget;
  }

  void stop() throws InterruptedException {
    running = false;
    thread.join(10_000);
    producer.flush();
  }

  private void run() {
    Pacer pacer = new Pacer(rate);
    pacer.start(System.nanoTime());
    int cursor = 0;
    while (running && !budgetUsed()) {
      long due = Math.min(pacer.due(System.nanoTime()), 64);
      if (due == 0) {
        Pacer.pause();
        continue;
      }
      int n = 0;
      // Stop at the budget inside a burst too: --messages N produces exactly N measured records.
      for (; n < due && !budgetUsed(); n++) {
        int device = devices.get(cursor);
        cursor = cursor + 1 == devices.size() ? 0 : cursor + 1;
        send(device);
      }
      pacer.sent(n);
    }
  }

  private void send(int device) {
    byte p = phase;
    long s = seq[device]++;
    Headers headers = DownlinkRecord.headers(topicPattern.replace("{i}", Integer.toString(device)), qos,
        correlationPrefix + p + "-" + device + "-" + s);
    byte[] key = (clientIdPrefix + device).getBytes(StandardCharsets.UTF_8);
    long now = System.nanoTime();
    byte[] value = Payload.encode(payloadSize, runId, p, now, device, s);
    produced[p].increment();
    producer.send(new ProducerRecord<>(topic, null, key, value, headers), (metadata, e) -> {
      if (e != null) {
        failed.increment();
      } else if (p == Payload.MEASURED) {
        ackLatency.recordNanos(System.nanoTime() - now);
      }
    });
  }

  long produced(byte ofPhase) {
    return produced[ofPhase].sum();
  }

  long producedTotal() {
    return produced[0].sum() + produced[1].sum();
  }

  /** Back end send to Kafka's acknowledgement: the part of the downlink latency before the bridge. */
  Latency ackLatency() {
    return ackLatency;
  }

  long failed() {
    return failed.sum();
  }
}
