package io.mqttkafka.bridge.uplink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.RawMqttClient;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Order per client when a PUBLISH fails. MQTT 3.1.1 has no negative PUBACK, so a failed QoS 1/2
 * PUBLISH closes the connection and the client resends from it on. Found by KafkaOutageFaultIT: QoS 1
 * refused as overloaded while later PUBLISH packets of the same connection were written, so that
 * after the resend Kafka held them ahead of the failed one.
 */
class UplinkOrderFaultIT {

  @Test
  void afterAFailedQos1PublishNothingLaterFromThatConnectionReachesKafka() throws Exception {
    String topic = TestKafka.uniqueTopic("order");
    Bridge bridge = TestBridge.start("""
        mappings:
          uplink:
            - { match: "^UL/(.+)$", topic: "%s" }
          unmatched: reject
        """.formatted(topic));
    try (RawMqttClient device = new RawMqttClient(bridge.mqttPort())) {
      device.connected("car-order");
      // One read: the first is written, the second is refused (no rule; fails at once), the third
      // would overtake the second if it were written.
      device.send(MqttPackets.concat(
          MqttPackets.publish("UL/a", bytes("first"), 1, 1, false),
          MqttPackets.publish("REFUSED/b", bytes("second"), 1, 2, false),
          MqttPackets.publish("UL/c", bytes("third"), 1, 3, false)));

      RawMqttClient.Packet ack = device.read();
      assertThat(ack.type()).isEqualTo(RawMqttClient.PUBACK);
      assertThat(ack.packetId()).isEqualTo(1);
      assertThatThrownBy(device::read).as("closed for the refused PUBLISH, no PUBACK for 2 or 3")
          .isInstanceOf(IOException.class);
      List<String> inKafka = TestKafka.consumeFor(topic, Duration.ofSeconds(3)).stream()
          .map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
      assertThat(inKafka).containsExactly("first");
    } finally {
      bridge.stop();
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
