package io.mqttkafka.bridge.dist;

import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.config.ConfigException;
import io.mqttkafka.bridge.config.ConfigLoader;
import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.LogSetup;
import io.mqttkafka.bridge.bench.BenchMain;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/** {@code java -jar mqtt-kafka-bridge.jar [--config FILE]}: load the configuration, start, stop on SIGTERM. */
public final class Main {

  private static final String USAGE = """
      Usage: java -jar mqtt-kafka-bridge.jar [--config FILE] [--help]
             java -jar mqtt-kafka-bridge.jar bench MODE [options]   (benchmark tool: bench --help)

        --config FILE   YAML configuration (or env MQTT_BRIDGE_CONFIG=FILE); built-in defaults otherwise.
        --help          this text.

      Every key can be overridden by an environment variable MQTT_BRIDGE_ + the key in upper snake case,
      e.g. kafka.bootstrapServers -> MQTT_BRIDGE_KAFKA_BOOTSTRAP_SERVERS. With no kafka.bootstrapServers the
      bridge starts an embedded single-node Kafka (dev mode, data under ./data). See README.md.
      """;

  private Main() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("bench")) {
      BenchMain.main(Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    Map<String, String> env = System.getenv();
    Path configFile = env.containsKey("MQTT_BRIDGE_CONFIG") ? Path.of(env.get("MQTT_BRIDGE_CONFIG")) : null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--help", "-h" -> {
          System.out.print(USAGE);
          return;
        }
        case "--config" -> {
          if (i + 1 >= args.length) {
            fail("--config needs a file name");
          }
          configFile = Path.of(args[++i]);
        }
        default -> fail("unknown argument \"" + args[i] + "\" (try --help)");
      }
    }
    BridgeConfig config;
    try {
      config = ConfigLoader.load(configFile, env);
    } catch (ConfigException e) {
      fail("invalid configuration: " + e.getMessage());
      return;
    }
    LogSetup.configure(config.logging());
    org.slf4j.LoggerFactory.getLogger(Main.class).info("Configuration: {}", config.describe());

    Bridge bridge;
    try {
      bridge = Bridge.start(config, DevKafka.starter());
    } catch (ConfigException e) {
      fail("invalid configuration: " + e.getMessage());
      return;
    } catch (Exception e) {
      org.slf4j.LoggerFactory.getLogger(Main.class).error("Start-up failed", e);
      fail("start-up failed: " + e);
      return;
    }
    // SIGTERM and Ctrl-C: stop in order, then exit 0 (halt() in a hook sets the status instead of 143/130).
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      bridge.stop();
      LogSetup.flush();
      Runtime.getRuntime().halt(0);
    }, "shutdown"));
    Thread.currentThread().join();
  }

  private static void fail(String message) {
    System.err.println("mqtt-kafka-bridge: " + message);
    System.exit(2);
  }
}
