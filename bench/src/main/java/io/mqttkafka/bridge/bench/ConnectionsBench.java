package io.mqttkafka.bridge.bench;

import io.mqttkafka.bridge.testkit.Fleet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * {@code bench connections}: opens N idle MQTT connections at a rate and holds them; reports the
 * connect rate, failures, CONNACK latency, each process's CPU per connection while connecting, and
 * the bridge's heap (after a full GC) and resident memory per connection. The connections are
 * plain Netty ones ({@link Fleet}), cheap enough that the bench does not cap the rate. Both
 * processes need a file descriptor per connection: the limits are reported, because they, not the
 * bridge, often cap N on a test machine.
 */
final class ConnectionsBench {

  static final String USAGE = """
        bench connections [options]  open N idle connections at a rate, hold, report heap per connection
          --connections N            (default 100000)
          --connect-rate N           CONNECTs per second, 0 = unlimited (default 10000)
          --max-pending-connects N   CONNECTs awaiting CONNACK at most (default 500)
          --hold D                   keep them open this long before measuring (default 10s)
          --warmup-connections N     first open N connections (client ids <prefix>warmup-<index>) and
                                     close them, so that the JIT of the bridge and the bench is done
                                     before the measured connects (default 0: measure a cold start)
        The connections are plain Netty MQTT 3.1.1 ones on min(2, --event-loops) threads: CONNECT,
        CONNACK, then only PINGREQ per keep-alive.
      """;

  private ConnectionsBench() {
  }

  static Summary run(Args args) throws Exception {
    Common common = Common.from(args, "connections");
    Fleet.Config fleetConfig = Common.fleetConfig(args, "bench-conn-", 10_000);
    Fleet.Tls tls = Common.fleetTls(args);
    int connections = args.integer("connections", 100_000);
    Duration hold = args.duration("hold", Duration.ofSeconds(10));
    int warmup = args.integer("warmup-connections", 0);
    args.checkAllUsed();
    int eventLoops = Math.max(1, Math.min(2, common.eventLoops()));

    Summary summary = new Summary("connections", common.label());
    Map<String, Object> config = summary.section("config");
    config.put("connections", connections);
    config.put("connect_rate_per_s", fleetConfig.connectRate() > 0 ? fleetConfig.connectRate() : "unlimited");
    config.put("keep_alive_s", fleetConfig.keepAliveSeconds());
    config.put("hold_s", hold.toSeconds());
    config.put("tls", Common.describe(tls));
    if (warmup > 0) {
      config.put("warmup_connections", warmup);
    }
    String lastSource = fleetConfig.sourceFor(connections - 1, connections);
    config.put("source_addresses", !fleetConfig.sourceAddresses().isEmpty() ? fleetConfig.sourceAddresses()
        : lastSource == null ? "default" : "127.0.0.1 .. " + lastSource);
    Map<String, Object> limits = summary.section("limits");
    limits.put("bench_max_open_files", maxOpenFiles(ProcessHandle.current().pid()));
    if (common.bridgePid() > 0) {
      limits.put("bridge_max_open_files", maxOpenFiles(common.bridgePid()));
    }
    double bridgeMaxFiles = common.bridge().value("process_files_max_files");
    if (!Double.isNaN(bridgeMaxFiles)) {
      limits.put("bridge_max_files_metric", (long) bridgeMaxFiles);
    }

    if (warmup > 0) {
      warmUp(common, fleetConfig.withClientIdPrefix(fleetConfig.clientIdPrefix() + "warmup-"), tls, warmup,
          eventLoops, summary.section("warmup"));
    }
    HeapProbe heap = new HeapProbe(common);
    HeapProbe.Reading before = heap.read();
    double gaugeBefore = common.bridge().value("mqtt_bridge_connections");
    String scrapeBefore = common.bridge().scrape();
    ConnectStats stats = new ConnectStats(fleetConfig.connectRate());
    Fleet fleet = new Fleet(fleetConfig, eventLoops, index -> Fleet.Session.IDLE, stats).tls(tls);
    CpuMeter cpu = common.cpuMeter();
    try {
      CpuMeter.Snapshot cpuStart = cpu.snapshot();
      long[] lastLine = {System.nanoTime()};
      fleet.open(connections, 600_000, () -> {
        long now = System.nanoTime();
        if (now - lastLine[0] > common.progress().toNanos()) {
          lastLine[0] = now;
          common.progress("connected %,d  failed %,d  pending %,d", stats.connected(), stats.failed(),
              stats.pending());
        }
      });
      CpuMeter.Snapshot cpuEnd = cpu.snapshot();
      stats.describe(summary.section("connect"));
      Common.describeHandshakes(fleet, summary.section("connect"));
      // Per connection: each process's CPU while the connections were opened.
      CpuMeter.describe(cpuStart, cpuEnd, stats.connected(), summary.section("cpu_connecting"));
      common.progress("connected %,d, failed %,d; holding %d s", stats.connected(), stats.failed(),
          hold.toSeconds());
      Ticker ticker = new Ticker(common, () -> String.format(java.util.Locale.ROOT,
          "held %,d  closed by bridge %,d  bridge gauge %s", stats.connected() - stats.closedByBridge(),
          stats.closedByBridge(), Summary.format(Summary.value(common.bridge().value("mqtt_bridge_connections")))));
      ticker.runFor(hold, () -> false);
      double gauge = common.bridge().value("mqtt_bridge_connections");
      HeapProbe.Reading after = heap.read();
      long held = stats.connected() - stats.closedByBridge();
      Map<String, Object> h = summary.section("held");
      h.put("connections_held", held);
      h.put("bridge_connections_gauge", Summary.value(gauge - (Double.isNaN(gaugeBefore) ? 0 : gaugeBefore)));
      h.put("bridge_open_files", Summary.value(common.bridge().value("process_files_open_files")));
      HeapProbe.describe(before, after, held, "connection", summary.section("memory"));
      BridgeCounters.describe(scrapeBefore, common.bridge().scrape(), summary.section("bridge_counters"));
      if (stats.failed() > 0) {
        summary.put("note", "some CONNECTs failed; see connect.failure_reasons (file descriptor limits?)");
      }
      return summary;
    } finally {
      fleet.close(120_000);
    }
  }

