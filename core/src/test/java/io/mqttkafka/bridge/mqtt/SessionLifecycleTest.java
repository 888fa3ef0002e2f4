package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.records.PresenceRecord;
import io.mqttkafka.bridge.records.PresenceRecord.Event;
import io.mqttkafka.bridge.testsupport.FakeMqttEndpoint;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import io.vertx.mqtt.MqttWill;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.header.Headers;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * How a connection ends (DeviceSession on its SessionLifecycle): whether the Will is published, the
 * "disconnected" presence record, and the close reason counted. The client connected with MQTT 5 and
 * a Will on UL/car1/will, which the default rule maps to the uplink topic.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class SessionLifecycleTest {

  private SessionHarness h;

  @BeforeEach
  void connect(Vertx vertx) throws Exception {
    MqttWill will = new MqttWill(true, "UL/car1/will", Buffer.buffer("car1 is gone"), 1, false, new MqttProperties());
    h = new SessionHarness(vertx, new FakeMqttEndpoint("car1", 5, will, null));
    h.completePresence();
  }

  @Test
  void aTakeoverCancelsTheWillAndWritesNoDisconnectedRecord() {
    h.session.takeOver();
    h.settle();

    assertThat(h.endpoint.sent()).containsExactly("DISCONNECT SESSION_TAKEN_OVER", "CLOSE");
    assertThat(h.endpoint.closed()).isTrue();
    assertThat(h.uplink()).as("no Will").isEmpty();
    assertThat(h.presence()).extracting(PresenceRecord::event)
        .as("the newer connection's record is the client's state").containsExactly(Event.CONNECTED);
    assertThat(h.count("connections.closed", "reason", CloseReason.TAKEOVER)).isEqualTo(1);
  }

  @Test
  void aLostConnectionPublishesTheWill() {
    h.onLoop(h.endpoint::connectionLost);

    assertThat(h.uplinkPayloads()).containsExactly("car1 is gone");
    assertThat(h.presence()).extracting(PresenceRecord::event).containsExactly(Event.CONNECTED, Event.DISCONNECTED);
    assertThat(h.count("connections.closed", "reason", CloseReason.LOST)).isEqualTo(1);
  }

  @Test
  void aDisconnectCancelsTheWill() {
    h.onLoop(() -> h.endpoint.receiveDisconnect(MqttDisconnectReasonCode.NORMAL));

    assertThat(h.endpoint.closed()).isTrue();
    assertThat(h.uplink()).as("[MQTT-3.14.4-3]").isEmpty();
    assertThat(h.presence()).extracting(PresenceRecord::event).containsExactly(Event.CONNECTED, Event.DISCONNECTED);
    assertThat(h.count("connections.closed", "reason", CloseReason.DISCONNECT)).isEqualTo(1);
  }

  @Test
  void aDisconnectWithReason0x04KeepsTheWill() {
    h.onLoop(() -> h.endpoint.receiveDisconnect(MqttDisconnectReasonCode.WITH_WILL_MESSAGE));

    assertThat(h.uplinkPayloads()).containsExactly("car1 is gone");
    assertThat(h.count("connections.closed", "reason", CloseReason.DISCONNECT)).isEqualTo(1);
  }

  @Test
  void aShutdownCancelsTheWillEvenWhenTheNetworkDropsTheConnectionFirst() {
    h.publish(1, 1, "UL/car1/a", "held");
    h.session.shutdown();
    h.settle();

    h.onLoop(h.endpoint::connectionLost);

    assertThat(h.uplinkPayloads()).as("no Will after the held message").containsExactly("held");
    assertThat(h.count("connections.closed", "reason", CloseReason.LOST)).isEqualTo(1);
  }

  @Test
  void badInputClosesAndPublishesTheWill() {
    h.onLoop(() -> h.endpoint.decoderFails(new IllegalArgumentException("malformed")));

    assertThat(h.uplinkPayloads()).containsExactly("car1 is gone");
    assertThat(h.count("connections.closed", "reason", CloseReason.BAD_INPUT)).isEqualTo(1);
  }

  @Test
  void theWillsMqtt5PropertiesBecomeHeadersOfItsRecordAsAPublishsDo(Vertx vertx) throws Exception {
    MqttProperties properties = new MqttProperties();
    properties.add(new MqttProperties.StringProperty(MqttProperties.RESPONSE_TOPIC, "RSP/car2/gone"));
    properties.add(new MqttProperties.BinaryProperty(MqttProperties.CORRELATION_DATA, new byte[] {7, (byte) 0xFE}));
    properties.add(new MqttProperties.StringProperty(MqttProperties.CONTENT_TYPE, "text/plain"));
    properties.add(new MqttProperties.UserProperty("reason", "power"));
    MqttWill will = new MqttWill(true, "UL/car2/will", Buffer.buffer("car2 is gone"), 1, false, properties);
    SessionHarness car2 = new SessionHarness(vertx, new FakeMqttEndpoint("car2", 5, will, null));

    car2.onLoop(car2.endpoint::connectionLost);

    assertThat(car2.uplink()).hasSize(1);
    Headers headers = car2.uplink().get(0).headers();
    assertThat(text(headers, HeaderNames.RESPONSE_TOPIC)).isEqualTo("RSP/car2/gone");
    assertThat(headers.lastHeader(HeaderNames.CORRELATION_DATA).value()).containsExactly(7, (byte) 0xFE);
    assertThat(text(headers, HeaderNames.CONTENT_TYPE)).isEqualTo("text/plain");
    assertThat(text(headers, "reason")).isEqualTo("power");
  }

  private static String text(Headers headers, String name) {
    return new String(headers.lastHeader(name).value(), StandardCharsets.UTF_8);
  }
}
