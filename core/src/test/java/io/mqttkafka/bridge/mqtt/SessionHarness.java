package io.mqttkafka.bridge.mqtt;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.config.KafkaSettings;
import io.mqttkafka.bridge.config.ConfigLoader;
import io.mqttkafka.bridge.kafka.KafkaSender;
import io.mqttkafka.bridge.kafka.PresenceWriter;
import io.mqttkafka.bridge.kafka.ReceiptWriter;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.metrics.MetricTag;
import io.mqttkafka.bridge.records.PresenceRecord;
import io.mqttkafka.bridge.testsupport.FakeMqttEndpoint;
import io.mqttkafka.bridge.testsupport.HeldProducer;
import io.mqttkafka.bridge.uplink.TopicMapper;
import io.mqttkafka.bridge.uplink.UplinkPublisher;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.mqtt.messages.MqttPublishMessage;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * One {@link DeviceSession} on a {@link FakeMqttEndpoint}, writing through the real
 * {@code UplinkPublisher}, {@code KafkaSender} and writers into a {@link HeldProducer}: no broker, no
 * socket. Everything the session does runs on one event-loop context, as in the bridge; the test
 * thread hands it the client's packets with {@link #onLoop} and completes Kafka's records with
 * {@link #complete}, each followed by {@link #settle}.
 */
final class SessionHarness {

  /** Where the default uplink rule ({@code ^UL/(.+)$}) writes. */
  static final String UPLINK_TOPIC = "cs.uplink";

  final FakeMqttEndpoint endpoint;
  final HeldProducer producer = new HeldProducer();
  final DeviceSession session;
  private final Context loop;
  private final BridgeConfig config;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  /** @param env configuration on top of the defaults, as environment variables ({@link ConfigLoader#envName}) */
  SessionHarness(Vertx vertx, FakeMqttEndpoint endpoint, Map<String, String> env) throws Exception {
    this.endpoint = endpoint;
    this.config = ConfigLoader.load(null, env);
    this.loop = vertx.getOrCreateContext();
    BridgeMetrics metrics = new BridgeMetrics(registry);
    KafkaSender sender = new KafkaSender(vertx, producer, 1_000_000, 60_000);
    TopicMapper mapper = new TopicMapper(config.mappings().uplink());
    KafkaSettings.Topics topics = config.kafka().topics();
    SessionServices services = new SessionServices("i-test",
        new LiveSettings(config.mqtt(), config.mappings().downlink(), null),
        new UplinkPublisher(mapper, sender, config.mappings().unmatched(), topics.deadLetter(), metrics),
        new PresenceWriter(sender, topics.subscriptions()),
        new ReceiptWriter(sender, topics.receipts(), "i-test", metrics), metrics, new SessionRegistry("i-test"),
        config.sessions(), new SessionResume(vertx, sender, topics.sessions()), null);
    ReadPauses pauses = new ReadPauses(vertx, new ConnectionLimits(config.mqtt().limits()), sender::drained,
        () -> config.mqtt().limits().maxReadPause().toNanos());
    CompletableFuture<DeviceSession> started = new CompletableFuture<>();
    loop.runOnContext(v -> {
      DeviceSession s = new DeviceSession(endpoint, vertx, services, pauses,
          new SessionStart(null, 0, config.mqtt().receiveMaximum(), 0, null));
      s.start();
      services.registry().register(s);
      started.complete(s);
    });
    this.session = started.get(5, TimeUnit.SECONDS);
  }

  SessionHarness(Vertx vertx, FakeMqttEndpoint endpoint) throws Exception {
    this(vertx, endpoint, Map.of());
  }

  /** Runs {@code action} on the session's event loop, then {@link #settle}s. */
  void onLoop(Runnable action) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    loop.runOnContext(v -> {
      try {
        action.run();
        done.complete(null);
      } catch (Throwable t) {
        done.completeExceptionally(t);
      }
    });
    try {
      done.get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("the action on the event loop failed", e);
    }
    settle();
  }

  /**
   * Lets the event loop run what is queued: Kafka's completions, a close handler, the tasks those
   * queue in turn (each hop queues at most one more; three rounds cover every chain here).
   */
  void settle() {
    for (int round = 0; round < 3; round++) {
      CompletableFuture<Void> done = new CompletableFuture<>();
      loop.runOnContext(v -> done.complete(null));
      try {
        done.get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError("the event loop did not catch up", e);
      }
    }
  }

  /** The client sends a PUBLISH (no properties). */
  void publish(int packetId, int qos, String topic, String payload) {
    publish(packetId, qos, topic, payload, new MqttProperties());
  }

  void publish(int packetId, int qos, String topic, String payload, MqttProperties properties) {
    MqttPublishMessage message = MqttPublishMessage.create(packetId, MqttQoS.valueOf(qos), false, false, topic,
        Buffer.buffer(payload), properties);
    onLoop(() -> endpoint.receivePublish(message));
  }

  /** The uplink records sent to Kafka so far (acknowledged or not), in order. */
  List<ProducerRecord<String, Buffer>> uplink() {
    return producer.sent(UPLINK_TOPIC);
  }

  /** The payloads of {@link #uplink()}. */
  List<String> uplinkPayloads() {
    return uplink().stream().map(r -> r.value().toString()).toList();
  }

  /** The presence records sent so far, in order. */
  List<PresenceRecord> presence() {
    return producer.sent(config.kafka().topics().subscriptions()).stream()
        .map(r -> PresenceRecord.fromJson(r.value().getBytes())).toList();
  }

  /** The presence records still waiting for Kafka. */
  List<ProducerRecord<String, Buffer>> waitingPresence() {
    return producer.waiting(config.kafka().topics().subscriptions());
  }

  /** Kafka has the record; the loop then catches up. */
  void complete(ProducerRecord<String, Buffer> record) {
    producer.complete(record);
    settle();
  }

  /** Kafka refused the record; the loop then catches up. */
  void fail(ProducerRecord<String, Buffer> record, Exception failure) {
    producer.fail(record, failure);
    settle();
  }

  /** Kafka has every presence record sent so far (the one written on connect, say). */
  void completePresence() {
    producer.completeAll(config.kafka().topics().subscriptions());
    settle();
  }

  /** The count of {@code mqtt.bridge.<name>} with {@code tag=value}. */
  double count(String name, String tag, MetricTag value) {
    Counter counter = registry.find("mqtt.bridge." + name).tag(tag, value.metricTag()).counter();
    return counter == null ? 0 : counter.count();
  }
}
