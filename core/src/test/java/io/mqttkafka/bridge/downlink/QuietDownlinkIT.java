package io.mqttkafka.bridge.downlink;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.mqttkafka.bridge.testkit.Clients;
import io.mqttkafka.bridge.testsupport.Downlink;
import io.mqttkafka.bridge.testkit.Metrics;
import io.mqttkafka.bridge.testkit.Received;
import io.mqttkafka.bridge.testsupport.TestBridge;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.junit.jupiter.api.Test;

/**
 * A downlink record that arrives on a quiet bridge (the usual case: a command now and then) is
 * routed once the router has read the presence records written before it, not after the router's
 * consumer gives up waiting for more data.
 *
 * <p>The router samples the subscriptions partition's end offset after fetching downlink records. A
 * Kafka broker answers one request per connection at a time, in order, and the router's consumer
 * always has a fetch waiting on the broker for new data (for up to {@code fetch.max.wait.ms}). An
 * end-offsets request sent on that connection is not even read until that fetch returns: with no
 * further traffic, a lone command waited for the whole fetch wait (500 ms by default). Here the wait
 * is 8 s, longer than the router's bound for the presence wait (5 s), so a router that asks on its
 * fetching connection routes the record only after that bound, and counts it. (The bridge's stop
 * waits for that fetch too, when the router's consumer closes its fetch session.)
 */
class QuietDownlinkIT {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void aLoneRecordIsRoutedWithoutWaitingForTheRoutersFetch() throws Exception {
    Map<String, String> deployment = TestBridge.isolated();
    String downlink = TestBridge.downlinkTopic(deployment);
    String receipts = TestBridge.receiptsTopic(deployment);
    Bridge bridge = TestBridge.start("""
        kafka:
          consumer: { fetch.max.wait.ms: "8000" }
        mappings:
          downlink: { filters: ["DL/#"] }
        """, deployment);
    Received received = new Received();
    MqttAsyncClient car = Clients.v3(bridge.mqttPort(), "car-quiet");
    try {
      car.setCallback(received);
      car.subscribe("DL/#", 1).waitForCompletion(10_000);
      for (int n = 0; n < 2; n++) {
        // Quiet for a while: the router's consumer is waiting on the broker for more data.
        Thread.sleep(1_000);
        String correlation = "quiet-" + n;
        Downlink.send(downlink, "car-quiet", ("cmd " + n).getBytes(StandardCharsets.UTF_8),
            "mqtt.topic", "DL/CMD", "correlation.id", correlation);
        Received.Message message = received.next(WAIT.toMillis());
        assertThat(message).as("command %d delivered", n).isNotNull();
        assertThat(new String(message.payload(), StandardCharsets.UTF_8)).isEqualTo("cmd " + n);
        List<Receipt> written = Downlink.receipts(receipts, correlation, 1, WAIT);
        assertThat(written).extracting(Receipt::status).first().isEqualTo(Status.DELIVERED);
      }
      assertThat(Metrics.value(Metrics.scrape(bridge.httpPort()), "mqtt_bridge_router_presence_wait_exceeded_total", ""))
          .as("records routed after reading the presence records before them, not after the longest wait")
          .isZero();
    } finally {
      car.disconnectForcibly(1_000);
      car.close();
      bridge.stop();
    }
  }
}
