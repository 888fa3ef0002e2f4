package io.mqttkafka.bridge.bench;

import io.mqttkafka.bridge.testkit.Fleet;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.File;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLException;

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

  /** Client TLS sessions a fleet's context keeps: one per device, for every fleet the bench runs. */
  private static final long FLEET_SESSIONS = 1L << 20;

  /**
   * TLS towards the bridge when {@code --tls-ca} names the CA that signed its certificate; null for
   * plain TCP. {@code --tls-protocol} (default TLSv1.3), {@code --tls-engine} (the bench's own:
   * openssl where available, else jdk), {@code --tls-resume on|off} (default on: each device resumes
   * its own session when it connects again). Host names are not checked.
   */
  static Fleet.Tls fleetTls(Args args) throws SSLException {
    String ca = args.string("tls-ca", "");
    String protocol = args.string("tls-protocol", "TLSv1.3");
    String engine = args.string("tls-engine", OpenSsl.isAvailable() ? "openssl" : "jdk");
    String resume = args.string("tls-resume", "on");
    if (ca.isEmpty()) {
      return null;
    }
    if (!engine.equals("openssl") && !engine.equals("jdk") || !resume.equals("on") && !resume.equals("off")) {
      throw new Args.UsageException("--tls-engine is openssl or jdk, --tls-resume on or off");
    }
    SslContext context = SslContextBuilder.forClient()
        .sslProvider(engine.equals("openssl") ? SslProvider.OPENSSL : SslProvider.JDK)
        .trustManager(new File(ca))
        .protocols(protocol)
        .endpointIdentificationAlgorithm(null)
        // One session per device: Netty's default of 20,480 cached sessions held none of 19,000
        // devices' TLS 1.3 tickets (two each) by the time of a reconnect storm.
        .sessionCacheSize(FLEET_SESSIONS)
        .build();
    return new Fleet.Tls(context, resume.equals("on"));
  }

  /** The TLS settings of a run, for its summary's config section. */
  static Map<String, Object> describe(Fleet.Tls tls) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (tls == null) {
      out.put("transport", "tcp");
      return out;
    }
    out.put("transport", "tls");
    out.put("protocols", String.join(",", tls.context().newEngine(io.netty.buffer.ByteBufAllocator.DEFAULT)
        .getEnabledProtocols()));
    out.put("client_engine", tls.context().getClass().getSimpleName());
    out.put("resume_sessions", tls.resume());
    return out;
  }

  /** TLS handshakes of a fleet, and how many resumed a session, into {@code out}. */
  static void describeHandshakes(Fleet fleet, Map<String, Object> out) {
    long[] h = fleet.tlsHandshakes();
    out.put("tls_handshakes", h[0]);
    out.put("tls_resumed", h[1] < 0 ? "unknown (the JDK client does not say)" : h[1]);
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
