package io.mqttkafka.bridge.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar mqtt-kafka-bridge.jar bench MODE [options]}: the benchmark tool. Each mode is
 * one class; this one parses the command line, runs the mode and prints its summary (text, or
 * JSON with {@code --json}). Progress goes to stderr.
 */
public final class BenchMain {

  static final String USAGE = """
      Usage: java -jar mqtt-kafka-bridge.jar bench MODE [options]

      Modes against a running bridge (loopback or any host):
      %s
      %s
      %s
      %s
      %s
      Reference and helpers:
      %s
      %s
      %s
      %s
      Common options:
        --host H / --port P          the bridge's MQTT listener (default 127.0.0.1:1883)
        --metrics-url URL            the bridge's management endpoint (default http://127.0.0.1:9090)
        --bootstrap SERVERS          Kafka (default 127.0.0.1:9092)
        --bridge-pid PID             account the bridge's CPU from /proc (else its process_cpu_time
                                     meter) and run a full GC (jcmd) before heap readings
        --broker-pid PID             account the Kafka broker's CPU too
        --source-addresses A-B       local addresses to connect from, e.g. 127.0.0.1-127.0.0.8
                                     (default towards a loopback bridge: 127.0.0.1, one more per
                                     --connections-per-address; else the system's choice)
        --connections-per-address N  (default 10000: the kernel's connect() slows down past about
                                     half the ephemeral port range per source address)
        --connect-rate N             CONNECTs per second; 0 = unlimited (mode's default)
        --keep-alive S               MQTT keep-alive seconds (default 60)
        --tls-ca FILE                connect over TLS, trusting this CA (PEM; host names are not checked)
        --tls-protocol P             TLSv1.3 or TLSv1.2 (default TLSv1.3)
        --tls-engine openssl|jdk     the bench's TLS engine (default openssl where available)
        --tls-resume on|off          each device resumes its own TLS session when it connects again
                                     (default on); off: every handshake is a full one
        --client-id-prefix P         client ids are P<index>
        --event-loops N              the bench's event loops: the downlink devices', kafka-producer's
                                     Vert.x clients'; connections uses min(2, N) (default: CPU count)
        --progress D                 progress line interval on stderr (default 5s)
        --label NAME                 names the result (default: the mode)
        --json                       print the summary as JSON

      Numbers take k and m suffixes (5k, 3m); durations ms, s, m (500ms, 20s, 2m).
      Loss is always reported: published minus arrived, with duplicates and reordering counted apart.
      """;

  private static final Set<String> FLAGS = Set.of("json", "help", "rebuild", "html");

  private BenchMain() {
  }

  /** Entry point from {@code Main}: runs the mode and exits with 0, 1 (failed run) or 2 (bad usage). */
  public static void main(String[] args) {
    quietLogging();
    System.exit(run(Arrays.asList(args)));
  }

  /** Runs one command; returns the exit status. */
  static int run(List<String> argv) {
    if (argv.isEmpty() || argv.get(0).equals("--help") || argv.get(0).equals("help")) {
      System.out.print(usage());
      return argv.isEmpty() ? 2 : 0;
    }
    String mode = argv.get(0);
    Args args = new Args(argv.subList(1, argv.size()), FLAGS);
    try {
      if (args.flag("help")) {
        System.out.print(usage());
        return 0;
      }
      boolean json = args.flag("json");
      Summary summary = runMode(mode, args);
      if (summary != null) {
        System.out.print(json ? summary.toJson() + "\n" : summary.toText());
        System.out.flush();
        return summary.get("error") == null ? 0 : 1;
      }
      return 0;
    } catch (Args.UsageException e) {
      System.err.println("bench " + mode + ": " + e.getMessage() + " (try: bench --help)");
      return 2;
    } catch (Exception e) {
      System.err.println("bench " + mode + " failed: " + e);
      e.printStackTrace(System.err);
      return 1;
    }
  }

  /** The mode's summary, or null for helpers that print their own output. */
  static Summary runMode(String mode, Args args) throws Exception {
    return switch (mode) {
      case "uplink" -> UplinkBench.run(args);
      case "downlink" -> DownlinkBench.run(args);
      case "connections" -> ConnectionsBench.run(args);
      case "storm" -> StormBench.run(args);
      case "router" -> RouterBench.run(args);
      case "kafka-producer" -> KafkaProducerBench.run(args);
      case "broker" -> {
        BrokerCommand.run(args);
        yield null;
      }
      case "topics" -> {
        TopicsCommand.run(args);
        yield null;
      }
      case "certs" -> {
        CertsCommand.run(args);
        yield null;
      }
      case "report" -> {
        ReportTable.run(args);
        yield null;
      }
      case "jfr-top" -> {
        JfrTop.run(args);
        yield null;
      }
      default -> throw new Args.UsageException("unknown mode '" + mode + "'");
    };
  }

  static String usage() {
    return USAGE.formatted(UplinkBench.USAGE, DownlinkBench.USAGE, ConnectionsBench.USAGE, StormBench.USAGE,
        RouterBench.USAGE, KafkaProducerBench.USAGE, BrokerCommand.USAGE, TopicsCommand.USAGE + CertsCommand.USAGE, ReportTable.USAGE + JfrTop.USAGE);
  }

  /** The bench reports its own findings: Netty's per-connection errors would drown them. */
  private static void quietLogging() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.getLogger("io.netty").setLevel(Level.ERROR);
    }
  }
}
