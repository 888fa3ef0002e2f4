package io.mqttkafka.bridge.testkit;

import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;

/** Connected Eclipse Paho clients (MQTT 3.1.1 and 5) for the tests. */
public final class Clients {

  private static final long TIMEOUT_MS = 10_000;

  private Clients() {
  }

  public static MqttAsyncClient v3(int port, String clientId) throws Exception {
    MqttAsyncClient client = new MqttAsyncClient("tcp://127.0.0.1:" + port, clientId,
        new org.eclipse.paho.client.mqttv3.persist.MemoryPersistence());
    MqttConnectOptions options = new MqttConnectOptions();
    options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    options.setCleanSession(true);
    options.setAutomaticReconnect(false);
    options.setMaxInflight(1000);
    client.connect(options).waitForCompletion(TIMEOUT_MS);
    return client;
  }

  public static org.eclipse.paho.mqttv5.client.MqttAsyncClient v5(int port, String clientId) throws Exception {
    org.eclipse.paho.mqttv5.client.MqttAsyncClient client = new org.eclipse.paho.mqttv5.client.MqttAsyncClient(
        "tcp://127.0.0.1:" + port, clientId, new MemoryPersistence());
    MqttConnectionOptions options = new MqttConnectionOptions();
    options.setCleanStart(true);
    options.setAutomaticReconnect(false);
    client.connect(options).waitForCompletion(TIMEOUT_MS);
    return client;
  }
}
