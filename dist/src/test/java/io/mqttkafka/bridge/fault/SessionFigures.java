package io.mqttkafka.bridge.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.process.BridgeProcess;
import io.mqttkafka.bridge.process.ProcessCluster;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.RawMqttClient;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The persistent-session figures, on a cluster of two bridge processes: the live heap per offline
 * session and per queued message (class histogram totals after a full GC, against the same cluster
 * with none); the time from CONNECT to CONNACK of a resumed session (and to its first queued message)
 * against a clean CONNECT measured in the same run, alternating; and how fast a fleet of persistent
 * devices resumes its sessions on the survivor after SIGKILL of the instance it was connected to.
 *
 * <p>Not part of the build (its name does not end in IT); one bounded run (about 3 minutes):
 * {@code mvn -B -o -pl dist -am verify -Dit.test=SessionFigures -Dtest=NONE
 * -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false}; sizes with
 * {@code -Dfigures.sessions} (2,000), {@code -Dfigures.queued} (10 per session),
 * {@code -Dfigures.resumes} (300), {@code -Dfigures.fleet} (1,000). Results in
 * {@code target/session-figures.md}.
 */
class SessionFigures {

  private static final int SESSIONS = Integer.getInteger("figures.sessions", 2_000);
  private static final int QUEUED = Integer.getInteger("figures.queued", 10);
  private static final int RESUMES = Integer.getInteger("figures.resumes", 300);
  private static final int FLEET = Integer.getInteger("figures.fleet", 1_000);
  private static final int PAYLOAD = 100;
  private static final Path RESULTS = Path.of("target", "session-figures.md");
  private static final Pattern TOTAL = Pattern.compile("Total\\s+\\d+\\s+(\\d+)");
  private static final String YAML = """
      mappings:
        downlink: { filters: ["DL/#"], ackTimeout: 10s }
      sessions:
        maxExpiry: 3600s
        queue: { maxMessages: 1000 }
      """;

  @Test
  void sessionFigures() throws Exception {
    try (ProcessCluster cluster = new ProcessCluster("figures", YAML, TestKafka.bootstrapServers(), 2).heap("1g")) {
      cluster.startAll();
      List<Integer> ports = cluster.mqttPorts();
      ExecutorService pool = Executors.newFixedThreadPool(64);
      try {
        // Warm-up: clean connections through both instances, then the reference heap (N = 0).
        parallel(pool, 400, i -> cleanConnect(ports.get(i % 2), "warm-" + i));
        long heap0 = heap(cluster);

        parallel(pool, SESSIONS, i -> makeSession(ports.get(i % 2), "sess-" + i));
        await().atMost(Duration.ofMinutes(2)).until(() -> gauge(cluster, "mqtt_bridge_router_sessions_offline")
            >= SESSIONS);
        long heap1 = heap(cluster);

        writeQueue(cluster.downlinkTopic());
        await().atMost(Duration.ofMinutes(2)).until(() -> gauge(cluster, "mqtt_bridge_router_parked_messages")
            >= (double) SESSIONS * QUEUED);
        long heap2 = heap(cluster);
        report("heap per offline session: %d bytes ((%d - %d) / %d sessions; class histogram totals of both "
            + "instances after a full GC)", (heap1 - heap0) / SESSIONS, heap1, heap0, SESSIONS);
        report("heap per queued message (%d-byte payload): %d bytes ((%d - %d) / %d messages)", PAYLOAD,
            (heap2 - heap1) / ((long) SESSIONS * QUEUED), heap2, heap1, (long) SESSIONS * QUEUED);

        resumeTimes(ports);
        fleetAfterLoss(cluster, pool);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  /** Alternating on both instances: a clean CONNECT, then a resume of a session with queued messages. */
  private static void resumeTimes(List<Integer> ports) throws Exception {
    List<Long> clean = new ArrayList<>();
    List<Long> resumed = new ArrayList<>();
    List<Long> firstMessage = new ArrayList<>();
    for (int i = 0; i < Math.min(RESUMES, SESSIONS); i++) {
      int port = ports.get(i % 2);
      clean.add(cleanConnect(port, "ref-" + i));
      try (RawMqttClient c = new RawMqttClient(port)) {
        long start = System.nanoTime();
        c.send(MqttPackets.connect("sess-" + i, false));
        RawMqttClient.Packet connack = c.read();
        resumed.add(System.nanoTime() - start);
        assertThat(connack.body()[0] & 0x01).as("session present").isEqualTo(1);
        for (int m = 0; m < QUEUED; m++) {
          RawMqttClient.Packet publish = c.read();
          if (m == 0) {
            firstMessage.add(System.nanoTime() - start);
          }
          c.send(MqttPackets.puback(packetId(publish)));
        }
        c.send(MqttPackets.disconnect());
      }
    }
    report("CONNECT to CONNACK, clean (reference): p50 %.2f ms, p99 %.2f ms (%d)", ms(clean, 50), ms(clean, 99),
        clean.size());
    report("CONNECT to CONNACK, session resumed: p50 %.2f ms, p99 %.2f ms; ratio to clean p50 %.2f, p99 %.2f",
        ms(resumed, 50), ms(resumed, 99), ms(resumed, 50) / ms(clean, 50), ms(resumed, 99) / ms(clean, 99));
    report("CONNECT to the first of %d queued messages: p50 %.2f ms, p99 %.2f ms", QUEUED, ms(firstMessage, 50),
        ms(firstMessage, 99));
  }

  /** FLEET persistent devices on instance 0; SIGKILL of it; all reconnect to instance 1 at once. */
  private static void fleetAfterLoss(ProcessCluster cluster, ExecutorService pool) throws Exception {
    int home = cluster.get(0).mqttPort();
    int survivor = cluster.get(1).mqttPort();
    List<RawMqttClient> held = Collections.synchronizedList(new ArrayList<>());
    parallel(pool, FLEET, i -> {
      RawMqttClient c = new RawMqttClient(home);
      held.add(c);
      c.send(MqttPackets.connect("fleet-" + i, 4, null, null, 0, false, 0, false));
      c.read();
      c.send(MqttPackets.subscribe(1, "DL/#", 1));
      c.read();
      return 0L;
    });
    long killed = System.nanoTime();
    cluster.kill(0);
    List<Long> back = parallel(pool, FLEET, i -> {
      while (true) {
        try (RawMqttClient c = new RawMqttClient(survivor)) {
          c.setTimeoutMillis(30_000);
          c.send(MqttPackets.connect("fleet-" + i, false));
          RawMqttClient.Packet connack = c.read();
          if (connack.body()[1] == 0) {
            assertThat(connack.body()[0] & 0x01).as("session present").isEqualTo(1);
            long at = System.nanoTime() - killed;
            c.send(MqttPackets.disconnect());
            return at;
          }
        }
        Thread.sleep(100);
      }
    });
    for (RawMqttClient c : held) {
      c.close();
    }
    long last = Collections.max(back);
    report("fleet of %d persistent devices, SIGKILL of their instance: all resumed on the survivor %.2f s after "
        + "the kill (%.0f sessions/s); per device p50 %.2f s, p99 %.2f s", FLEET, last / 1e9, FLEET / (last / 1e9),
        ms(back, 50) / 1000, ms(back, 99) / 1000);
    long first = Collections.min(back);
    report("  from the first resume to the last: %.2f s (%.0f sessions/s)", (last - first) / 1e9,
        FLEET / Math.max(1e-9, (last - first) / 1e9));
  }

  private static long cleanConnect(int port, String clientId) throws IOException {
    try (RawMqttClient c = new RawMqttClient(port)) {
      long start = System.nanoTime();
      c.send(MqttPackets.connect(clientId));
      RawMqttClient.Packet connack = c.read();
      long took = System.nanoTime() - start;
      assertThat(connack.body()[1]).isZero();
      c.send(MqttPackets.disconnect());
      return took;
    }
  }

  private static long makeSession(int port, String clientId) throws IOException {
    try (RawMqttClient c = new RawMqttClient(port)) {
      c.send(MqttPackets.connect(clientId, false));
      assertThat(c.read().body()[1]).isZero();
      c.send(MqttPackets.subscribe(1, "DL/#", 1));
      c.read();
      c.send(MqttPackets.disconnect());
      return 0;
    }
  }

  private static void writeQueue(String topic) throws Exception {
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers(),
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
        ProducerConfig.LINGER_MS_CONFIG, 5))) {
      byte[] payload = new byte[PAYLOAD];
      for (int m = 0; m < QUEUED; m++) {
        for (int i = 0; i < SESSIONS; i++) {
          RecordHeaders headers = new RecordHeaders();
          headers.add("mqtt.topic", "DL/cmd".getBytes(StandardCharsets.UTF_8));
          headers.add("correlation.id", ("q-" + i + "-" + m).getBytes(StandardCharsets.UTF_8));
          producer.send(new ProducerRecord<>(topic, null, "sess-" + i, payload, headers));
        }
      }
      producer.flush();
    }
  }

