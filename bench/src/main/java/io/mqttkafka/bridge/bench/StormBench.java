package io.mqttkafka.bridge.bench;

import io.mqttkafka.bridge.testkit.Fleet;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.HdrHistogram.Histogram;

/**
 * {@code bench storm}: the reconnect storm after an instance dies. Devices connect to instance A and
 * subscribe; publishers on instance B send QoS 1 at a steady rate; after a baseline, the bench
 * SIGKILLs A and every device reconnects to B at once (as behind a load balancer), each trying again
 * after a jittered back-off when refused. Reports the time until every device is back (connected and
 * subscribed, or its session present), the failed attempts by reason (the connect-rate limit, a
 * session question unanswered), B's CPU, and the publishers' PUBACK latency before and during the
 * storm: what the storm costs the devices that stayed connected.
 */
final class StormBench {

  static final String USAGE = """
        bench storm [options]        an instance dies; its devices reconnect to another at once
          --devices N                devices on the instance that dies (default 10000)
          --port P                   MQTT port of the instance that dies (A)
          --failover-port P          MQTT port of the instance they reconnect to (B); --metrics-url
                                     and --bridge-pid are B's
          --kill-pid PID             A's process id: the bench sends it SIGKILL
          --sessions clean|persistent  the devices' sessions (default clean); a device is back when
                                     its CONNACK says session present, else at its SUBACK
          --filter F                 each device's subscription, {i} = its index (default DL/{i}/#)
          --publishers N             QoS 1 publishers connected to B throughout (default 20)
          --rate N                   their messages per second in total (default 1000)
          --baseline D               PUBACK latency measured before the kill (default 10s)
          --retry-backoff D          a refused device tries again after D x 0.5..1.5 (default 1s)
          --max-pending-connects N   devices connecting at the same time (default 1000)
          --timeout D                give up on the storm after (default 5m)
        Every device connects with the bench's TLS settings; towards B a device's TLS session is not
        resumed (another server's ticket keys). Run it with two clustered instances.
      """;

  /** The bridge's PUBLISH received to Kafka acknowledgement time. */
  private static final String UPLINK_LATENCY = "mqtt_bridge_uplink_latency_seconds";

  private StormBench() {
  }