  /**
   * Opens and closes {@code count} connections of their own client ids, then waits until the bridge
   * counts no more connections than before, so that the measured connections find every file
   * descriptor free again. Their router entries, if the bridge keeps any, are in the heap reading
   * taken afterwards, not in the figure per connection.
   */
  private static void warmUp(Common common, Fleet.Config config, Fleet.Tls tls, int count, int eventLoops,
                             Map<String, Object> out) throws InterruptedException {
    double gauge = common.bridge().value("mqtt_bridge_connections");
    ConnectStats stats = new ConnectStats(config.connectRate());
    Fleet warm = new Fleet(config, eventLoops, index -> Fleet.Session.IDLE, stats).tls(tls);
    try {
      warm.open(count, 600_000, () -> { });
      stats.describe(out);
      Common.describeHandshakes(warm, out);
      common.progress("warm-up: connected %,d, failed %,d; closing", stats.connected(), stats.failed());
    } finally {
      warm.close(120_000);
    }
    double baseline = Double.isNaN(gauge) ? 0 : gauge;
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    double now;
    while ((now = common.bridge().value("mqtt_bridge_connections")) > baseline && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    out.put("bridge_connections_before", Summary.value(gauge));
    out.put("bridge_connections_after_close", Summary.value(now));
  }

  /** The soft "Max open files" limit of a process, from /proc/PID/limits; -1 if unknown. */
  static long maxOpenFiles(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "limits"))) {
        if (line.startsWith("Max open files")) {
          return Long.parseLong(line.substring("Max open files".length()).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
