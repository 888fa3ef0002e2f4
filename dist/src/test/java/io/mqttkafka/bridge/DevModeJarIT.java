package io.mqttkafka.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.testkit.Clients;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's first command: the built jar, no Kafka configured, starts the embedded broker and bridges. */
class DevModeJarIT {

  private static final Pattern STARTED = Pattern.compile("MQTT on [^:]+:(\\d+), HTTP on [^:]+:(\\d+), Kafka at (\\S+)");

  @TempDir
  Path workDir;

  @Test
  void jarInDevModeAcceptsAPublishAndWritesItToTheEmbeddedKafka() throws Exception {
    Path jar = Path.of(System.getProperty("bridge.jar", "target/mqtt-kafka-bridge.jar")).toAbsolutePath();
    assertThat(jar).exists();
    ProcessBuilder builder = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-jar", jar.toString())
        .directory(workDir.toFile())
        .redirectErrorStream(true);
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(k -> k.startsWith("MQTT_BRIDGE_"));
    env.put("MQTT_BRIDGE_MQTT_PORT", "0");
    env.put("MQTT_BRIDGE_HTTP_PORT", "0");
    env.put("MQTT_BRIDGE_KAFKA_EMBEDDED_PORT", "0");
    env.put("MQTT_BRIDGE_KAFKA_EMBEDDED_CONTROLLER_PORT", "0");
    env.put("MQTT_BRIDGE_LOGGING_JSON", "true");
    Process process = builder.start();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    List<String> output = new ArrayList<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          lines.add(line);
        }
      } catch (Exception ignored) {
        // process gone
      }
    });
    reader.start();
    try {
      Matcher started = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (started == null && System.nanoTime() < deadline) {
        String line = lines.poll(1, TimeUnit.SECONDS);
        if (line != null) {
          output.add(line);
          Matcher m = STARTED.matcher(jsonMessage(line));
          started = m.find() ? m : null;
        }
      }
      assertThat(started).as("start-up line (a JSON log line) in:\n" + String.join("\n", output)).isNotNull();
      int mqttPort = Integer.parseInt(started.group(1));
      String bootstrap = started.group(3);

      MqttAsyncClient client = Clients.v3(mqttPort, "car1");
      client.publish("UL/POS", "hello".getBytes(StandardCharsets.UTF_8), 1, false).waitForCompletion(20_000);
      client.disconnect().waitForCompletion();
      assertThat(readValues(bootstrap, "cs.uplink")).contains("hello");
      assertThat(Files.isDirectory(workDir.resolve("data"))).as("data kept under ./data").isTrue();

      process.destroy();
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
      assertThat(process.exitValue()).isZero();
    } finally {
      process.destroyForcibly();
      reader.join(5_000);
    }
  }

  /** With logging.json each log line is one JSON object; "formattedMessage" is what the plain layout prints. */
  private static String jsonMessage(String line) {
    if (!line.startsWith("{")) {
      return "";
    }
    String message = new io.vertx.core.json.JsonObject(line).getString("formattedMessage");
    return message == null ? "" : message;
  }

  private static List<String> readValues(String bootstrap, String topic) {
    Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      List<String> values = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (values.isEmpty() && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          values.add(new String(r.value(), StandardCharsets.UTF_8));
        }
      }
      return values;
    }
  }
}
