package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.testkit.Clients;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.RawMqttClient;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testkit.V5Callback;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** CONNECT: which client ids and protocol levels are accepted, and takeover on the same instance. */
class ConnectIT {

  private static Bridge bridge;

  @BeforeAll
  static void start() throws Exception {
    bridge = TestBridge.start("""
        mqtt:
          maxClientIdLength: 30
          clientIdPattern: "[a-z0-9-]+"
        """);
  }

  @AfterAll
  static void stop() {
    bridge.stop();
  }

  @Test
  void emptyClientIdIsRefusedWithIdentifierRejected() throws Exception {
    assertThat(connackCode(MqttPackets.connect(""))).isEqualTo(0x02);
  }

  @Test
  void emptyClientIdIsRefusedWithClientIdentifierNotValidOnMqtt5() throws Exception {
    assertThat(connackCode(MqttPackets.connect("", 5, null, null, 0, false))).isEqualTo(0x85);
  }

  @Test
  void tooLongClientIdIsRefused() throws Exception {
    assertThat(connackCode(MqttPackets.connect("a".repeat(31)))).isEqualTo(0x02);
    assertThat(connackCode(MqttPackets.connect("a".repeat(30)))).isEqualTo(0x00);
  }

  @Test
  void clientIdOutsideTheConfiguredCharactersIsRefused() throws Exception {
    assertThat(connackCode(MqttPackets.connect("Car_1"))).isEqualTo(0x02);
    assertThat(connackCode(MqttPackets.connect("car/1", 5, null, null, 0, false))).isEqualTo(0x85);
  }

  @Test
  void mqtt31IsRefusedWithUnacceptableProtocolVersion() throws Exception {
    assertThat(connackCode(MqttPackets.connect("car-31", 3, null, null, 0, false))).isEqualTo(0x01);
  }

  @Test
  void silentClientIsClosedOnceOneAndAHalfKeepAlivePeriodsPass() throws Exception {
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      // CONNECT with keep-alive 1 s, then nothing: no PINGREQ, no packet [MQTT-3.1.2-24].
      raw.send(MqttPackets.connect("car-keepalive", 1));
      assertThat(raw.read().type()).isEqualTo(RawMqttClient.CONNACK);
      raw.setTimeoutMillis(10_000);
      assertThat(raw.closedByPeer()).isTrue();
    }
  }

  @Test
  void secondConnectionWithSameClientIdClosesTheFirst() throws Exception {
    MqttAsyncClient first = Clients.v3(bridge.mqttPort(), "car-takeover");
    CompletableFuture<Throwable> lost = new CompletableFuture<>();
    first.setCallback(new MqttCallback() {
      @Override
      public void connectionLost(Throwable cause) {
        lost.complete(cause);
      }

      @Override
      public void messageArrived(String topic, MqttMessage message) {
      }

      @Override
      public void deliveryComplete(IMqttDeliveryToken token) {
      }
    });
    MqttAsyncClient second = Clients.v3(bridge.mqttPort(), "car-takeover");
    await().atMost(Duration.ofSeconds(5)).until(lost::isDone);
    assertThat(first.isConnected()).isFalse();
    assertThat(second.isConnected()).isTrue();
    second.publish("UL/x", new byte[] {1}, 1, false).waitForCompletion(10_000);
    assertThat(bridge.sessions().size()).isEqualTo(1);
    second.disconnect().waitForCompletion();
  }

  @Test
  void takenOverMqtt5ClientIsToldSessionTakenOver() throws Exception {
    org.eclipse.paho.mqttv5.client.MqttAsyncClient first = Clients.v5(bridge.mqttPort(), "car-takeover5");
    CompletableFuture<Integer> reason = new CompletableFuture<>();
    first.setCallback(new V5Callback() {
      @Override
      public void disconnected(MqttDisconnectResponse response) {
        reason.complete(response.getReturnCode());
      }
    });
    org.eclipse.paho.mqttv5.client.MqttAsyncClient second = Clients.v5(bridge.mqttPort(), "car-takeover5");
    await().atMost(Duration.ofSeconds(5)).until(reason::isDone);
    assertThat(reason.get()).isEqualTo(0x8E);
    assertThat(second.isConnected()).isTrue();
    second.disconnect().waitForCompletion();
  }

  private int connackCode(byte[] connect) throws Exception {
    try (RawMqttClient raw = new RawMqttClient(bridge.mqttPort())) {
      raw.send(connect);
      RawMqttClient.Packet connack = raw.read();
      assertThat(connack.type()).isEqualTo(RawMqttClient.CONNACK);
      return connack.body()[1] & 0xFF;
    }
  }
}
