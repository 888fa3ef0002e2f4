package io.mqttkafka.bridge.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.testkit.Clients;
import io.mqttkafka.bridge.testkit.TestKafka;
import io.mqttkafka.bridge.testsupport.TestBridge;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin console in a real browser: headless Chromium from Debian loads the page from a running
 * bridge, which polls the admin API, and the rendered DOM is checked; a screenshot is written to
 * target/console.png (docs/images/console.png is a copy of it). Without Chromium the test is skipped,
 * unless {@code -Dchromium.required=true} (set by .ci/run, which installs it) makes it fail.
 */
class ConsoleIT {

  private static final String TOKEN = "console-token";
  private static final String CAR = "VIN123";

  @TempDir
  static Path dir;
  private static Bridge bridge;
  private static MqttAsyncClient car;
  private static Thread traffic;
  private static final AtomicBoolean running = new AtomicBoolean(true);

  @BeforeAll
  static void start() throws Exception {
    Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
    String topic = TestKafka.uniqueTopic("console");
    TestKafka.createTopic(topic, 1);
    bridge = TestBridge.start("""
        http: { admin: { enabled: true, tokenFile: "%s" } }
        mappings:
          uplink: [{ name: positions, match: "^UL/${clientId}/pos$", topic: "%s" }]
          downlink: { filters: ["DL/${clientId}/#"] }
        """.formatted(tokenFile, topic));
    car = Clients.v3(bridge.mqttPort(), CAR);
    car.subscribe("DL/" + CAR + "/#", 1).waitForCompletion(10_000);
    // Some uplink while the page is open, so that its rates are not all zero.
    traffic = new Thread(() -> {
      while (running.get()) {
        try {
          car.publish("UL/" + CAR + "/pos", "{\"lat\":52.5}".getBytes(StandardCharsets.UTF_8), 0, false);
          Thread.sleep(20);
        } catch (Exception e) {
          return;
        }
      }
    }, "console-traffic");
    traffic.start();
  }

  @AfterAll
  static void stop() throws Exception {
    running.set(false);
    traffic.join(5_000);
    car.disconnect().waitForCompletion(10_000);
    bridge.stop();
  }

  @Test
  void theConsoleShowsTheClusterTheClientAndATopicTestFromTheRunningBridge() throws Exception {
    String chromium = chromium();
    String url = "http://127.0.0.1:" + bridge.httpPort() + "/admin/console/#token=" + TOKEN + "&client=" + CAR
        + "&test=UL/" + CAR + "/pos&as=" + CAR;

    String dom = run(chromium, "--dump-dom", url);

    String instance = bridge.config().bridge().id();
    assertThat(dom).contains("<td>" + instance + " (this one)</td>");
    assertThat(dom).contains("<td class=\"up\">ready</td>");
    assertThat(dom).contains("1 instance(s), 1 connection(s), 3 partition(s) routed");
    // The client look-up: connected, where, with what.
    assertThat(dom).contains("<dd class=\"granted\">yes</dd>").contains("<dd>" + instance + "</dd>")
        .contains("<dd>MQTT 3.1.1</dd>").contains("<dd>DL/" + CAR + "/# (QoS 1)</dd>");
    // The topic tester: the rule and the Kafka topic.
    assertThat(dom).contains("<dd class=\"written\">written</dd>").contains("positions #0: ^UL/${clientId}/pos$");
    // The rates of the second poll: uplink is flowing.
    assertThat(dom).containsPattern("id=\"rate-uplink\">[1-9][0-9.,]*<");
    assertThat(dom).doesNotContain("class=\"status bad\"");

    Path screenshot = Path.of("target", "console.png").toAbsolutePath();
    Files.deleteIfExists(screenshot);
    run(chromium, "--screenshot=" + screenshot, "--window-size=1400,960", url);
    byte[] png = Files.readAllBytes(screenshot);
    assertThat(png.length).isGreaterThan(10_000);
    assertThat(new String(png, 1, 3, StandardCharsets.US_ASCII)).isEqualTo("PNG");
  }

  /** Chromium on the PATH; skips the test without it, unless -Dchromium.required=true. */
  private static String chromium() {
    Optional<String> found = List.of("chromium", "chromium-browser").stream()
        .flatMap(name -> List.of(System.getenv("PATH").split(File.pathSeparator)).stream()
            .map(d -> Path.of(d, name)))
        .filter(Files::isExecutable).map(Path::toString).findFirst();
    if (found.isEmpty() && Boolean.getBoolean("chromium.required")) {
      throw new AssertionError("chromium not found, and -Dchromium.required is set (.ci/run installs it:"
          + " apt-get install chromium)");
    }
    Assumptions.assumeTrue(found.isPresent(), "chromium is not installed (Debian: apt-get install chromium)");
    return found.get();
  }

  /** Runs headless Chromium with a fresh profile on {@code url}; its standard output. */
  private static String run(String chromium, String... arguments) throws IOException, InterruptedException {
    Path profile = Files.createTempDirectory(dir, "chromium-profile");
    List<String> command = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--no-first-run", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--user-data-dir=" + profile,
        // Lets the page's timers run (two polls of the API) before the DOM is dumped.
        "--virtual-time-budget=6000"));
    command.addAll(List.of(arguments));
    Process process = new ProcessBuilder(command).redirectError(dir.resolve("chromium.err").toFile()).start();
    byte[] out = process.getInputStream().readAllBytes();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("chromium did not finish within 60 s");
    }
    assertThat(process.exitValue()).as("chromium's exit code; its errors: %s",
        Files.readString(dir.resolve("chromium.err"))).isZero();
    return new String(out, StandardCharsets.UTF_8);
  }
}
