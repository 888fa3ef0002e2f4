package io.mqttkafka.bridge.vertx;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.RawMqttClient;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.Vertx;
import io.vertx.mqtt.MqttServer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Netty channel reached through vertx-mqtt's private field: if a vert.x upgrade moves it, these
 * fail instead of the bridge silently losing flush consolidation, read pausing and hard closes.
 */
class EndpointChannelTest {

  private Vertx vertx;

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void consolidatedFlushesStillSendAcknowledgementsWrittenOutsideARead() throws Exception {
    vertx = Vertx.vertx();
    CompletableFuture<Boolean> installed = new CompletableFuture<>();
    MqttServer server = MqttServer.create(vertx).endpointHandler(endpoint -> {
      installed.complete(EndpointChannel.consolidateFlushes(endpoint)
          && EndpointChannel.of(endpoint).pipeline().first() instanceof FlushConsolidationHandler);
      endpoint.publishAutoAck(false);
      // Acknowledged from a timer, outside any read, as Kafka's completions are: the flush is the
      // consolidation handler's scheduled one.
      endpoint.publishHandler(m -> vertx.setTimer(10, id -> endpoint.publishAcknowledge(m.messageId())));
      endpoint.accept(false);
    });
    int port = server.listen(0).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
    try (RawMqttClient raw = new RawMqttClient(port)) {
      raw.connected("car-flush");
      assertThat(installed.get(10, TimeUnit.SECONDS)).as("handler first in the pipeline").isTrue();
      raw.send(MqttPackets.concat(MqttPackets.publish("t/1", new byte[] {1}, 1, 1, false),
          MqttPackets.publish("t/2", new byte[] {2}, 1, 2, false)));
      RawMqttClient.Packet first = raw.read();
      RawMqttClient.Packet second = raw.read();
      assertThat(first.type()).isEqualTo(RawMqttClient.PUBACK);
      assertThat(first.packetId()).isEqualTo(1);
      assertThat(second.type()).isEqualTo(RawMqttClient.PUBACK);
      assertThat(second.packetId()).isEqualTo(2);
    }
  }

  @Test
  void readingCanBePausedAndResumed() throws Exception {
    vertx = Vertx.vertx();
    CompletableFuture<boolean[]> toggled = new CompletableFuture<>();
    MqttServer server = MqttServer.create(vertx).endpointHandler(endpoint -> {
      endpoint.accept(false);
      boolean paused = EndpointChannel.setAutoRead(endpoint, false)
          && !EndpointChannel.of(endpoint).config().isAutoRead();
      boolean resumed = EndpointChannel.setAutoRead(endpoint, true)
          && EndpointChannel.of(endpoint).config().isAutoRead();
      toggled.complete(new boolean[] {paused, resumed});
    });
    int port = server.listen(0).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
    try (RawMqttClient raw = new RawMqttClient(port)) {
      raw.connected("car-pause");
      assertThat(toggled.get(10, TimeUnit.SECONDS)).containsExactly(true, true);
    }
  }
}
