package io.mqttkafka.bridge.kafka;

import io.mqttkafka.bridge.records.DownlinkRef;
import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.util.LogThrottle;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Writes the outcome of each downlink record to {@code mqtt.receipts} (key client id, headers
 * {@code correlation.id}, {@code traceparent} and {@code tracestate} copied), so that back ends know what became of every command. Counts each
 * outcome. Thread-safe.
 */
public final class ReceiptWriter {

  private static final Logger LOG = LoggerFactory.getLogger(ReceiptWriter.class);

  private final KafkaSender sender;
  private final String topic;
  private final String instanceId;
  private final BridgeMetrics metrics;
  private final LogThrottle warnings = new LogThrottle(Duration.ofSeconds(10));

  public ReceiptWriter(KafkaSender sender, String topic, String instanceId, BridgeMetrics metrics) {
    this.sender = sender;
    this.topic = topic;
    this.instanceId = instanceId;
    this.metrics = metrics;
    metrics.declareDownlinkOutcomes(Receipt.Status.values());
  }

  /**
   * Writes a receipt for the downlink record; never throws. The future completes once Kafka has the
   * receipt (then it is counted), or fails (logged and counted here; the caller decides whether to
   * write it again).
   */
  public Future<Void> write(Receipt.Status status, DownlinkRef record, String detail) {
    Receipt receipt = new Receipt(status, record.clientId(), record.mqttTopic(), instanceId, record.partition(),
        record.offset(), record.correlationId(), detail, System.currentTimeMillis());
    RecordHeaders headers = new RecordHeaders();
    if (record.correlationId() != null) {
      headers.add(HeaderNames.CORRELATION_ID, record.correlationId().getBytes(StandardCharsets.UTF_8));
    }
    record.trace().addTo(headers);
    // One promise per receipt, completed by the sender's callback: no mapped futures.
    Promise<Void> written = Promise.promise();
    sender.sendControl(new ProducerRecord<>(topic, null, record.clientId(), BufferSerializer.wrap(receipt.toJson()),
        headers), (metadata, failure) -> {
          if (failure == null) {
            metrics.downlink(status);
            written.complete();
            return;
          }
          metrics.receiptWriteFailed();
          // While Kafka is away the router writes every pending receipt again each second: throttled.
          long suppressed = warnings.warn(System.nanoTime());
          LOG.atLevel(suppressed >= 0 ? Level.WARN : Level.DEBUG).log(
              "[client-id: {}] receipt {} for downlink {}/{} not written: {}{}", record.clientId(), status,
              record.partition(), record.offset(), failure.toString(), LogThrottle.since(suppressed));
          written.fail(failure);
        });
    return written.future();
  }
}
