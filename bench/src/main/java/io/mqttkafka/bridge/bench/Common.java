package io.mqttkafka.bridge.bench;

import io.mqttkafka.bridge.testkit.Fleet;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Options every mode shares: where Kafka and the bridge's management endpoint are, the pids whose
 * CPU to account, the progress interval and a label; and the progress printer (stderr, so that
 * {@code --json} output on stdout stays clean).
 */
record Common(String bootstrap, BridgeEndpoint bridge, long bridgePid, long brokerPid, Duration progress,
              String label, int eventLoops, PrintStream log) {

  static Common from(Args args, String mode) {
    return new Common(
        args.string("bootstrap", "127.0.0.1:9092"),
        new BridgeEndpoint(args.string("metrics-url", "http://127.0.0.1:9090")),
        args.number("bridge-pid", 0),
        args.number("broker-pid", 0),
        args.duration("progress", Duration.ofSeconds(5)),
        args.string("label", mode),
        args.integer("event-loops", Runtime.getRuntime().availableProcessors()),
        System.err);
  }

  /** Where and how a mode's {@link Fleet} connects: the MQTT options every mode shares. */
  static Fleet.Config fleetConfig(Args args, String defaultPrefix, double defaultRate) {
    return new Fleet.Config(args.string("host", "127.0.0.1"), args.integer("port", 1883),
        args.string("client-id-prefix", defaultPrefix), args.integer("keep-alive", 60),
        sourceAddresses(args.string("source-addresses", "")),
        args.integer("connections-per-address", Fleet.Config.DEFAULT_PER_ADDRESS),
        args.number("connect-rate", (long) defaultRate), args.integer("max-pending-connects", 500));
  }

  /** --source-addresses: "127.0.0.1-127.0.0.4" or "127.0.0.1,127.0.0.2"; empty: none given. */
  static List<String> sourceAddresses(String spec) {
    List<String> out = new ArrayList<>();
    for (String part : spec.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      int dash = p.indexOf('-');
      if (dash < 0) {
        out.add(p);
        continue;
      }
      String from = p.substring(0, dash);
      String prefix = from.substring(0, from.lastIndexOf('.') + 1);
      int first = Integer.parseInt(from.substring(from.lastIndexOf('.') + 1));
      String to = p.substring(dash + 1);
      int last = Integer.parseInt(to.substring(to.lastIndexOf('.') + 1));
      for (int i = first; i <= last; i++) {
        out.add(prefix + i);
      }
    }
    return out;
  }

  CpuMeter cpuMeter() {
    return new CpuMeter(bridgePid, brokerPid, bridge);
  }

  Vertx vertx() {
    return Vertx.vertx(new VertxOptions().setEventLoopPoolSize(eventLoops)
        // The bench's own threads may be busy for long stretches on a loaded machine.
        .setBlockedThreadCheckInterval(10_000).setMaxEventLoopExecuteTime(10_000_000_000L));
  }

  void progress(String format, Object... args) {
    log.println("[" + label + "] " + String.format(Locale.ROOT, format, args));
  }
}
