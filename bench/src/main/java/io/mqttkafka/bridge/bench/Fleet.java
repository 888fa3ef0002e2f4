package io.mqttkafka.bridge.bench;

import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.mqtt.MqttClient;
import io.vertx.mqtt.MqttClientOptions;
import java.util.ArrayList;
import java.util.List;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * N MQTT 3.1.1 connections (vertx-mqtt's non-blocking {@link MqttClient}, many per event loop),
 * opened at a given rate with a bounded number of CONNECTs outstanding, from several loopback
 * source addresses when one address has too few ephemeral ports. Client ids are
 * {@code <prefix><index>}.
 */
final class Fleet {

  /** Where and how to connect. */
  record Config(String host, int port, String clientIdPrefix, int keepAliveSeconds, List<String> sourceAddresses,
                int perAddress, double connectRate, int maxPending) {

    /**
     * Connections per source address. Linux's connect() looks for a free ephemeral port in one
     * half of ip_local_port_range (32768-60999: 14,116 ports) before the other; once one source
     * address holds more connections to the bridge than that half, every further connect() scans
     * the whole half (__inet_check_established), which cost the bench more CPU than the bridge's
     * whole CONNECT handling. 10,000 stays well inside the half of the default range.
     */
    static final int DEFAULT_PER_ADDRESS = 10_000;

    static Config from(Args args, String defaultPrefix, double defaultRate) {
      return new Config(args.string("host", "127.0.0.1"), args.integer("port", 1883),
          args.string("client-id-prefix", defaultPrefix), args.integer("keep-alive", 60),
          sourceAddresses(args.string("source-addresses", "")),
          args.integer("connections-per-address", DEFAULT_PER_ADDRESS),
          args.number("connect-rate", (long) defaultRate), args.integer("max-pending-connects", 500));
    }

    /** "127.0.0.1-127.0.0.4" or "127.0.0.1,127.0.0.2"; empty: 127.0.0.1, more as the count needs. */
    private static List<String> sourceAddresses(String spec) {
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

    Config withClientIdPrefix(String prefix) {
      return new Config(host, port, prefix, keepAliveSeconds, sourceAddresses, perAddress, connectRate, maxPending);
    }

    String sourceFor(int index, int total) {
      if (!sourceAddresses.isEmpty()) {
        return sourceAddresses.get((index / perAddress) % sourceAddresses.size());
      }
      // 127.0.0.1, then 127.0.0.2 ... as each address's share of ephemeral ports is used up; only
      // towards a loopback bridge, which those addresses can reach.
      return total <= perAddress || !loopback() ? null : "127.0.0." + (1 + index / perAddress);
    }

    private boolean loopback() {
      return host.equals("localhost") || host.startsWith("127.");
    }
  }

  /** One open connection. */
  record Connection(int index, String clientId, MqttClient client) {
  }

  private final Vertx vertx;
  private final Config config;
  private final ConnectStats stats;
  private final List<Connection> connections = new ArrayList<>();
  private volatile boolean closing;

  Fleet(Vertx vertx, Config config) {
    this.vertx = vertx;
    this.config = config;
    this.stats = new ConnectStats(config.connectRate());
  }

  /**
   * Opens {@code count} connections and returns once each has a CONNACK or failed (or the timeout
   * passed). {@code setup} installs handlers on each client before it connects.
   */
  List<Connection> open(int count, Consumer<Connection> setup, long timeoutMillis, Runnable onProgress) {
    Pacer pacer = new Pacer(config.connectRate());
    long startNanos = stats.start();
    pacer.start(startNanos);
    long deadline = startNanos + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    List<Connection> opened = new ArrayList<>(count);
    Connection[] slots = new Connection[count];
    for (int i = 0; i < count && System.nanoTime() < deadline; ) {
      long due = pacer.due(System.nanoTime());
      if (due == 0 || stats.pending() >= config.maxPending()) {
        Pacer.pause();
        onProgress.run();
        continue;
      }
      MqttClientOptions options = new MqttClientOptions()
          .setClientId(config.clientIdPrefix() + i)
          .setKeepAliveInterval(config.keepAliveSeconds())
          .setCleanSession(true)
          .setAutoKeepAlive(true);
      options.setConnectTimeout(30_000);
      String source = config.sourceFor(i, count);
      if (source != null) {
        options.setLocalAddress(source);
      }
      MqttClient client = MqttClient.create(vertx, options);
      Connection connection = new Connection(i, options.getClientId(), client);
      setup.accept(connection);
      client.closeHandler(v -> {
        if (!closing) {
          stats.onClosedByPeer();
        }
      });
      int slot = i;
      long start = System.nanoTime();
      stats.onConnecting();
      client.connect(config.port(), config.host()).onComplete((connack, failure) -> {
        if (failure == null && connack.code() == MqttConnectReturnCode.CONNECTION_ACCEPTED) {
          synchronized (slots) {
            slots[slot] = connection;
          }
          stats.onConnected(start);
        } else if (failure == null) {
          stats.onFailed("CONNACK " + connack.code());
        } else {
          stats.onFailed(failure);
        }
      });
      pacer.sent(1);
      i++;
    }
    stats.end(deadline, onProgress);
    synchronized (slots) {
      for (Connection c : slots) {
        if (c != null) {
          opened.add(c);
        }
      }
    }
    connections.addAll(opened);
    return opened;
  }

  /** What opening the connections came to; also counts those the bridge closed while the fleet was not closing them. */
  ConnectStats stats() {
    return stats;
  }

  /** Disconnects every connection (DISCONNECT, then close) and waits up to the timeout. */
  void close(long timeoutMillis) {
    closing = true;
    List<Future<Void>> closes = new ArrayList<>();
    for (Connection c : connections) {
      closes.add(c.client().disconnect().recover(e -> Future.succeededFuture()));
    }
    try {
      Future.join(closes).toCompletionStage().toCompletableFuture().get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      // best effort: the bench ends anyway
    }
  }
}
