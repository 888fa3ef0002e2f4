package io.mqttkafka.bridge.fault;

import io.mqttkafka.bridge.process.BridgeProcess;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * One connection of a device that the test moves between instances by hand (MQTT 3.1.1, clean
 * session, subscribed to {@code DL/#} at QoS 1): what it received, and when it was closed. It does not
 * reconnect: a second connection with the same client id is another {@code MoverClient}.
 */
final class MoverClient implements MqttCallback, AutoCloseable {

  private final String clientId;
  private final Set<String> received = ConcurrentHashMap.newKeySet();
  private volatile long lostAt;
  private MqttClient client;

  MoverClient(String clientId) {
    this.clientId = clientId;
  }

  void connect(BridgeProcess bridge) throws MqttException {
    client = new MqttClient("tcp://" + bridge.host() + ":" + bridge.mqttPort(), clientId, new MemoryPersistence());
    MqttConnectOptions options = new MqttConnectOptions();
    options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    options.setCleanSession(true);
    options.setAutomaticReconnect(false);
    options.setKeepAliveInterval(10);
    options.setConnectionTimeout(5);
    client.setCallback(this);
    client.connect(options);
    client.subscribe("DL/#", 1);
  }

  /** Whether this connection was closed (by the bridge, or lost). */
  boolean lost() {
    return lostAt > 0;
  }

  long lostAt() {
    return lostAt;
  }

  boolean received(String payload) {
    return received.contains(payload);
  }

  Set<String> payloads() {
    return Set.copyOf(received);
  }

  @Override
  public void connectionLost(Throwable cause) {
    lostAt = System.currentTimeMillis();
  }

  @Override
  public void messageArrived(String topic, MqttMessage message) {
    received.add(new String(message.getPayload(), StandardCharsets.UTF_8));
  }

  @Override
  public void deliveryComplete(IMqttDeliveryToken token) {
  }

  @Override
  public void close() {
    if (client == null) {
      return;
    }
    try {
      if (client.isConnected()) {
        client.disconnectForcibly(0, 1_000);
      }
      client.close(true);
    } catch (MqttException e) {
      // already gone
    }
  }
}
