package io.mqttkafka.bridge.testkit;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttMessage;

/**
 * A well-behaved MQTT 3.1.1 device beside a test's load: publishes QoS 1 messages whose payload is
 * their sequence number (topics {@code prefix0..3}), at most 10 in flight, until stopped; records
 * which were acknowledged, every failure and a lost connection.
 */
public final class SteadyPublisher implements MqttCallback {

  public final MqttAsyncClient client;
  /** Sequence numbers that got PUBACK. */
  public final Set<Integer> acked = ConcurrentHashMap.newKeySet();
  public final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
  /** Why the connection was lost; null while it never was. */
  public volatile Throwable lost;
  private final String topicPrefix;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Semaphore window = new Semaphore(10);
  private Thread thread;
  private int sent;

  public SteadyPublisher(int port, String clientId, String topicPrefix) throws Exception {
    this.topicPrefix = topicPrefix;
    client = Clients.v3(port, clientId);
    client.setCallback(this);
  }

  public void start() {
    thread = new Thread(() -> {
      try {
        while (running.get()) {
          if (!window.tryAcquire(1, TimeUnit.SECONDS)) {
            continue;
          }
          int seq = sent++;
          client.publish(topicPrefix + (seq % 4), String.valueOf(seq).getBytes(StandardCharsets.UTF_8), 1, false,
              null, new IMqttActionListener() {
                @Override
                public void onSuccess(IMqttToken token) {
                  acked.add(seq);
                  window.release();
                }

                @Override
                public void onFailure(IMqttToken token, Throwable failure) {
                  failures.add(seq + ": " + failure);
                  window.release();
                }
              });
          Thread.sleep(5);
        }
      } catch (Exception e) {
        failures.add(e.toString());
      }
    }, "steady-publisher");
    thread.start();
  }

  /** Stops publishing and waits (up to 30 s) for the outstanding acknowledgements. */
  public void stop() throws InterruptedException {
    running.set(false);
    thread.join(10_000);
    if (window.tryAcquire(10, 30, TimeUnit.SECONDS)) {
      window.release(10);
    }
  }

  @Override
  public void connectionLost(Throwable cause) {
    lost = cause;
  }

  @Override
  public void messageArrived(String topic, MqttMessage message) {
  }

  @Override
  public void deliveryComplete(IMqttDeliveryToken token) {
  }
}
