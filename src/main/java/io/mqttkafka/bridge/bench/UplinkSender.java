package io.mqttkafka.bridge.bench;

import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.buffer.Buffer;
import io.vertx.mqtt.MqttClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * The uplink load: sender threads (not event loops) call {@link MqttClient#publish} round-robin
 * over the connections, paced to a rate or free-running. Publishing from outside the event loop
 * lets vert.x batch the writes queued meanwhile into one flush, as a busy device gateway would.
 *
 * <p>Flow control per connection: QoS 1/2 keep at most {@code inflight} PUBLISH packets
 * unacknowledged (the window a real client has); QoS 0 keeps at most {@code inflight} x 10 not yet
 * written to the socket, so a bridge that stops reading pushes back through TCP rather than filling
 * the bench's heap. PUBACK (QoS 1) or PUBCOMP (QoS 2) latency is measured in the measured phase:
 * the bridge acknowledges in PUBLISH order, so each connection's send times form a queue.
 */
final class UplinkSender {

  /** One connection's sending state. */
  static final class Source {
    final int index;
    final MqttClient client;
    final String topic;
    final AtomicInteger outstanding = new AtomicInteger();
    long seq;
    private final long[] sendTimes;
    private int head;
    private int tail;

    Source(int index, MqttClient client, String topic, int window) {
      this.index = index;
      this.client = client;
      this.topic = topic;
      this.sendTimes = new long[Integer.highestOneBit(Math.max(window, 1)) * 4];
    }

    synchronized void pushSendTime(long nanos) {
      sendTimes[tail++ & (sendTimes.length - 1)] = nanos;
    }

    synchronized long popSendTime() {
      return head == tail ? -1 : sendTimes[head++ & (sendTimes.length - 1)];
    }
  }

  private final int qos;
  private final MqttQoS mqttQos;
  private final int payloadSize;
  private final int runId;
  private final double rate;
  private final int threads;
  private final int window;
  private final String topicPattern;
  private final Latency ackLatency = new Latency();
  private final List<Source> sources = new ArrayList<>();
  private final LongAdder[] published = {new LongAdder(), new LongAdder()};
  private final LongAdder writeFailures = new LongAdder();
  private final LongAdder acked = new LongAdder();
  private final AtomicLong budget = new AtomicLong(Long.MAX_VALUE);
  private final List<Thread> senders = new ArrayList<>();
  private volatile byte phase = Payload.WARMUP;
  private volatile long measuredStartNanos = Long.MAX_VALUE;
  private volatile boolean running = true;

  UplinkSender(int qos, int payloadSize, int runId, double rate, int threads, int window, String topicPattern) {
    this.qos = qos;
    this.mqttQos = MqttQoS.valueOf(qos);
    this.payloadSize = payloadSize;
    this.runId = runId;
    this.rate = rate;
    this.threads = threads;
    this.window = qos == 0 ? window * 10 : window;
    this.topicPattern = topicPattern;
  }

  /** Installs the acknowledgement handler on a new connection; called before it connects. */
  Consumer<Fleet.Connection> setup() {
    return c -> {
      Source s = new Source(c.index(), c.client(), topicPattern.replace("{i}", Integer.toString(c.index())), window);
      c.client().publishCompletionHandler(packetId -> onAck(s));
      synchronized (sources) {
        sources.add(s);
      }
    };
  }

  /** Keeps only the connections that are open; call after the fleet opened. */
  void retain(List<Fleet.Connection> open) {
    java.util.Set<Integer> ids = new java.util.HashSet<>();
    open.forEach(c -> ids.add(c.index()));
    synchronized (sources) {
      sources.removeIf(s -> !ids.contains(s.index));
    }
  }

  void start() {
    List<Source> all;
    synchronized (sources) {
      all = new ArrayList<>(sources);
    }
    int n = Math.max(1, Math.min(threads, all.size()));
    for (int t = 0; t < n; t++) {
      List<Source> slice = new ArrayList<>();
      for (int i = t; i < all.size(); i += n) {
        slice.add(all.get(i));
      }
      Thread thread = new Thread(() -> send(slice.toArray(Source[]::new), rate / n), "bench-uplink-sender-" + t);
      thread.setDaemon(true);
      senders.add(thread);
      thread.start();
    }
  }

  /** From now on messages count as measured; {@code messages} > 0 ends the run after that many. */
  void measure(long nowNanos, long messages) {
    measuredStartNanos = nowNanos;
    if (messages > 0) {
      budget.set(messages);
    }
    phase = Payload.MEASURED;
  }

  boolean budgetUsed() {
    return budget.get() <= 0;
  }

  void stop() throws InterruptedException {
    running = false;
    for (Thread t : senders) {
      t.join(10_000);
    }
  }

  private void send(Source[] slice, double threadRate) {
    Pacer pacer = new Pacer(threadRate);
    pacer.start(System.nanoTime());
    int cursor = 0;
    while (running) {
      long due = Math.min(pacer.due(System.nanoTime()), 256);
      int sent = 0;
      int skipped = 0;
      while (sent < due && skipped < slice.length && running) {
        Source s = slice[cursor];
        cursor = cursor + 1 == slice.length ? 0 : cursor + 1;
        if (s.outstanding.get() >= window) {
          skipped++;
          continue;
        }
        skipped = 0;
        if (phase == Payload.MEASURED && budget.getAndDecrement() <= 0) {
          running = false;
          break;
        }
        publish(s);
        sent++;
      }
      pacer.sent(sent);
      if (sent == 0) {
        Pacer.pause();
      }
    }
  }

  private void publish(Source s) {
    byte p = phase;
    long now = System.nanoTime();
    byte[] body = Payload.encode(payloadSize, runId, p, now, s.index, s.seq++);
    s.outstanding.incrementAndGet();
    if (qos > 0) {
      s.pushSendTime(now);
    }
    published[p].increment();
    s.client.publish(s.topic, Buffer.buffer(body), mqttQos, false, false).onComplete((id, failure) -> {
      if (failure != null) {
        writeFailures.increment();
      } else if (qos == 0) {
        s.outstanding.decrementAndGet();
      }
    });
  }

  private void onAck(Source s) {
    long sent = s.popSendTime();
    long now = System.nanoTime();
    if (sent >= measuredStartNanos) {
      ackLatency.recordNanos(now - sent);
    }
    acked.increment();
    s.outstanding.decrementAndGet();
  }

  long published(byte ofPhase) {
    return published[ofPhase].sum();
  }

  long publishedTotal() {
    return published[0].sum() + published[1].sum();
  }

  long writeFailures() {
    return writeFailures.sum();
  }

  long acked() {
    return acked.sum();
  }

  /** Messages published and not yet acknowledged (QoS 1/2) or written (QoS 0). */
  long outstanding() {
    long sum = 0;
    synchronized (sources) {
      for (Source s : sources) {
        sum += s.outstanding.get();
      }
    }
    return sum;
  }

  int connections() {
    synchronized (sources) {
      return sources.size();
    }
  }

  Latency ackLatency() {
    return ackLatency;
  }
}
