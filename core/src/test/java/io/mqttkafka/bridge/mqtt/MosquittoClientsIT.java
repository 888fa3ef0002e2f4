package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.records.PresenceRecord;
import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.mqttkafka.bridge.testkit.TestKafka;
import io.mqttkafka.bridge.testsupport.Downlink;
import io.mqttkafka.bridge.testsupport.TestBridge;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Interop with the mosquitto 5 command-line clients (libmosquitto, not Paho): the README's
 * request/response tours as tests. mosquitto_sub shows what a command carries, mosquitto_pub
 * answers with correlation data, mosquitto_rr asks a back end and waits for its answer, and
 * mosquitto_pub's Topic Aliases reach Kafka under the full topic, and mosquitto_sub -c (a
 * persistent session) gets what came while it was away. Skipped when the clients are not
 * installed (apt-get install mosquitto-clients); {@code -Dmosquitto.required=true}, which .ci/run
 * sets, makes their absence a failure.
 */
class MosquittoClientsIT {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Map<String, String> DEPLOYMENT = TestBridge.isolated();
  private static final String DOWNLINK = TestBridge.downlinkTopic(DEPLOYMENT);
  private static final String RECEIPTS = TestBridge.receiptsTopic(DEPLOYMENT);
  private static final String SUBSCRIPTIONS = DEPLOYMENT.get("MQTT_BRIDGE_KAFKA_TOPICS_SUBSCRIPTIONS");
  private static final String UPLINK = TestKafka.uniqueTopic("mosquitto.uplink");
  private static final String REPLIES = TestKafka.uniqueTopic("mosquitto.replies");
  private static boolean installed;
  private static Bridge bridge;
  private final List<Process> processes = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    installed = found("mosquitto_sub") && found("mosquitto_pub") && found("mosquitto_rr");
    if (Boolean.getBoolean("mosquitto.required") && !installed) {
      throw new AssertionError("mosquitto_sub, mosquitto_pub or mosquitto_rr not found, and -Dmosquitto.required is"
          + " set (.ci/run installs them: apt-get install mosquitto-clients)");
    }
    if (!installed) {
      return;
    }
    bridge = TestBridge.start("""
        mappings:
          uplink:
            - { match: "^RSP/${clientId}/(.+)$", topic: "%s" }
            - { match: "^UL/(.+)$", topic: "%s" }
          downlink: { filters: ["DL/${clientId}/#"] }
        """.formatted(REPLIES, UPLINK), DEPLOYMENT);
  }

  @AfterAll
  static void stop() {
    if (bridge != null) {
      bridge.stop();
    }
  }

  @BeforeEach
  void mosquittoClientsInstalled() {
    assumeTrue(installed, "mosquitto clients not installed (apt-get install mosquitto-clients); .ci/run installs them"
        + " and requires this test");
  }

  @AfterEach
  void stopProcesses() {
    processes.forEach(Process::destroy);
  }

  @Test
  void mosquittoSubShowsTheCommandsPropertiesAndMosquittoPubsReplyReachesTheBackEndCorrelated() throws Exception {
    Lines car = run("mosquitto_sub", "-V", "5", "-h", "127.0.0.1", "-p", port(), "-i", "mq-car1", "-q", "1",
        "-t", "DL/mq-car1/#", "-C", "1", "-F", "COMMAND %t|%p|%R|%D|%C|%F|%E|%P");
    // Its output is buffered until it ends: its subscription in Kafka says it has its SUBACK.
    await().atMost(WAIT).until(() -> TestKafka.consume(SUBSCRIPTIONS, Integer.MAX_VALUE, Duration.ofMillis(500))
        .stream().anyMatch(r -> "mq-car1".equals(r.key()) && r.value() != null
            && PresenceRecord.fromJson(r.value()).event() == PresenceRecord.Event.SUBSCRIBED));
    String receiptId = UUID.randomUUID().toString();
    RecordHeaders headers = new RecordHeaders();
    headers.add(HeaderNames.TOPIC, utf8("DL/mq-car1/cmd"));
    headers.add(HeaderNames.CORRELATION_ID, utf8(receiptId));
    headers.add(HeaderNames.RESPONSE_TOPIC, utf8("RSP/mq-car1/42"));
    headers.add(HeaderNames.CORRELATION_DATA, utf8("req-42"));
    headers.add(HeaderNames.CONTENT_TYPE, utf8("application/json"));
    headers.add(HeaderNames.PAYLOAD_FORMAT, utf8("1"));
    headers.add(HeaderNames.TTL_MS, utf8("60000"));
    headers.add("traceparent", utf8("00-ab-01"));
    TestKafka.producer().send(new ProducerRecord<>(DOWNLINK, null, "mq-car1", utf8("{\"cmd\":\"unlock\"}"), headers))
        .get();

    String command = car.await("COMMAND ");
    assertThat(command).startsWith("COMMAND DL/mq-car1/cmd|{\"cmd\":\"unlock\"}|RSP/mq-car1/42|req-42|application/json|1|")
        .endsWith("|traceparent:00-ab-01");
    long expiry = Long.parseLong(command.split("\\|")[6]);
    assertThat(expiry).as("what is left of 60 s").isBetween(1L, 60L);
    assertThat(car.process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("mosquitto_sub -C 1 ended").isTrue();
    assertThat(Downlink.receipts(RECEIPTS, receiptId, 2, WAIT)).extracting(Receipt::status)
        .containsExactly(Status.DELIVERED, Status.ACKED);

    Lines reply = run("mosquitto_pub", "-V", "5", "-h", "127.0.0.1", "-p", port(), "-i", "mq-car1", "-q", "1",
        "-t", "RSP/mq-car1/42", "-D", "publish", "correlation-data", "req-42", "-D", "publish", "content-type",
        "application/json", "-D", "publish", "user-property", "status", "ok", "-m", "{\"unlocked\":true}");
    assertThat(reply.process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(reply.process.exitValue()).as("mosquitto_pub: %s", reply.all()).isZero();

    ConsumerRecord<String, byte[]> answer = recordsOf(REPLIES, "mq-car1", 1).get(0);
    assertThat(text(answer.value())).isEqualTo("{\"unlocked\":true}");
    assertThat(header(answer, HeaderNames.TOPIC)).isEqualTo("RSP/mq-car1/42");
    assertThat(header(answer, HeaderNames.CORRELATION_DATA)).isEqualTo("req-42");
    assertThat(header(answer, HeaderNames.CONTENT_TYPE)).isEqualTo("application/json");
    assertThat(header(answer, "status")).isEqualTo("ok");
  }

  @Test
  void mosquittoSubWithCleanSessionOffGetsWhatCameWhileItWasAwayInOrderAndOnlyTheLatestFuelLevel()
      throws Exception {
    Lines first = run("mosquitto_sub", "-h", "127.0.0.1", "-p", port(), "-i", "mq-tunnel", "-c", "-q", "1",
        "-t", "DL/mq-tunnel/#");
    awaitPresence("mq-tunnel", PresenceRecord.Event.SUBSCRIBED);
    first.process.destroy(); // into the tunnel
    assertThat(first.process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    awaitPresence("mq-tunnel", PresenceRecord.Event.DISCONNECTED);
    String run = UUID.randomUUID().toString();
    Downlink.send(DOWNLINK, "mq-tunnel", utf8("turn left"), "mqtt.topic", "DL/mq-tunnel/nav", "correlation.id",
        run + "-1");
    Downlink.send(DOWNLINK, "mq-tunnel", utf8("fuel 20%"), "mqtt.topic", "DL/mq-tunnel/fuel", "mqtt.offline", "latest",
        "correlation.id", run + "-2");
    Downlink.send(DOWNLINK, "mq-tunnel", utf8("fuel 15%"), "mqtt.topic", "DL/mq-tunnel/fuel", "mqtt.offline", "latest",
        "correlation.id", run + "-3");
    Downlink.send(DOWNLINK, "mq-tunnel", utf8("turn right"), "mqtt.topic", "DL/mq-tunnel/nav", "correlation.id",
        run + "-4");
    for (int n : new int[] {1, 3, 4}) {
      assertThat(Downlink.receipts(RECEIPTS, run + "-" + n, 1, WAIT)).extracting(Receipt::status)
          .containsExactly(Status.QUEUED);
    }
    // "superseded": its only receipt when the newer one came while it was being kept, else after "queued".
    await().atMost(WAIT).until(() -> Downlink.receipts(RECEIPTS, run + "-2", 1, Duration.ofSeconds(2)).stream()
        .anyMatch(r -> r.status() == Status.SUPERSEDED));

    Lines back = run("mosquitto_sub", "-h", "127.0.0.1", "-p", port(), "-i", "mq-tunnel", "-c", "-q", "1",
        "-t", "DL/mq-tunnel/#", "-C", "3", "-F", "MSG %t %p");

    assertThat(back.process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("mosquitto_sub -C 3 ended").isTrue();
    assertThat(back.all().lines().filter(l -> l.startsWith("MSG ")).toList()).containsExactly(
        "MSG DL/mq-tunnel/nav turn left", "MSG DL/mq-tunnel/fuel fuel 15%", "MSG DL/mq-tunnel/nav turn right");
  }

  private static void awaitPresence(String clientId, PresenceRecord.Event event) {
    await().atMost(WAIT).until(() -> TestKafka.consume(SUBSCRIPTIONS, Integer.MAX_VALUE, Duration.ofMillis(500))
        .stream().anyMatch(r -> clientId.equals(r.key()) && r.value() != null
            && PresenceRecord.fromJson(r.value()).event() == event));
  }

  @Test
  void mosquittoPubMayNotAnswerOnAnotherCarsResponseTopic() throws Exception {
    Lines reply = run("mosquitto_pub", "-V", "5", "-h", "127.0.0.1", "-p", port(), "-i", "mq-car2", "-q", "1",
        "-t", "RSP/mq-car3/1", "-D", "publish", "correlation-data", "x", "-m", "forged");

    assertThat(reply.process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(reply.all()).contains("Not authorized");
    assertThat(TestKafka.consumeFor(REPLIES, Duration.ofSeconds(1))).noneMatch(r -> "mq-car2".equals(r.key()));
  }

  @Test
  void mosquittoRrAsksAndTheBackEndAnswersOnItsResponseTopic() throws Exception {
    Lines car = run("mosquitto_rr", "-V", "5", "-h", "127.0.0.1", "-p", port(), "-i", "mq-car4", "-q", "1",
        "-t", "UL/mq-car4/ask", "-e", "DL/mq-car4/answer", "-m", "next charger?", "-W", "30");

    // The back end reads the question and answers where it asks, with its correlation data if any.
    ConsumerRecord<String, byte[]> question = recordsOf(UPLINK, "mq-car4", 1).get(0);
    assertThat(text(question.value())).isEqualTo("next charger?");
    String responseTopic = header(question, HeaderNames.RESPONSE_TOPIC);
    assertThat(responseTopic).isEqualTo("DL/mq-car4/answer");
    RecordHeaders answer = new RecordHeaders();
    answer.add(HeaderNames.TOPIC, utf8(responseTopic));
    Header correlation = question.headers().lastHeader(HeaderNames.CORRELATION_DATA);
    if (correlation != null) {
      answer.add(HeaderNames.CORRELATION_DATA, correlation.value());
    }
    TestKafka.producer().send(new ProducerRecord<>(DOWNLINK, null, "mq-car4", utf8("Alexanderplatz, 400 m"), answer))
        .get();

    assertThat(car.await("Alexanderplatz")).isEqualTo("Alexanderplatz, 400 m");
    assertThat(car.process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("mosquitto_rr ended").isTrue();
    assertThat(car.process.exitValue()).isZero();
  }

  @Test
  void mosquittoPubsTopicAliasesReachKafkaUnderTheFullTopic() throws Exception {
    // -l: one PUBLISH per line; with a Topic Alias libmosquitto sends the topic once, then the alias alone
    // (-d shows it: the topic of those is '(null)').
    Lines car = run("mosquitto_pub", "-V", "5", "-d", "-h", "127.0.0.1", "-p", port(), "-i", "mq-car5", "-q", "1",
        "-t", "UL/mq-car5/pos", "-D", "publish", "topic-alias", "1", "-l");
    try (OutputStream in = car.process.getOutputStream()) {
      in.write(utf8("52.1,13.1\n52.2,13.2\n52.3,13.3\n"));
    }
    assertThat(car.process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(car.all()).as("alias-only PUBLISH packets were sent").contains("'(null)'")
        .doesNotContain("DISCONNECT (").contains("received PUBACK (Mid: 3, RC:0)");

    List<ConsumerRecord<String, byte[]>> records = recordsOf(UPLINK, "mq-car5", 3);
    assertThat(records).extracting(r -> text(r.value())).containsExactly("52.1,13.1", "52.2,13.2", "52.3,13.3");
    assertThat(records).extracting(r -> header(r, HeaderNames.TOPIC)).containsOnly("UL/mq-car5/pos");
  }

  /** A client process and the lines it printed (stdout and stderr). */
  private static final class Lines {
    final Process process;
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    final List<String> seen = new ArrayList<>();
    final Thread reader;

    Lines(Process process) {
      this.process = process;
      reader = new Thread(() -> {
        try (BufferedReader out = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line = out.readLine(); line != null; line = out.readLine()) {
            lines.add(line);
          }
        } catch (IOException e) {
          lines.add("(output ended: " + e + ")");
        }
      }, "mosquitto-output");
      reader.setDaemon(true);
      reader.start();
    }

    /** The first line (since the last call) that contains {@code text}. */
    String await(String text) throws InterruptedException {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (System.nanoTime() < deadline) {
        String line = lines.poll(100, TimeUnit.MILLISECONDS);
        if (line != null) {
          seen.add(line);
          if (line.contains(text)) {
            return line;
          }
        }
      }
      throw new AssertionError("no line with \"" + text + "\" within " + WAIT + "; the client printed: " + seen);
    }

    /** Everything printed so far; all of it once the process ended. */
    String all() throws InterruptedException {
      if (!process.isAlive()) {
        reader.join(WAIT.toMillis());
      }
      lines.drainTo(seen);
      return String.join("\n", seen);
    }
  }

  private Lines run(String... command) throws IOException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    processes.add(process);
    return new Lines(process);
  }

  private static boolean found(String client) {
    try {
      return new ProcessBuilder(client, "--help").redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The records of {@code topic} with this key, once there are at least {@code count}. */
  private static List<ConsumerRecord<String, byte[]>> recordsOf(String topic, String key, int count) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    List<ConsumerRecord<String, byte[]>> found = List.of();
    while (found.size() < count && System.nanoTime() < deadline) {
      found = TestKafka.consume(topic, Integer.MAX_VALUE, Duration.ofMillis(500)).stream()
          .filter(r -> key.equals(r.key())).toList();
    }
    assertThat(found).as("records of %s in %s", key, topic).hasSizeGreaterThanOrEqualTo(count);
    return found;
  }

  private static String port() {
    return Integer.toString(bridge.mqttPort());
  }

  private static String header(ConsumerRecord<String, byte[]> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null ? null : text(header.value());
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
