package io.mqttkafka.bridge.kafka;

import io.mqttkafka.bridge.config.ConfigException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the bridge's one Kafka producer, the only writer to Kafka: creates it on start, flushes and
 * closes it on stop (so that nothing handed to it is lost on shutdown). Records are sent through the
 * {@link KafkaSender} it exposes, straight from the caller's event loop.
 */
public final class ProducerVerticle extends VerticleBase {

  /**
   * {@code linger.ms} unless configured: Kafka's own default. It is part of every QoS 1 or 2 device's
   * PUBACK time, and 1 ms cut the PUBACK p99 at half the QoS 1 maximum from 27 to 17.5 ms in paired
   * runs, but not in the full benchmark runs (25.7 and 27.2 ms), where the extra requests (receipts
   * too) cost the broker a tenth of a core and the downlink its latency (BENCHMARKS.md, section 2).
   * A deployment that values PUBACK time over broker CPU sets {@code kafka.producer.linger.ms: 1}.
   */
  public static final int DEFAULT_LINGER_MS = 5;
  public static final int DEFAULT_BATCH_SIZE = 65_536;

  private static final Logger LOG = LoggerFactory.getLogger(ProducerVerticle.class);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
  /** Kafka's own default for buffer.memory, 32 MiB. */
  private static final String DEFAULT_BUFFER_MEMORY = String.valueOf(32L * 1024 * 1024);
  /** Kafka's own default for delivery.timeout.ms, 2 minutes. */
  private static final String DEFAULT_DELIVERY_TIMEOUT_MS = "120000";

  private final Map<String, Object> properties;
  private final Iterable<String> knownTopics;
  private Producer<String, Buffer> producer;
  private KafkaSender sender;
  private KafkaClientMetrics producerMetrics;

  /**
   * @param properties  from {@link #producerProperties}
   * @param knownTopics topics whose metadata is fetched at start, so their first records are not delayed
   */
  public ProducerVerticle(Map<String, Object> properties, Iterable<String> knownTopics) {
    this.properties = properties;
    this.knownTopics = knownTopics;
  }

  /**
   * The producer settings: the bridge's defaults, then {@code kafka.producer.*} as given, then the
   * settings that the delivery guarantees depend on, which may not be weakened.
   *
   * @param instanceId {@code bridge.id}, which names the producer's client id
   * @param configured {@code kafka.producer} (which holds {@code kafka.common})
   */
  public static Map<String, Object> producerProperties(String instanceId, Map<String, String> configured,
                                                       String bootstrapServers) throws ConfigException {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "mqtt-kafka-bridge-" + instanceId);
    props.put(ProducerConfig.LINGER_MS_CONFIG, String.valueOf(DEFAULT_LINGER_MS));
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(DEFAULT_BATCH_SIZE));
    props.putAll(configured);
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    requireUnchanged(props, ProducerConfig.ACKS_CONFIG, "all", "-1",
        "QoS 1 and 2 are acknowledged only after every in-sync replica has the record");
    requireUnchanged(props, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true", "true",
        "the idempotent producer keeps per-client order and writes no duplicates on retry");
    requireUnchanged(props, ProducerConfig.MAX_BLOCK_MS_CONFIG, "0", "0",
        "the bridge calls the producer from its event loops, which must never block; see KafkaSender");
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "0");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, BufferSerializer.class.getName());
    return props;
  }

  private static void requireUnchanged(Map<String, Object> props, String key, String value, String alias,
                                       String why) throws ConfigException {
    Object given = props.get(key);
    if (given != null && !given.toString().equalsIgnoreCase(value) && !given.toString().equalsIgnoreCase(alias)) {
      throw new ConfigException("kafka.producer." + key, "must be " + value + " (" + why + "), was \"" + given + "\"");
    }
  }

  /** Publishes the Kafka producer's own metrics (buffer use, batch sizes, errors) as kafka_producer_*. */
  public void bindMetrics(MeterRegistry registry) {
    producerMetrics = new KafkaClientMetrics(producer);
    producerMetrics.bindTo(registry);
  }

  /** Available once the verticle is deployed. */
  public KafkaSender sender() {
    return sender;
  }

  @Override
  public Future<?> start() {
    return vertx.executeBlocking(() -> {
      producer = new KafkaProducer<>(properties);
      long bufferMemory = Long.parseLong(
          properties.getOrDefault(ProducerConfig.BUFFER_MEMORY_CONFIG, DEFAULT_BUFFER_MEMORY).toString());
      long deliveryTimeout = Long.parseLong(
          properties.getOrDefault(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, DEFAULT_DELIVERY_TIMEOUT_MS).toString());
      sender = new KafkaSender(vertx, producer, bufferMemory / 2, deliveryTimeout);
      sender.warmUp(knownTopics);
      return null;
    });
  }

  @Override
  public Future<?> stop() {
    return vertx.executeBlocking(() -> {
      LOG.info("Flushing the Kafka producer");
      if (producerMetrics != null) {
        producerMetrics.close();
      }
      producer.flush();
      producer.close(CLOSE_TIMEOUT);
      return null;
    });
  }
}
