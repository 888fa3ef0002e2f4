package io.mqttkafka.bridge.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.records.Receipt;
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
import org.apache.kafka.common.header.Header;
import org.assertj.core.groups.Tuple;
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
 * W3C Trace Context end to end, with a real Kafka and Eclipse Paho (MQTT 5) devices: a device's
 * {@code traceparent} user property is on its uplink record, a record without one gets one
 * ({@code tracing.generateTraceparent}); a downlink record's {@code traceparent} reaches the device as
 * a user property and every receipt of the record carries it, the router's (rejected, queued) and
 * the instance's (delivered, acked), also after the record was parked for its client.
 */
class TraceContextIT {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  private static final Map<String, String> DEPLOYMENT = TestBridge.isolated();
  private static final String DOWNLINK = TestBridge.downlinkTopic(DEPLOYMENT);
  private static final String RECEIPTS = TestBridge.receiptsTopic(DEPLOYMENT);
  private static final String UPLINK = TestKafka.uniqueTopic("trace-uplink");
  private static Bridge bridge;

  @BeforeAll
  static void start() throws Exception {
    TestKafka.createTopic(UPLINK, 1);
    bridge = TestBridge.start("""
        mappings:
          uplink: [{ match: "^UL/(.+)$", topic: %s }]
          downlink: { filters: ["DL/#"] }
        tracing: { generateTraceparent: true }
        """.formatted(UPLINK), DEPLOYMENT);
  }

  @AfterAll
  static void stop() {
    bridge.stop();
  }

  /** A device that keeps what it receives. */
  private static final class Device extends V5Callback {
    final BlockingQueue<MqttMessage> received = new LinkedBlockingQueue<>();
    MqttAsyncClient client;

    @Override
    public void messageArrived(String topic, MqttMessage message) {
      received.add(message);
    }
  }

  private static Device device(String clientId) throws Exception {
    Device device = new Device();
    device.client = new MqttAsyncClient("tcp://127.0.0.1:" + bridge.mqttPort(), clientId, new MemoryPersistence());
    device.client.setCallback(device);
    MqttConnectionOptions options = new MqttConnectionOptions();
    options.setCleanStart(true);
    options.setAutomaticReconnect(false);
    device.client.connect(options).waitForCompletion(WAIT.toMillis());
    return device;
  }

  @Test
  void aDevicesTraceparentIsOnItsRecordAndARecordWithoutOneGetsANewOne() throws Exception {
    Device car = device("car-tr1");
    MqttMessage traced = new MqttMessage(utf8("traced"), 1, false, new MqttProperties());
    traced.getProperties().setUserProperties(List.of(new UserProperty(HeaderNames.TRACEPARENT, TRACEPARENT)));
    car.client.publish("UL/car-tr1/a", traced).waitForCompletion(WAIT.toMillis());
    car.client.publish("UL/car-tr1/b", new MqttMessage(utf8("plain"), 1, false, new MqttProperties()))
        .waitForCompletion(WAIT.toMillis());

    List<ConsumerRecord<String, byte[]>> records = TestKafka.consume(UPLINK, 2, WAIT).stream()
        .filter(r -> "car-tr1".equals(r.key())).toList();

    assertThat(records).extracting(r -> new String(r.value(), StandardCharsets.UTF_8), r -> text(r, HeaderNames.TRACEPARENT))
        .first().isEqualTo(tuple("traced", TRACEPARENT));
    assertThat(records).hasSize(2).last().satisfies(r -> {
      assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo("plain");
      assertThat(text(r, HeaderNames.TRACEPARENT)).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01")
          .isNotEqualTo(TRACEPARENT);
    });
    car.client.disconnect().waitForCompletion(WAIT.toMillis());
  }

  @Test
  void aDownlinkRecordsTraceparentReachesTheDeviceAndEveryReceipt() throws Exception {
    Device car = device("car-tr2");
    car.client.subscribe(new MqttSubscription("DL/car-tr2/#", 1)).waitForCompletion(WAIT.toMillis());
    String correlation = UUID.randomUUID().toString();

    Downlink.send(DOWNLINK, "car-tr2", utf8("unlock"), HeaderNames.TOPIC, "DL/car-tr2/cmd",
        HeaderNames.CORRELATION_ID, correlation, HeaderNames.TRACEPARENT, TRACEPARENT,
        HeaderNames.TRACESTATE, "congo=t61rcWkgMzE");

    MqttMessage command = car.received.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(command).as("the command").isNotNull();
    assertThat(command.getProperties().getUserProperties()).extracting(UserProperty::getKey, UserProperty::getValue)
        .contains(tuple(HeaderNames.TRACEPARENT, TRACEPARENT), tuple(HeaderNames.TRACESTATE, "congo=t61rcWkgMzE"));
    assertThat(receipts(correlation, 2)).containsExactly(
        tuple("delivered", TRACEPARENT, "congo=t61rcWkgMzE"), tuple("acked", TRACEPARENT, "congo=t61rcWkgMzE"));
    car.client.disconnect().waitForCompletion(WAIT.toMillis());
  }

  @Test
  void aParkedRecordsReceiptsCarryItsTraceparentBeforeAndAfterItIsDelivered() throws Exception {
    String correlation = UUID.randomUUID().toString();
    Downlink.send(DOWNLINK, "phone-tr3", utf8("hello"), HeaderNames.TOPIC, "DL/phone-tr3/msg",
        HeaderNames.OFFLINE, "queue", HeaderNames.CORRELATION_ID, correlation, HeaderNames.TRACEPARENT, TRACEPARENT);
    assertThat(receipts(correlation, 1)).containsExactly(tuple("queued", TRACEPARENT, null));

    Device phone = device("phone-tr3");
    phone.client.subscribe(new MqttSubscription("DL/phone-tr3/#", 1)).waitForCompletion(WAIT.toMillis());

    MqttMessage message = phone.received.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(message).as("the parked record").isNotNull();
    assertThat(message.getProperties().getUserProperties()).extracting(UserProperty::getKey, UserProperty::getValue)
        .contains(tuple(HeaderNames.TRACEPARENT, TRACEPARENT));
    assertThat(receipts(correlation, 3)).containsExactly(tuple("queued", TRACEPARENT, null),
        tuple("delivered", TRACEPARENT, null), tuple("acked", TRACEPARENT, null));
    phone.client.disconnect().waitForCompletion(WAIT.toMillis());
  }

  @Test
  void anInvalidRecordsRejectedReceiptCarriesItsTraceparent() throws Exception {
    String correlation = UUID.randomUUID().toString();

    Downlink.send(DOWNLINK, "car-tr4", utf8("x"), HeaderNames.CORRELATION_ID, correlation,
        HeaderNames.TRACEPARENT, TRACEPARENT);

    assertThat(receipts(correlation, 1)).containsExactly(tuple("rejected", TRACEPARENT, null));
  }

  /** The receipts of a record as (status, traceparent, tracestate), waiting until {@code count} are there. */
  private static List<Tuple> receipts(String correlation, int count) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    List<Tuple> found = List.of();
    while (System.nanoTime() < deadline && found.size() < count) {
      found = TestKafka.consume(RECEIPTS, Integer.MAX_VALUE, Duration.ofMillis(500)).stream()
          .filter(r -> correlation.equals(text(r, HeaderNames.CORRELATION_ID)))
          .map(r -> tuple(Receipt.fromJson(r.value()).status().metricTag(), text(r, HeaderNames.TRACEPARENT),
              text(r, HeaderNames.TRACESTATE)))
          .toList();
    }
    return found;
  }

  private static String text(ConsumerRecord<String, byte[]> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
