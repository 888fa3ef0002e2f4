package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.testkit.Clients;
import io.mqttkafka.bridge.testkit.HostilePackets;
import io.mqttkafka.bridge.testkit.HostilePackets.Sequence;
import io.mqttkafka.bridge.testkit.Metrics;
import io.mqttkafka.bridge.testkit.SteadyPublisher;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testkit.TestKafka;
import io.mqttkafka.bridge.testkit.WarningLog;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Hostile input (issue #5): thousands of mutated and rule-breaking MQTT 3.1.1 and 5 packets on
 * hundreds of loopback connections (a bounded pool), plus slow-loris connections that never finish
 * CONNECT, while a well-behaved client publishes QoS 1. Afterwards: the bridge is still up, the good
 * client lost nothing, every hostile connection was closed by the bridge, no exception reached
 * Netty's pipeline tail or vert.x's unhandled-exception path, no ByteBuf leaked, and heap after GC
 * stayed within a bound.
 *
 * <p>Reproduce a run with {@code -Dfuzz.seed=N} (the seed is printed); {@code -Dfuzz.connections},
 * {@code -Dfuzz.concurrency} and {@code -Dfuzz.slowLoris} change the load; {@code -Dfuzz.paranoid=true}
 * turns on Netty's paranoid leak detection (slow, for local runs).
 *
 * <p><b>What "closed" means.</b> Each fuzz connection sends its sequence at once, then reads until the
 * bridge closes it (EOF or reset) or 300 ms pass without a packet. A connection still open then may
 * hold a valid mutant or be waiting for the rest of a packet whose length was mutated, so the test
 * probes it: it sends {@code mqtt.maxMessageSize} bytes' worth of PINGREQ, which completes any
 * partial packet the decoder may be waiting for. The bridge must then close the connection or answer
 * PINGRESP; only after a PINGRESP (the connection is in a valid state: the mutant happened to be valid
 * or was tolerated) does the test send DISCONNECT, after which the bridge must close it. A connection
 * that neither answers nor closes ("stuck"), or stays open after DISCONNECT, fails the test.
 */
class FuzzIT {

  private static final long SEED = Long.getLong("fuzz.seed", 20261122L);
  private static final int CONNECTIONS = Integer.getInteger("fuzz.connections", 4000);
  private static final int CONCURRENCY = Integer.getInteger("fuzz.concurrency", 24);
  private static final int SLOW_LORIS = Integer.getInteger("fuzz.slowLoris", 24);
  private static final int MAX_MESSAGE_SIZE = 4096;
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);
  /**
   * Generous: the bridge shares this JVM with the Kafka broker and the test (growth measured: about
   * 2 MiB). A leak of 10 KiB per fuzz connection would exceed it.
   */
  private static final long HEAP_GROWTH_BOUND = 32L << 20;

  /**
   * Hostile cases the bridge may answer like valid input (the connection then passes the probe and
   * is closed after DISCONNECT), each for a reason; every other rule-breaking case must be closed.
   */
  private static final Set<String> TOLERATED = Set.of(
      // Acknowledgements of packet ids the bridge does not hold: the spec lets the receiver ignore them.
      "v3.1.1 puback.unknownPacketId", "v5 puback.unknownPacketId", "v3.1.1 pubrec.unknownPacketId",
      "v5 pubrec.unknownPacketId", "v3.1.1 pubcomp.unknownPacketId", "v5 pubcomp.unknownPacketId",
      "v3.1.1 pubrel.unknownPacketId", "v5 pubrel.unknownPacketId",
      // Netty accepts these and hands over a valid packet (non-minimal length encoding; reserved
      // SUBSCRIBE option bits dropped; one of two equal properties kept; known properties in the
      // wrong packet): harmless for the bridge, not closed.
      "v3.1.1 remainingLength.overlongEncoding", "v5 remainingLength.overlongEncoding",
      "v3.1.1 subscribe.reservedOptionBits", "v5 subscribe.reservedOptionBits",
      "v5 connect.v5.duplicateProperty", "v5 publish.v5.duplicateProperty",
      "v5 connect.v5.propertyNotAllowed", "v5 publish.v5.propertyNotAllowed",
      // Answered within the protocol: PUBACK 0x90 for an unmapped topic, SUBACK failure for $share.
      "v5 publish.unmappedTopic", "v5 subscribe.v5.sharedSubscription",
      // Valid in MQTT 5.
      "v5 connect.passwordWithoutUsername",
      // The probe's PINGREQ bytes complete the short packet, which may then be valid.
      "v3.1.1 publish.remainingLengthBeyondData", "v5 publish.remainingLengthBeyondData");

  private static final String FUZZ_TOPIC = TestKafka.uniqueTopic("fuzz");
  private static final String GOOD_TOPIC = TestKafka.uniqueTopic("fuzz-good");
  private static final String GOOD_CLIENT = "good-publisher";

  private static Bridge bridge;
  private static final WarningLog LOG = new WarningLog();

  @BeforeAll
  static void start() throws Exception {
    System.out.printf("FuzzIT seed %d (reproduce with -Dfuzz.seed=%d), %d connections, %d at a time, %d slow-loris%n",
        SEED, SEED, CONNECTIONS, CONCURRENCY, SLOW_LORIS);
    if (Boolean.getBoolean("fuzz.paranoid")) {
      io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.PARANOID);
    }
    LOG.install();
    if (Boolean.getBoolean("fuzz.debug")) {
      ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger("io.mqttkafka.bridge.mqtt").setLevel(Level.DEBUG);
    }
    bridge = TestBridge.start("""
        mqtt:
          maxMessageSize: %d
          connectTimeout: %ds
        mappings:
          uplink:
            - { match: "^UL/good/(.+)$", topic: "%s" }
            - { match: "^UL/(.+)$", topic: "%s" }
        """.formatted(MAX_MESSAGE_SIZE, CONNECT_TIMEOUT.toSeconds(), GOOD_TOPIC, FUZZ_TOPIC));
  }

  @AfterAll
  static void stop() {
    LOG.uninstall();
    if (bridge != null) {
      bridge.stop();
    }
  }

  @Test
  void hostileInputClosesOnlyTheHostileConnectionsAndLosesNothing() throws Exception {
    SteadyPublisher good = new SteadyPublisher(bridge.mqttPort(), GOOD_CLIENT, "UL/good/");
    good.start();
    Map<String, Map<String, AtomicInteger>> outcomes = new ConcurrentHashMap<>();
    AtomicLong packets = new AtomicLong();
    AtomicLong mutatedPackets = new AtomicLong();

    // Warm-up (class loading, JIT, buffer pools) before the heap baseline: the first 10 %.
    int warmUp = CONNECTIONS / 10;
    runFuzz(0, warmUp, outcomes, packets, mutatedPackets);
    long heapBefore = heapUsedAfterGc();

    ExecutorService loris = Executors.newFixedThreadPool(Math.max(1, SLOW_LORIS));
    List<Future<String>> lorisResults = new ArrayList<>();
    for (int i = 0; i < SLOW_LORIS; i++) {
      int index = i;
      lorisResults.add(loris.submit(() -> slowLoris(index)));
    }
    long fuzzStart = System.nanoTime();
    runFuzz(warmUp, CONNECTIONS, outcomes, packets, mutatedPackets);
    long fuzzMillis = (System.nanoTime() - fuzzStart) / 1_000_000;
    Map<String, AtomicInteger> lorisOutcomes = new TreeMap<>();
    for (Future<String> result : lorisResults) {
      lorisOutcomes.computeIfAbsent(result.get(60, TimeUnit.SECONDS), k -> new AtomicInteger()).incrementAndGet();
    }
    loris.shutdown();
    good.stop();
    long heapAfter = heapUsedAfterGc();

    String scrape = Metrics.scrape(bridge.httpPort());
    report(outcomes, lorisOutcomes, packets.get(), mutatedPackets.get(), fuzzMillis, heapBefore, heapAfter, good, scrape);

    // Every hostile connection was closed by the bridge; none got stuck or stayed open.
    Map<End, Integer> byEnd = new TreeMap<>();
    outcomes.forEach((name, signatures) -> signatures.forEach((signature, n) ->
        byEnd.merge(End.valueOf(signature.substring(0, signature.indexOf(' '))), n.get(), Integer::sum)));
    assertThat(byEnd.keySet()).as("outcome classes of %d fuzz connections: %s", CONNECTIONS, byEnd)
        .doesNotContain(End.STUCK, End.OPEN_AFTER_DISCONNECT, End.CONNECT_FAILED);
    assertThat(byEnd.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(CONNECTIONS);
    assertThat(lorisOutcomes.keySet()).as("slow-loris outcomes").allMatch(o -> o.startsWith("closed"));
    List<String> toleratedViolations = outcomes.entrySet().stream()
        .filter(e -> !e.getKey().contains(" mutation.") && !e.getKey().endsWith(" valid") && !TOLERATED.contains(e.getKey()))
        .filter(e -> e.getValue().keySet().stream().anyMatch(sig -> sig.startsWith(End.VALID_CLOSED_AFTER_DISCONNECT.name())))
        .map(Map.Entry::getKey).sorted().toList();
    assertThat(toleratedViolations).as("rule-breaking cases the bridge answered like valid input").isEmpty();

    // The good client was never disconnected, and everything it got PUBACK for is in Kafka.
    assertThat(good.lost).as("good client connection lost").isNull();
    assertThat(good.failures).as("good client publish failures").isEmpty();
    assertThat(good.acked).as("good client acknowledged messages").hasSizeGreaterThan(10);
    Set<String> inKafka = TestKafka.consume(GOOD_TOPIC, good.acked.size(), Duration.ofSeconds(30)).stream()
        .filter(r -> GOOD_CLIENT.equals(r.key()))
        .map(r -> new String(r.value(), StandardCharsets.UTF_8)).collect(Collectors.toSet());
    assertThat(inKafka).as("acknowledged good messages in Kafka").containsAll(
        good.acked.stream().map(String::valueOf).toList());

    // The bridge is still up: a new client connects and publishes.
    var fresh = Clients.v5(bridge.mqttPort(), "fresh-after-fuzz");
    fresh.publish("UL/good/fresh", "fresh".getBytes(StandardCharsets.UTF_8), 1, false).waitForCompletion(10_000);
    assertThat(TestKafka.consume(GOOD_TOPIC, good.acked.size() + 1, Duration.ofSeconds(30)))
        .extracting(ConsumerRecord::key).contains("fresh-after-fuzz");
    fresh.disconnect().waitForCompletion(10_000);
    good.client.disconnect().waitForCompletion(10_000);
    good.client.close();

    // Nothing left behind: no sessions, no open connections by the bridge's own count.
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      assertThat(bridge.sessions().all()).extracting(DeviceSession::clientId).as("sessions in the registry").isEmpty();
      assertThat(Metrics.value(Metrics.scrape(bridge.httpPort()), "mqtt_bridge_connections", ""))
          .as("connections gauge").isZero();
    });

    // No exception escaped into a Netty pipeline tail or vert.x's unhandled path; no ByteBuf leaked.
    assertThat(LOG.matching("exceptionCaught() event was fired")).as("exceptions at the pipeline tail").isEmpty();
    assertThat(LOG.matching("Unhandled exception")).as("unhandled exceptions").isEmpty();
    assertThat(LOG.matching("LEAK:")).as("ByteBuf leaks").isEmpty();
    assertThat(LOG.matching("blocked for")).as("blocked event loops").isEmpty();
    assertThat(LOG.matching("RejectedTopicException")).as("device faults logged at WARN").isEmpty();
    assertThat(LOG.errorsFrom("io.vertx", "io.netty", "io.mqttkafka")).as("ERROR logs of the bridge, vert.x, Netty")
        .isEmpty();

    // Heap after GC: bounded growth over all fuzz connections (the Kafka broker in this JVM grows a
    // little with the records written, hence the generous bound).
    assertThat(heapAfter - heapBefore).as("heap growth after GC, bytes").isLessThan(HEAP_GROWTH_BOUND);
  }

  // ------------------------------------------------------------------ fuzz connections

  /** How a fuzz connection ended. */
  enum End {
    /** The bridge closed it right after the sequence. */
    CLOSED,
    /** The bridge closed it after the probe (the probe completed a partial packet, or broke a valid state). */
    CLOSED_AFTER_PROBE,
    /** It answered the probe with PINGRESP (valid or tolerated), and closed it after the test's DISCONNECT. */
    VALID_CLOSED_AFTER_DISCONNECT,
    /** Neither closed nor answered the probe: a failure. */
    STUCK,
    /** Answered the probe but stayed open after DISCONNECT: a failure. */
    OPEN_AFTER_DISCONNECT,
    /** The TCP connection could not be opened: a failure. */
    CONNECT_FAILED
  }

  private void runFuzz(int from, int to, Map<String, Map<String, AtomicInteger>> outcomes, AtomicLong packets,
                       AtomicLong mutatedPackets) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(CONCURRENCY);
    List<Future<?>> futures = new ArrayList<>();
    for (int i = from; i < to; i++) {
      int index = i;
      futures.add(pool.submit(() -> {
        Random random = new Random(SEED * 1_000_003L + index);
        int level = random.nextBoolean() ? HostilePackets.V5 : HostilePackets.V311;
        HostilePackets gen = new HostilePackets(random, level, "fz-" + index);
        int kind = random.nextInt(20);
        Sequence sequence;
        if (kind < 2) {
          sequence = new Sequence("valid", gen.validSequence(), 0);
        } else if (kind < 11) {
          sequence = gen.mutated();
        } else {
          List<String> names = gen.caseNames();
          sequence = gen.hostile(names.get(random.nextInt(names.size())));
        }
        packets.addAndGet(sequence.packets().size());
        mutatedPackets.addAndGet(sequence.mutated());
        String signature = drive(sequence.bytes());
        String name = (level == HostilePackets.V5 ? "v5 " : "v3.1.1 ") + sequence.name();
        outcomes.computeIfAbsent(name, k -> new ConcurrentHashMap<>())
            .computeIfAbsent(signature, k -> new AtomicInteger()).incrementAndGet();
      }));
    }
    for (Future<?> future : futures) {
      future.get(120, TimeUnit.SECONDS);
    }
    pool.shutdown();
  }

  /** Sends one sequence and classifies the bridge's reaction: "END responses". */
  private static String drive(byte[] bytes) {
    try (Socket socket = new Socket()) {
      try {
        socket.connect(new InetSocketAddress("127.0.0.1", bridge.mqttPort()), 10_000);
      } catch (IOException e) {
        return End.CONNECT_FAILED + " " + e;
      }
      socket.setTcpNoDelay(true);
      Responses responses = new Responses(socket);
      if (!responses.write(bytes) || responses.closedWithin(300, 3_000, 0)) {
        return End.CLOSED + " " + responses;
      }
      byte[] probe = new byte[MAX_MESSAGE_SIZE + 64];
      for (int i = 0; i < probe.length; i += 2) {
        probe[i] = (byte) 0xC0;
      }
      int pingrespsBefore = responses.pingresps;
      if (!responses.write(probe) || responses.closedWithin(10_000, 10_000, pingrespsBefore + 1)) {
        return End.CLOSED_AFTER_PROBE + " " + responses;
      }
      if (responses.pingresps == pingrespsBefore) {
        return End.STUCK + " " + responses;
      }
      if (!responses.write(new byte[] {(byte) 0xE0, 0}) || responses.closedWithin(10_000, 10_000, 0)) {
        return End.VALID_CLOSED_AFTER_DISCONNECT + " " + responses;
      }
      return End.OPEN_AFTER_DISCONNECT + " " + responses;
    } catch (IOException e) {
      return End.CONNECT_FAILED + " " + e;
    }
  }

  /** What the bridge sent on one connection, read without blocking on partial packets. */
  private static final class Responses {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private String connack;
    private String disconnect;
    private int acks;
    private int pingresps;

    Responses(Socket socket) throws IOException {
      this.socket = socket;
      this.in = socket.getInputStream();
      this.out = socket.getOutputStream();
    }

    /** False when the bridge has already closed the connection (reset or broken pipe). */
    boolean write(byte[] bytes) {
      try {
        out.write(bytes);
        out.flush();
        return true;
      } catch (IOException e) {
        drainQuietly();
        return false;
      }
    }

    /**
     * Reads until EOF (true), or until {@code silenceMs} pass without data, {@code maxMs} pass in all,
     * or (when not 0) {@code untilPingresps} PINGRESPs have arrived in all (false).
     */
    boolean closedWithin(int silenceMs, int maxMs, int untilPingresps) throws IOException {
      long deadline = System.nanoTime() + maxMs * 1_000_000L;
      byte[] buffer = new byte[8192];
      while (untilPingresps == 0 || pingresps < untilPingresps) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
          return false;
        }
        socket.setSoTimeout((int) Math.max(1, Math.min(silenceMs, left)));
        int n;
        try {
          n = in.read(buffer);
        } catch (SocketTimeoutException e) {
          return false;
        } catch (SocketException e) {
          return true; // reset by the bridge
        }
        if (n < 0) {
          return true;
        }
        pending.write(buffer, 0, n);
        parse();
      }
      return false;
    }

    private void drainQuietly() {
      try {
        closedWithin(200, 1_000, 0);
      } catch (IOException ignored) {
        // only for the record of what was answered
      }
    }

    private void parse() {
      byte[] b = pending.toByteArray();
      int i = 0;
      while (i + 2 <= b.length) {
        int length = 0;
        int multiplier = 1;
        int j = i + 1;
        boolean complete = false;
        while (j < b.length && j < i + 5) {
          length += (b[j] & 0x7F) * multiplier;
          multiplier *= 128;
          if ((b[j++] & 0x80) == 0) {
            complete = true;
            break;
          }
        }
        if (!complete || j + length > b.length) {
          break;
        }
        int type = (b[i] & 0xFF) >> 4;
        switch (type) {
          case 2 -> connack = length >= 2 ? String.format("CONNACK 0x%02X", b[j + 1]) : "CONNACK ?";
          case 4, 5, 7, 9, 11 -> acks++;
          case 13 -> pingresps++;
          case 14 -> disconnect = length >= 1 ? String.format("DISCONNECT 0x%02X", b[j]) : "DISCONNECT";
          default -> { }
        }
        i = j + length;
      }
      pending.reset();
      pending.write(b, i, b.length - i);
    }

    @Override
    public String toString() {
      return "(" + (connack == null ? "no CONNACK" : connack) + (disconnect == null ? "" : ", " + disconnect)
          + (acks > 0 ? ", acks" : "") + ")";
    }
  }

  // ------------------------------------------------------------------ slow-loris

  /**
   * A connection that never finishes CONNECT: silent; a CONNECT sent one byte per 250 ms (a Will of
   * 1,000 bytes makes it take minutes); a lone first byte; server-only packets every 250 ms.
   * The bridge must close each one after mqtt.connectTimeout (1 s here); the test gives up after 15 s.
   */
  private static String slowLoris(int index) throws IOException, InterruptedException {
    String[] kinds = {"silent", "trickled CONNECT", "first byte only", "PINGRESP every 250 ms"};
    String kind = kinds[index % kinds.length];
    byte[] connect = io.mqttkafka.bridge.testkit.MqttPackets.connect("loris-" + index, 4, "UL/fz/will",
        new byte[1000], 0, false);
    long start = System.nanoTime();
    long giveUp = start + 15_000_000_000L;
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", bridge.mqttPort()), 10_000);
      Responses responses = new Responses(socket);
      int sent = 0;
      while (System.nanoTime() < giveUp) {
        byte[] next = switch (kind) {
          case "trickled CONNECT" -> sent < connect.length ? new byte[] {connect[sent]} : null;
          case "first byte only" -> sent == 0 ? new byte[] {0x10} : null;
          case "PINGRESP every 250 ms" -> new byte[] {(byte) 0xD0, 0};
          default -> null;
        };
        if (next != null) {
          sent += next.length;
          if (!responses.write(next)) {
            return closed(kind, start);
          }
        }
        if (responses.closedWithin(250, 250, 0)) {
          return closed(kind, start);
        }
      }
      return "open after 15 s: " + kind + " " + responses;
    }
  }

  private static String closed(String kind, long start) {
    long seconds = (System.nanoTime() - start) / 1_000_000_000L;
    return "closed: " + kind + " (within " + (seconds + 1) + " s)";
  }

  // ------------------------------------------------------------------ measurements and the report

  /**
   * Heap used after a full GC, as the MemoryMXBean reports it. The bridge runs in this JVM, together
   * with the test and the Kafka broker, so this is the whole JVM's heap: an honest upper bound for the
   * bridge's share. Two GCs with a pause between let reference processing finish.
   */
  private static long heapUsedAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static void report(Map<String, Map<String, AtomicInteger>> outcomes, Map<String, AtomicInteger> loris,
                             long packets, long mutated, long fuzzMillis, long heapBefore, long heapAfter,
                             SteadyPublisher good, String scrape) {
    StringBuilder r = new StringBuilder();
    r.append(String.format("%nFuzzIT seed %d: %d connections, %d packets (%d mutated or rule-breaking), main phase %d ms%n",
        SEED, CONNECTIONS, packets, mutated, fuzzMillis));
    new TreeMap<>(outcomes).forEach((name, signatures) -> r.append(String.format("  %-52s %s%n", name,
        new TreeMap<>(signatures).entrySet().stream().map(e -> e.getValue() + "x " + e.getKey())
            .collect(Collectors.joining("; ")))));
    r.append("  slow-loris: ").append(loris).append('\n');
    r.append(String.format("  good client: %d acknowledged, %d failures, connection lost: %s%n", good.acked.size(),
        good.failures.size(), good.lost));
    r.append(String.format("  heap used after GC: %.1f MiB before, %.1f MiB after%n", heapBefore / 1048576.0,
        heapAfter / 1048576.0));
    scrape.lines().filter(l -> l.startsWith("mqtt_bridge_protocol_errors_total")
            || l.startsWith("mqtt_bridge_connections_closed_total") || l.startsWith("mqtt_bridge_connections_refused_total"))
        .forEach(l -> r.append("  ").append(l).append('\n'));
    System.out.println(r);
  }
}