  static Summary run(Args args) throws Exception {
    Common common = Common.from(args, "storm");
    Fleet.Config toA = Common.fleetConfig(args, "storm-", 0);
    Fleet.Tls tls = Common.fleetTls(args);
    int devices = args.integer("devices", 10_000);
    int failoverPort = args.integer("failover-port", 0);
    long killPid = args.number("kill-pid", 0);
    String sessions = args.string("sessions", "clean");
    String filter = args.string("filter", "DL/{i}/#");
    int publishers = args.integer("publishers", 20);
    double rate = args.number("rate", 1000);
    Duration baseline = args.duration("baseline", Duration.ofSeconds(10));
    Duration backoff = args.duration("retry-backoff", Duration.ofSeconds(1));
    Duration timeout = args.duration("timeout", Duration.ofMinutes(5));
    args.checkAllUsed();
    if (failoverPort == 0 || killPid == 0 || !sessions.equals("clean") && !sessions.equals("persistent")) {
      throw new Args.UsageException("storm needs --failover-port and --kill-pid; --sessions is clean or persistent");
    }
    Fleet.Config toB = new Fleet.Config(toA.host(), failoverPort, toA.clientIdPrefix(), toA.keepAliveSeconds(),
        toA.sourceAddresses(), toA.perAddress(), 0, toA.maxPending());
    int eventLoops = Math.max(1, Math.min(2, common.eventLoops()));

    Summary summary = new Summary("storm", common.label());
    Map<String, Object> config = summary.section("config");
    config.put("devices", devices);
    config.put("sessions", sessions);
    config.put("publishers", publishers);
    config.put("publish_rate_per_s", rate);
    config.put("retry_backoff_ms", backoff.toMillis());
    config.put("max_pending_connects", toA.maxPending());
    config.put("tls", Common.describe(tls));

    StormDevices storm = new StormDevices(devices, sessions.equals("persistent"), filter);
    UplinkSender sender = new UplinkSender(1, 100, ThreadLocalRandom.current().nextInt(), rate, 100, "UL/{i}/pos");
    ConnectStats publisherStats = new ConnectStats(0);
    Fleet publishing = new Fleet(toB.withClientIdPrefix("storm-pub-"), 1, sender::session, publisherStats).tls(tls);
    ConnectStats firstStats = new ConnectStats(toA.connectRate());
    Fleet onA = new Fleet(toA, eventLoops, storm::session, firstStats).tls(tls).retrying(backoff);
    ConnectStats stormStats = new ConnectStats(0);
    Fleet onB = new Fleet(toB, eventLoops, storm::session, stormStats).tls(tls).retrying(backoff);
    CpuMeter cpu = common.cpuMeter();
    try {
      publishing.open(publishers, 60_000, () -> { });
      sender.start();
      storm.phase(1, System.nanoTime());
      onA.open(devices, timeout.toMillis(), every(common, () -> common.progress("first connect: back %,d of %,d",
          storm.back(), devices)));
      awaitBack(common, storm, devices, timeout);
      firstStats.describe(summary.section("first_connect"));
      storm.describe(summary.section("first_connect"));
      common.progress("%,d devices on A; baseline %d s", storm.back(), baseline.toSeconds());

      sender.measure(System.nanoTime(), 0);
      sender.ackLatency().interval();
      CpuMeter.Snapshot baselineStart = cpu.snapshot();
      BridgeHistogram uplinkStart = BridgeHistogram.of(common.bridge().scrape(), UPLINK_LATENCY);
      Thread.sleep(baseline.toMillis());
      Histogram before = sender.ackLatency().interval().copy();
      CpuMeter.Snapshot kill = cpu.snapshot();
      CpuMeter.describe(baselineStart, kill, 0, summary.section("cpu_baseline"));
      String scrapeBefore = common.bridge().scrape();
      BridgeHistogram uplinkKill = BridgeHistogram.of(scrapeBefore, UPLINK_LATENCY);

      storm.phase(2, System.nanoTime());
      boolean killed = ProcessHandle.of(killPid).map(ProcessHandle::destroyForcibly).orElse(false);
      summary.section("storm").put("sigkill_sent", killed);
      // Each device sees its connection end before it reconnects; waiting for all of them also keeps
      // the bench's open files under the per-process limit (N to A and N to B would be twice N).
      long closedAfter = awaitClosed(onA, Duration.ofSeconds(30));
      summary.section("storm").put("connections_to_a_closed_ms", closedAfter);
      Timeline timeline = new Timeline(storm::back, cpu).start();
      onB.open(devices, timeout.toMillis(), every(common, () -> common.progress(
          "storm: back %,d of %,d; failed attempts %,d", storm.back(), devices, stormStats.failed())));
      awaitBack(common, storm, devices, timeout);
      CpuMeter.Snapshot end = cpu.snapshot();
      Histogram during = sender.ackLatency().interval().copy();
      timeline.describe(summary);
      describeStorm(summary, storm, stormStats, onB, publisherStats, devices);
      CpuMeter.describe(kill, end, storm.back(), summary.section("cpu_storm"));
      Map<String, Object> puback = summary.section("puback_of_connected");
      Latency.describe(before, Summary.child(puback, "baseline"));
      Latency.describe(during, Summary.child(puback, "storm"));
      puback.put("p99_ratio_storm_to_baseline", Summary.value(ratio(during, before, 99)));
      puback.put("p50_ratio_storm_to_baseline", Summary.value(ratio(during, before, 50)));
      puback.put("unexpected_packets", sender.unexpected());
      String scrapeAfter = common.bridge().scrape();
      BridgeHistogram uplinkEnd = BridgeHistogram.of(scrapeAfter, UPLINK_LATENCY);
      BridgeHistogram.describe(uplinkStart, uplinkKill, Summary.child(puback, "bridge_uplink_latency_baseline"));
      BridgeHistogram.describe(uplinkKill, uplinkEnd, Summary.child(puback, "bridge_uplink_latency_storm"));
      BridgeCounters.describe(scrapeBefore, scrapeAfter, summary.section("bridge_counters"));
      return summary;
    } finally {
      sender.stop();
      onB.close(120_000);
      onA.close(10_000);
      publishing.close(30_000);
    }
  }

  /** Runs {@code line} at most once per progress interval of {@code common}. */
  private static Runnable every(Common common, Runnable line) {
    long[] last = {System.nanoTime()};
    return () -> {
      long now = System.nanoTime();
      if (now - last[0] > common.progress().toNanos()) {
        last[0] = now;
        line.run();
      }
    };
  }

  /** Waits until every device is back in the current phase, or the timeout passed. */
  private static void awaitBack(Common common, StormDevices storm, int devices, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long lastLine = System.nanoTime();
    while (storm.back() < devices && System.nanoTime() < deadline) {
      Thread.sleep(20);
      if (System.nanoTime() - lastLine > common.progress().toNanos()) {
        lastLine = System.nanoTime();
        common.progress("back %,d of %,d", storm.back(), devices);
      }
    }
  }

  /** Waits until none of the fleet's connections is open; returns the milliseconds waited. */
  private static long awaitClosed(Fleet fleet, Duration timeout) throws InterruptedException {
    long start = System.nanoTime();
    while (fleet.openConnections() > 0 && System.nanoTime() - start < timeout.toNanos()) {
      Thread.sleep(5);
    }
    return (System.nanoTime() - start) / 1_000_000;
  }

  private static void describeStorm(Summary summary, StormDevices storm, ConnectStats stats, Fleet fleet,
                                    ConnectStats publisherStats, int devices) {
    Map<String, Object> out = summary.section("storm");
    out.put("devices", devices);
    out.put("all_back", storm.back() >= devices);
    storm.describe(out);
    stats.describe(Summary.child(out, "connects"));
    Common.describeHandshakes(fleet, Summary.child(out, "connects"));
    out.put("publisher_connections_closed_by_bridge", publisherStats.closedByBridge());
  }

  private static double ratio(Histogram a, Histogram b, double percentile) {
    return b.getTotalCount() == 0 || a.getTotalCount() == 0 ? Double.NaN
        : (double) a.getValueAtPercentile(percentile) / Math.max(1, b.getValueAtPercentile(percentile));
  }
}
