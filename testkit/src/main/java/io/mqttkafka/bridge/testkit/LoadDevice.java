package io.mqttkafka.bridge.testkit;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * One simulated device for the fault tests (Eclipse Paho, MQTT 3.1.1, clean session). It publishes a
 * numbered sequence to {@code UL/<clientId>}, payload {@code <clientId>|<seq>}, at one QoS, keeping at
 * most {@code window} messages unacknowledged, optionally at a fixed rate; it may also subscribe to
 * {@code DL/#} and count what it receives.
 *
 * <p>It records, per message, how often it was sent and when its PUBACK (QoS 1) or PUBCOMP (QoS 2)
 * arrived. When the connection is lost it connects again, round robin over the endpoints (like a
 * client behind a TCP load balancer), and resends, oldest first, every QoS 1/2 message that was not
 * acknowledged: with a clean session nothing is carried over, so the application must. QoS 0
 * messages are never resent.
 *
 * <p>Its own thread drives it; every loop is bounded by {@code deadline} and stops by itself. What it
 * records lives in three parts: {@link UplinkLedger} (each uplink message, in flight and to resend),
 * {@link ConnectionHistory} (connections and outages) and {@link DownlinkInbox} (what came on DL/#).
 */
public final class LoadDevice implements MqttCallback {

  private static final long CONNECT_TIMEOUT_MS = 5_000;
  private static final long RECONNECT_BACKOFF_MS = 100;
  private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

  /**
   * @param qos           0, 1 or 2; -1 publishes nothing (a pure subscriber)
   * @param window        unacknowledged messages at most
   * @param ratePerSecond messages per second; 0 = as fast as the window allows
   * @param maxMessages   the sequence ends here
   * @param subscribe     subscribe to DL/# (QoS 1) on every connection
   */
  public record Options(int qos, int window, double ratePerSecond, int maxMessages, boolean subscribe,
                        int keepAliveSeconds) {
    public static Options publisher(int qos, int window, int maxMessages) {
      return new Options(qos, window, 0, maxMessages, false, 10);
    }

    public static Options subscriber() {
      return new Options(-1, 1, 0, 0, true, 10);
    }

    public Options rate(double perSecond) {
      return new Options(qos, window, perSecond, maxMessages, subscribe, keepAliveSeconds);
    }

    public Options subscribing() {
      return new Options(qos, window, ratePerSecond, maxMessages, true, keepAliveSeconds);
    }
  }

  private final String clientId;
  private final String topic;
  private final Options options;
  private final List<Integer> endpoints;
  private final IntFunction<String> hostOf;
  private final long deadlineMillis;
  private final UplinkLedger ledger;
  private final DownlinkInbox inbox = new DownlinkInbox();
  private final ConnectionHistory history = new ConnectionHistory();
  private final Thread thread;
  private volatile boolean sendingNew = true;
  private volatile boolean stopped;
  private volatile boolean settled;
  private volatile int connectedPort = -1;
  private MqttAsyncClient client;
  private int endpointIndex;
  private long nextSendNanos = System.nanoTime();

  /**
   * @param endpoints the bridge ports, shared and changeable by the test (e.g. a CopyOnWriteArrayList)
   * @param hostOf    the address of the bridge listening on a port
   * @param home      index of the first endpoint to try
   */
  public LoadDevice(String clientId, Options options, List<Integer> endpoints, IntFunction<String> hostOf, int home,
                    long deadlineMillis) {
    this.clientId = clientId;
    this.topic = "UL/" + clientId;
    this.options = options;
    this.endpoints = endpoints;
    this.hostOf = hostOf;
    this.endpointIndex = home;
    this.deadlineMillis = deadlineMillis;
    this.ledger = new UplinkLedger(options.qos(), Math.max(0, options.maxMessages()));
    this.thread = new Thread(this::run, "device-" + clientId);
    this.thread.setDaemon(true);
  }

  public String clientId() {
    return clientId;
  }

  public int qos() {
    return options.qos();
  }

  public String topic() {
    return topic;
  }

  public void start() {
    thread.start();
  }

  /** No new sequence numbers from now on; what was sent is still resent until acknowledged. */
  public void stopSendingNew() {
    sendingNew = false;
    LockSupport.unpark(thread);
  }

  /** True when it stopped sending new messages and every message sent is acknowledged (QoS 0: written). */
  public boolean settled() {
    return settled;
  }

  /** Ends the thread and the connection; the ledger may be read afterwards. */
  public void close() {
    stopped = true;
    LockSupport.unpark(thread);
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Messages sent at least once: sequence numbers 0 .. sent()-1. */
  public int sent() {
    return ledger.sent();
  }

  public int attempts(int seq) {
    return ledger.attempts(seq);
  }

  /** Epoch millis of the PUBACK/PUBCOMP, 0 when none came. */
  public long ackedAt(int seq) {
    return ledger.ackedAt(seq);
  }

  public long firstSentAt(int seq) {
    return ledger.firstSentAt(seq);
  }

  /** The port its PUBACK/PUBCOMP came through: 0 when none came, -1 when it came as the connection went. */
  public int ackedVia(int seq) {
    return ledger.ackedVia(seq);
  }

  /** The port it is connected to now, -1 when not connected. */
  public int connectedPort() {
    return connectedPort;
  }

  public int connections() {
    return history.connections();
  }

  /** (lostAt, reconnectedAt) epoch millis of each lost connection; reconnectedAt 0 if it never came back. */
  public List<long[]> outages() {
    return history.outages();
  }

  /** Downlink payloads received, with how often each came. */
  public Map<String, AtomicInteger> received() {
    return inbox.received();
  }

  /** Downlink payloads in the order they arrived, repeats included. */
  public List<String> arrivals() {
    return inbox.arrivals();
  }

  /** The first acknowledgement at or after {@code epochMillis}, or 0. */
  public long firstAckAtOrAfter(long epochMillis) {
    return ledger.firstAckAtOrAfter(epochMillis);
  }

  public static String payload(String clientId, int seq) {
    return clientId + "|" + seq;
  }

  /** The sequence number in an uplink payload of this device, or -1 when it is not one of its payloads. */
  public int seqOf(byte[] payload) {
    String value = new String(payload, StandardCharsets.UTF_8);
    int bar = value.lastIndexOf('|');
    if (bar < 0 || !value.substring(0, bar).equals(clientId)) {
      return -1;
    }
    try {
      return Integer.parseInt(value.substring(bar + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private void run() {
    try {
      while (!stopped && System.currentTimeMillis() < deadlineMillis) {
        if (client == null && !connect()) {
          continue;
        }
        boolean failed = ledger.harvest(connectedPort);
        if (failed || !client.isConnected()) {
          connectionLost();
          continue;
        }
        fill();
        settled = !sendingNew && ledger.idle();
        LockSupport.parkNanos(IDLE_PARK_NANOS);
      }
    } finally {
      dropClient();
    }
  }

  private boolean connect() {
    int port = endpoints.get(Math.floorMod(endpointIndex, endpoints.size()));
    MqttAsyncClient candidate = null;
    try {
      candidate = new MqttAsyncClient("tcp://" + hostOf.apply(port) + ":" + port, clientId, new MemoryPersistence());
      MqttConnectOptions connect = new MqttConnectOptions();
      connect.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
      connect.setCleanSession(true);
      connect.setAutomaticReconnect(false);
      connect.setKeepAliveInterval(options.keepAliveSeconds());
      connect.setConnectionTimeout((int) (CONNECT_TIMEOUT_MS / 1000));
      connect.setMaxInflight(Math.max(10, options.window() + 10));
      candidate.setCallback(this);
      candidate.connect(connect).waitForCompletion(CONNECT_TIMEOUT_MS + 1_000);
      if (options.subscribe()) {
        candidate.subscribe("DL/#", 1).waitForCompletion(CONNECT_TIMEOUT_MS);
      }
      client = candidate;
      connectedPort = port;
      history.connected();
      return true;
    } catch (MqttException | RuntimeException e) {
      close(candidate);
      endpointIndex++;
      sleep(RECONNECT_BACKOFF_MS);
      return false;
    }
  }

  private void connectionLost() {
    dropClient();
    ledger.connectionLost();
    history.lost();
    endpointIndex++;
  }

  private void fill() {
    while (ledger.inFlight() < options.window() && !stopped) {
      int seq = ledger.oldestToResend();
      if (seq < 0) {
        seq = nextNew();
        if (seq < 0) {
          return;
        }
      }
      try {
        IMqttDeliveryToken token = client.publish(topic, payload(clientId, seq).getBytes(StandardCharsets.UTF_8),
            options.qos(), false, null, wakeUp);
        ledger.published(seq, token);
      } catch (MqttException e) {
        return; // the connection is going; the harvest and connectionLost() follow
      }
    }
  }

  /** The next new sequence number when one may be sent now (the rate allowing), else -1. */
  private int nextNew() {
    if (!sendingNew || ledger.sent() >= options.maxMessages() || options.qos() < 0) {
      return -1;
    }
    if (options.ratePerSecond() > 0) {
      long now = System.nanoTime();
      if (now < nextSendNanos) {
        return -1;
      }
      nextSendNanos = Math.max(nextSendNanos, now - TimeUnit.SECONDS.toNanos(1))
          + (long) (TimeUnit.SECONDS.toNanos(1) / options.ratePerSecond());
    }
    return ledger.sent();
  }

  private final IMqttActionListener wakeUp = new IMqttActionListener() {
    @Override
    public void onSuccess(IMqttToken token) {
      LockSupport.unpark(thread);
    }

    @Override
    public void onFailure(IMqttToken token, Throwable failure) {
      LockSupport.unpark(thread);
    }
  };

  private void dropClient() {
    connectedPort = -1;
    close(client);
    client = null;
  }

  private static void close(MqttAsyncClient c) {
    if (c == null) {
      return;
    }
    try {
      if (c.isConnected()) {
        c.disconnectForcibly(0, 1_000);
      }
    } catch (MqttException | RuntimeException e) {
      // already gone
    }
    try {
      c.close(true);
    } catch (MqttException | RuntimeException e) {
      // already closed
    }
  }

  @Override
  public void connectionLost(Throwable cause) {
    LockSupport.unpark(thread);
  }

  @Override
  public void messageArrived(String t, MqttMessage message) {
    inbox.add(new String(message.getPayload(), StandardCharsets.UTF_8));
  }

  @Override
  public void deliveryComplete(IMqttDeliveryToken token) {
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