  /** Live heap of the running members: the total of a class histogram, which runs a full GC first. */
  private static long heap(ProcessCluster cluster) throws Exception {
    long total = 0;
    for (int i = 0; i < 2; i++) {
      BridgeProcess member = cluster.get(i);
      if (member != null && member.alive()) {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(member.pid()), "GC.class_histogram")
            .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Matcher m = TOTAL.matcher(out);
        assertThat(m.find()).as("histogram of %s: %s", member.id(), out.length() > 300 ? out.substring(0, 300) : out)
            .isTrue();
        total += Long.parseLong(m.group(1));
      }
    }
    return total;
  }

  private static double gauge(ProcessCluster cluster, String name) {
    return cluster.get(0).metric(name, "") + cluster.get(1).metric(name, "");
  }

  /** A task per index on the pool; returns their results in index order. */
  private static List<Long> parallel(ExecutorService pool, int count, Task task) throws Exception {
    List<Future<Long>> futures = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int index = i;
      futures.add(pool.submit(() -> task.run(index)));
    }
    List<Long> results = new ArrayList<>();
    for (Future<Long> f : futures) {
      results.add(f.get(3, TimeUnit.MINUTES));
    }
    return results;
  }

  private interface Task {
    long run(int index) throws Exception;
  }

  private static int packetId(RawMqttClient.Packet publish) {
    byte[] body = publish.body();
    int topicLength = ((body[0] & 0xFF) << 8) | (body[1] & 0xFF);
    return ((body[2 + topicLength] & 0xFF) << 8) | (body[3 + topicLength] & 0xFF);
  }

  /** The percentile of nanosecond samples, in milliseconds. */
  private static double ms(List<Long> nanos, int percentile) {
    List<Long> sorted = new ArrayList<>(nanos);
    Collections.sort(sorted);
    int index = Math.min(sorted.size() - 1, (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1);
    return sorted.get(Math.max(0, index)) / 1e6;
  }

  private static void report(String format, Object... args) throws IOException {
    String line = format.formatted(args);
    System.out.println("FIGURE " + line);
    Files.createDirectories(RESULTS.getParent());
    Files.writeString(RESULTS, "- " + line + System.lineSeparator(), StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }
}
