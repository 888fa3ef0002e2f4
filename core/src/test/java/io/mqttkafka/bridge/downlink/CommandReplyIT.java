package io.mqttkafka.bridge.downlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.mqttkafka.bridge.testkit.Clients;
import io.mqttkafka.bridge.testkit.Received;
import io.mqttkafka.bridge.testkit.TestKafka;
import io.mqttkafka.bridge.testkit.V5Callback;
import io.mqttkafka.bridge.testsupport.Downlink;
import io.mqttkafka.bridge.testsupport.TestBridge;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Commands with replies, end to end, the MQTT 5 request/response pattern: a back end (a Kafka
 * client) writes a command with a response topic and correlation data; the car (Eclipse Paho, MQTT 5)
 * receives both, answers on the response topic with the same correlation data, and the back end
 * reads the answer from Kafka, correlated. The uplink rules decide where a car may answer.
 */
class CommandReplyIT {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Map<String, String> DEPLOYMENT = TestBridge.isolated();
  private static final String DOWNLINK = TestBridge.downlinkTopic(DEPLOYMENT);
  private static final String RECEIPTS = TestBridge.receiptsTopic(DEPLOYMENT);
  private static final String REPLIES = TestKafka.uniqueTopic("replies");
  private static Bridge bridge;

  @BeforeAll
  static void start() throws Exception {
    // A car answers only under its own client id: RSP/<its id>/...
    bridge = TestBridge.start("""
        mappings:
          uplink:
            - { match: "^RSP/${clientId}/(.+)$", topic: "%s" }
          downlink: { filters: ["DL/${clientId}/#"] }
        """.formatted(REPLIES), DEPLOYMENT);
  }

  @AfterAll
  static void stop() {
    bridge.stop();
  }

  /** A car that answers every command on its response topic, with its correlation data. */
  private static final class Car extends V5Callback {
    final BlockingQueue<MqttMessage> commands = new LinkedBlockingQueue<>();
    final BlockingQueue<int[]> replyCodes = new LinkedBlockingQueue<>();
    MqttAsyncClient client;

    @Override
    public void messageArrived(String topic, MqttMessage command) throws Exception {
      commands.add(command);
      MqttProperties request = command.getProperties();
      if (request.getResponseTopic() == null) {
        return;
      }
      MqttMessage reply = new MqttMessage(("done: " + new String(command.getPayload(), StandardCharsets.UTF_8))
          .getBytes(StandardCharsets.UTF_8), 1, false, new MqttProperties());
      reply.getProperties().setCorrelationData(request.getCorrelationData());
      reply.getProperties().setContentType("text/plain");
      reply.getProperties().setUserProperties(List.of(new UserProperty("status", "ok")));
      IMqttToken sent = client.publish(request.getResponseTopic(), reply);
      sent.setActionCallback(new MqttActionListener() {
        @Override
        public void onSuccess(IMqttToken token) {
          replyCodes.add(token.getReasonCodes());
        }

        @Override
        public void onFailure(IMqttToken token, Throwable failure) {
          replyCodes.add(new int[] {-1});
        }
      });
    }
  }

  private static Car car(String clientId, Long maximumPacketSize) throws Exception {
    Car car = new Car();
    car.client = new MqttAsyncClient("tcp://127.0.0.1:" + bridge.mqttPort(), clientId, new MemoryPersistence());
    car.client.setCallback(car);
    MqttConnectionOptions options = new MqttConnectionOptions();
    options.setCleanStart(true);
    options.setAutomaticReconnect(false);
    options.setMaximumPacketSize(maximumPacketSize);
    car.client.connect(options).waitForCompletion(WAIT.toMillis());
    car.client.subscribe(new MqttSubscription("DL/" + clientId + "/#", 1)).waitForCompletion(WAIT.toMillis());
    return car;
  }

