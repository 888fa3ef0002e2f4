package io.mqttkafka.bridge.fault;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * Devices with persistent sessions (Paho, MQTT 3.1.1, CleanSession 0) that subscribe to {@code DL/#}
 * once, on their first connection, and then only reconnect: round robin over the endpoints, each
 * connection a new client with nothing carried over but the client id, so that whatever they receive
 * after a reconnect comes from the session the bridge kept. Each device counts every downlink payload
 * it receives and remembers the order of first receptions. One thread drives all reconnects; it ends
 * by the deadline at the latest.
 */
final class SessionDevices implements AutoCloseable {

  private static final long CONNECT_TIMEOUT_MS = 20_000;
  private static final long TICK_MS = 50;

  /** One device: its connection, what it received, when it lost and got back a connection. */
  static final class Device implements MqttCallback {
    final String clientId;
    private final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
    private final List<String> firstReceptions = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger sessionsPresent = new AtomicInteger();
    private volatile MqttAsyncClient client;
    private volatile boolean lost;
    private volatile long lostAt;
    private volatile long reconnectedAt;
    private final AtomicBoolean connecting = new AtomicBoolean();
    private int endpoint;

    Device(String clientId, int home) {
      this.clientId = clientId;
      this.endpoint = home;
    }

    Map<String, AtomicInteger> received() {
      return received;
    }

    /** Payloads in the order each was first received. */
    List<String> firstReceptions() {
      return firstReceptions;
    }

    int connections() {
      return connections.get();
    }

    /** Reconnects whose CONNACK said session present. */
    int sessionsPresent() {
      return sessionsPresent.get();
    }

    boolean connected() {
      MqttAsyncClient c = client;
      return c != null && c.isConnected() && !lost;
    }

    /** When it last lost its connection and when it had one again (epoch millis, 0 if not). */
    long lostAt() {
      return lostAt;
    }

    long reconnectedAt() {
      return reconnectedAt;
    }

    @Override
    public void connectionLost(Throwable cause) {
      lostAt = System.currentTimeMillis();
      lost = true;
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) {
      String payload = new String(message.getPayload(), StandardCharsets.UTF_8);
      if (received.computeIfAbsent(payload, p -> new AtomicInteger()).incrementAndGet() == 1) {
        firstReceptions.add(payload);
      }
    }

    @Override
    public void deliveryComplete(IMqttDeliveryToken token) {
    }

    /** One attempt to connect to {@code port}; true when connected (and subscribed, the first time). */
    boolean connect(int port) {
      MqttAsyncClient candidate = null;
      try {
        candidate = new MqttAsyncClient("tcp://127.0.0.1:" + port, clientId, new MemoryPersistence());
        candidate.setCallback(this);
        MqttConnectOptions options = new MqttConnectOptions();
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        options.setCleanSession(false);
        options.setAutomaticReconnect(false);
        options.setKeepAliveInterval(10);
        options.setConnectionTimeout((int) (CONNECT_TIMEOUT_MS / 1000));
        lost = false;
        var token = candidate.connect(options);
        token.waitForCompletion(CONNECT_TIMEOUT_MS + 1_000);
        boolean first = connections.get() == 0;
        if (first) {
          candidate.subscribe("DL/#", 1).waitForCompletion(CONNECT_TIMEOUT_MS);
        } else {
          reconnectedAt = System.currentTimeMillis();
          sessionsPresent.addAndGet(token.getSessionPresent() ? 1 : 0);
        }
        client = candidate;
        connections.incrementAndGet();
        return true;
      } catch (MqttException | RuntimeException e) {
        close(candidate);
        return false;
      }
    }

    void close() {
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
  }

  private final List<Integer> endpoints;
  private final long deadlineMillis;
  private final List<Device> devices = new ArrayList<>();
  private final Thread thread;
  private final ExecutorService reconnects = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "session-device-reconnect");
    t.setDaemon(true);
    return t;
  });
  private volatile boolean stopped;

  /** @param endpoints the MQTT ports; the test may remove one (CopyOnWrite) as an instance dies */
  SessionDevices(List<Integer> endpoints, long maxRunMillis) {
    this.endpoints = endpoints;
    this.deadlineMillis = System.currentTimeMillis() + maxRunMillis;
    this.thread = new Thread(this::run, "session-devices");
    this.thread.setDaemon(true);
  }

  /** Connects a device to endpoint {@code home} (subscribing it); it reconnects by itself once started. */
  Device add(String clientId, int home) {
    Device device = new Device(clientId, home);
    if (!device.connect(endpoints.get(home))) {
      throw new IllegalStateException(clientId + " could not connect to " + endpoints.get(home));
    }
    devices.add(device);
    return device;
  }

  List<Device> devices() {
    return devices;
  }

  SessionDevices start() {
    thread.start();
    return this;
  }

  /** Reconnects the devices without a connection, all at once, as a fleet does after an instance loss. */
  private void run() {
    while (!stopped && System.currentTimeMillis() < deadlineMillis) {
      for (Device device : devices) {
        if (!stopped && !device.connected() && device.connecting.compareAndSet(false, true)) {
          reconnects.execute(() -> {
            try {
              device.close();
              device.endpoint++;
              device.connect(endpoints.get(Math.floorMod(device.endpoint, endpoints.size())));
            } finally {
              device.connecting.set(false);
            }
          });
        }
      }
      try {
        Thread.sleep(TICK_MS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  @Override
  public void close() {
    stopped = true;
    try {
      thread.join(CONNECT_TIMEOUT_MS * 2);
      reconnects.shutdown();
      reconnects.awaitTermination(CONNECT_TIMEOUT_MS * 2, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    devices.forEach(Device::close);
  }
}
