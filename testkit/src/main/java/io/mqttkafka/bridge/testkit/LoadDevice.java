package io.mqttkafka.bridge.testkit;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
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
 * <p>Its own thread drives it; every loop is bounded by {@code deadline} and stops by itself.
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
  private final long[] firstSentAt;
  private final long[] ackedAt;
  private final int[] attempts;
  /** Endpoint (port) each message was acknowledged through. */
  private final int[] ackedVia;
  private final TreeSet<Integer> resend = new TreeSet<>();
  private final LinkedHashMap<Integer, IMqttDeliveryToken> inFlight = new LinkedHashMap<>();
  private final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
  private final List<String> arrivals = new ArrayList<>();
  private final List<long[]> outages = new ArrayList<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final Thread thread;
  private volatile boolean sendingNew = true;
  private volatile boolean stopped;
  private volatile boolean settled;
  private volatile int next;
  private volatile int connectedPort = -1;
  private MqttAsyncClient client;
  private int endpointIndex;
  private long lostAt = -1;
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
    int capacity = Math.max(0, options.maxMessages());
    this.firstSentAt = new long[capacity];
    this.ackedAt = new long[capacity];
    this.attempts = new int[capacity];
    this.ackedVia = new int[capacity];
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
    return next;
  }

  public int attempts(int seq) {
    return attempts[seq];
  }

  /** Epoch millis of the PUBACK/PUBCOMP, 0 when none came. */
  public long ackedAt(int seq) {
    return ackedAt[seq];
  }

  public long firstSentAt(int seq) {
    return firstSentAt[seq];
  }

  public int ackedVia(int seq) {
    return ackedVia[seq];
  }

  /** The port it is connected to now, -1 when not connected. */
  public int connectedPort() {
    return connectedPort;
  }

  public int connections() {
    return connections.get();
  }

  /** (lostAt, reconnectedAt) epoch millis of each lost connection; reconnectedAt 0 if it never came back. */
  public List<long[]> outages() {
    synchronized (outages) {
      return List.copyOf(outages);
    }
  }

  /** Downlink payloads received, with how often each came. */
  public Map<String, AtomicInteger> received() {
    return received;
  }

  /** Downlink payloads in the order they arrived, repeats included. */
  public List<String> arrivals() {
    synchronized (arrivals) {
      return List.copyOf(arrivals);
    }
  }

  /** The first acknowledgement at or after {@code epochMillis}, or 0. */
  public long firstAckAtOrAfter(long epochMillis) {
    long first = 0;
    for (int i = 0; i < next; i++) {
      long at = ackedAt[i];
      if (at >= epochMillis && (first == 0 || at < first)) {
        first = at;
      }
    }
    return first;
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
        boolean failed = harvest();
        if (failed || !client.isConnected()) {
          connectionLost();
          continue;
        }
        fill();
        settled = !sendingNew && inFlight.isEmpty() && resend.isEmpty();
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
      connections.incrementAndGet();
      if (lostAt >= 0) {
        synchronized (outages) {
          outages.get(outages.size() - 1)[1] = System.currentTimeMillis();
        }
        lostAt = -1;
      }
      return true;
    } catch (MqttException | RuntimeException e) {
      close(candidate);
      endpointIndex++;
      sleep(RECONNECT_BACKOFF_MS);
      return false;
    }
  }

  /** Takes in the completed tokens, oldest first; true when one failed (the connection is gone). */
  private boolean harvest() {
    boolean failed = false;
    Iterator<Map.Entry<Integer, IMqttDeliveryToken>> it = inFlight.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Integer, IMqttDeliveryToken> entry = it.next();
      IMqttDeliveryToken token = entry.getValue();
      if (!token.isComplete()) {
        continue;
      }
      it.remove();
      int seq = entry.getKey();
      if (token.getException() == null) {
        if (options.qos() > 0 && ackedAt[seq] == 0) {
          ackedAt[seq] = System.currentTimeMillis();
          ackedVia[seq] = connectedPort;
        }
      } else {
        failed = true;
        if (options.qos() > 0 && ackedAt[seq] == 0) {
          resend.add(seq);
        }
      }
    }
    return failed;
  }

  private void connectionLost() {
    dropClient();
    harvest(); // acknowledgements that completed while the connection went
    for (int seq : inFlight.keySet()) {
      if (options.qos() > 0 && ackedAt[seq] == 0) {
        resend.add(seq);
      }
    }
    inFlight.clear();
    lostAt = System.currentTimeMillis();
    synchronized (outages) {
      outages.add(new long[] {lostAt, 0});
    }
    endpointIndex++;
  }

  private void fill() {
    while (inFlight.size() < options.window() && !stopped) {
      int seq;
      if (!resend.isEmpty()) {
        seq = resend.first();
      } else if (sendingNew && next < options.maxMessages() && options.qos() >= 0) {
        if (options.ratePerSecond() > 0) {
          long now = System.nanoTime();
          if (now < nextSendNanos) {
            return;
          }
          nextSendNanos = Math.max(nextSendNanos, now - TimeUnit.SECONDS.toNanos(1))
              + (long) (TimeUnit.SECONDS.toNanos(1) / options.ratePerSecond());
        }
        seq = next;
      } else {
        return;
      }
      try {
        IMqttDeliveryToken token = client.publish(topic, payload(clientId, seq).getBytes(StandardCharsets.UTF_8),
            options.qos(), false, null, wakeUp);
        if (seq == next) {
          firstSentAt[seq] = System.currentTimeMillis();
          next = seq + 1;
        } else {
          resend.remove(seq);
        }
        attempts[seq]++;
        inFlight.put(seq, token);
      } catch (MqttException e) {
        return; // the connection is going; harvest() and connectionLost() follow
      }
    }
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
    String payload = new String(message.getPayload(), StandardCharsets.UTF_8);
    received.computeIfAbsent(payload, k -> new AtomicInteger()).incrementAndGet();
    synchronized (arrivals) {
      arrivals.add(payload);
    }
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