  @Test
  void theCarGetsTheCommandsPropertiesAndItsReplyReachesTheBackEndCorrelated() throws Exception {
    Car car = car("car-rr1", null);
    byte[] correlation = {0, 42, (byte) 0xFF, (byte) 0xC3, 0x28}; // binary, not UTF-8
    String receiptId = UUID.randomUUID().toString();
    Headers headers = new RecordHeaders()
        .add(HeaderNames.TOPIC, utf8("DL/car-rr1/cmd/unlock"))
        .add(HeaderNames.CORRELATION_ID, utf8(receiptId))
        .add(HeaderNames.RESPONSE_TOPIC, utf8("RSP/car-rr1/42"))
        .add(HeaderNames.CORRELATION_DATA, correlation)
        .add(HeaderNames.CONTENT_TYPE, utf8("application/json"))
        .add(HeaderNames.PAYLOAD_FORMAT, utf8("1"))
        .add(HeaderNames.TTL_MS, utf8("60000"))
        .add("traceparent", utf8("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
    TestKafka.producer().send(new ProducerRecord<>(DOWNLINK, null, "car-rr1", utf8("{\"door\":\"open\"}"), headers))
        .get();

    MqttMessage command = car.commands.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(command).as("the command").isNotNull();
    MqttProperties p = command.getProperties();
    assertThat(p.getResponseTopic()).isEqualTo("RSP/car-rr1/42");
    assertThat(p.getCorrelationData()).containsExactly(correlation);
    assertThat(p.getContentType()).isEqualTo("application/json");
    assertThat(p.getPayloadFormat()).isTrue();
    assertThat(p.getMessageExpiryInterval()).as("what is left of 60 s").isBetween(1L, 60L);
    assertThat(p.getUserProperties()).extracting(UserProperty::getKey, UserProperty::getValue)
        .containsExactly(tuple("traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
    assertThat(car.replyCodes.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).containsExactly(0);

    ConsumerRecord<String, byte[]> reply = TestKafka.consume(REPLIES, 1, WAIT).stream()
        .filter(r -> "car-rr1".equals(r.key())).findFirst().orElseThrow();
    assertThat(new String(reply.value(), StandardCharsets.UTF_8)).isEqualTo("done: {\"door\":\"open\"}");
    assertThat(text(reply.headers().lastHeader(HeaderNames.TOPIC))).isEqualTo("RSP/car-rr1/42");
    assertThat(reply.headers().lastHeader(HeaderNames.CORRELATION_DATA).value()).as("bytes unchanged")
        .containsExactly(correlation);
    assertThat(text(reply.headers().lastHeader(HeaderNames.CONTENT_TYPE))).isEqualTo("text/plain");
    assertThat(text(reply.headers().lastHeader("status"))).isEqualTo("ok");
    assertThat(Downlink.receipts(RECEIPTS, receiptId, 2, WAIT)).extracting(Receipt::status)
        .containsExactly(Status.DELIVERED, Status.ACKED);
    car.client.disconnect().waitForCompletion(WAIT.toMillis());
  }

  @Test
  void aCarMayAnswerOnlyWhereItsUplinkRulesLetIt() throws Exception {
    Car car = car("car-rr2", null);
    Downlink.send(DOWNLINK, "car-rr2", utf8("unlock"), HeaderNames.TOPIC, "DL/car-rr2/cmd",
        HeaderNames.RESPONSE_TOPIC, "RSP/car-rr3/1", HeaderNames.CORRELATION_DATA, "c-2");

    assertThat(car.commands.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("the command").isNotNull();
    assertThat(car.replyCodes.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS))
        .as("PUBACK 0x87: another car's topic").containsExactly(0x87);
    assertThat(TestKafka.consumeFor(REPLIES, Duration.ofSeconds(1))).noneMatch(r -> "car-rr2".equals(r.key()));
    car.client.disconnect().waitForCompletion(WAIT.toMillis());
  }

  @Test
  void aCommandWithAnInvalidResponseTopicIsRejectedAndNothingIsSent() throws Exception {
    Car car = car("car-rr4", null);
    String receiptId = UUID.randomUUID().toString();
    Downlink.send(DOWNLINK, "car-rr4", utf8("unlock"), HeaderNames.TOPIC, "DL/car-rr4/cmd",
        HeaderNames.CORRELATION_ID, receiptId, HeaderNames.RESPONSE_TOPIC, "RSP/+/1");

    List<Receipt> receipts = Downlink.receipts(RECEIPTS, receiptId, 1, WAIT);
    assertThat(receipts).extracting(Receipt::status, Receipt::detail).containsExactly(
        tuple(Status.REJECTED, "header mqtt.response.topic is not a valid MQTT topic name"));
    assertThat(car.commands.poll(1, TimeUnit.SECONDS)).as("nothing sent").isNull();
    car.client.disconnect().waitForCompletion(WAIT.toMillis());
  }

  @Test
  void aCommandLargerThanTheCarsMaximumPacketSizeIsRejectedAndTheNextArrives() throws Exception {
    Car car = car("car-rr5", 200L);
    String tooBig = UUID.randomUUID().toString();
    String fits = UUID.randomUUID().toString();
    Downlink.send(DOWNLINK, "car-rr5", new byte[100], HeaderNames.TOPIC, "DL/car-rr5/cmd",
        HeaderNames.CORRELATION_ID, tooBig, "note", "x".repeat(100));
    Downlink.send(DOWNLINK, "car-rr5", new byte[100], HeaderNames.TOPIC, "DL/car-rr5/cmd",
        HeaderNames.CORRELATION_ID, fits);

    assertThat(Downlink.receipts(RECEIPTS, tooBig, 1, WAIT)).singleElement().satisfies(r -> {
      assertThat(r.status()).isEqualTo(Status.REJECTED);
      assertThat(r.detail()).contains("more than the device's Maximum Packet Size (200)");
    });
    MqttMessage arrived = car.commands.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(arrived).isNotNull();
    assertThat(arrived.getProperties().getUserProperties()).as("the one that fits").isEmpty();
    assertThat(car.client.isConnected()).isTrue();
    car.client.disconnect().waitForCompletion(WAIT.toMillis());
  }

  @Test
  void anMqtt311CarGetsTheCommandWithoutPropertiesAndTheReceiptSaysSo() throws Exception {
    Received received = new Received();
    org.eclipse.paho.client.mqttv3.MqttAsyncClient car = Clients.v3(bridge.mqttPort(), "car-rr6");
    car.setCallback(received);
    car.subscribe("DL/car-rr6/#", 1).waitForCompletion(WAIT.toMillis());
    String receiptId = UUID.randomUUID().toString();
    Downlink.send(DOWNLINK, "car-rr6", utf8("unlock"), HeaderNames.TOPIC, "DL/car-rr6/cmd",
        HeaderNames.CORRELATION_ID, receiptId, HeaderNames.RESPONSE_TOPIC, "RSP/car-rr6/1");

    assertThat(received.next(WAIT.toMillis())).isNotNull();
    assertThat(Downlink.receipts(RECEIPTS, receiptId, 1, WAIT).get(0)).satisfies(r -> {
      assertThat(r.status()).isEqualTo(Status.DELIVERED);
      assertThat(r.detail()).isEqualTo("an MQTT 3.1.1 device: the record's MQTT 5 properties were not sent");
    });
    car.disconnect().waitForCompletion(WAIT.toMillis());
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(Header header) {
    return new String(header.value(), StandardCharsets.UTF_8);
  }
}
