package io.mqttkafka.bridge.testsupport;

import io.mqttkafka.bridge.testkit.TestKafka;
import io.mqttkafka.bridge.records.Receipt;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** What a back end does: write downlink records, read receipts. */
public final class Downlink {

  private Downlink() {
  }

  /** Writes a downlink record; headers given as name/value pairs (null values are left out). */
  public static void send(String topic, String clientId, byte[] payload, String... headers) throws Exception {
    RecordHeaders recordHeaders = new RecordHeaders();
    for (int i = 0; i < headers.length; i += 2) {
      if (headers[i + 1] != null) {
        recordHeaders.add(headers[i], headers[i + 1].getBytes(StandardCharsets.UTF_8));
      }
    }
    TestKafka.producer().send(new ProducerRecord<>(topic, null, clientId, payload, recordHeaders)).get();
  }

  /** The receipts for the given correlation id, waiting until {@code count} are there. */
  public static List<Receipt> receipts(String receiptsTopic, String correlationId, int count, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Receipt> found = List.of();
    while (System.nanoTime() < deadline) {
      found = TestKafka.consume(receiptsTopic, Integer.MAX_VALUE, Duration.ofMillis(500)).stream()
          .filter(r -> correlationId.equals(header(r.headers().lastHeader("correlation.id"))))
          .map(r -> Receipt.fromJson(r.value())).toList();
      if (found.size() >= count) {
        return found;
      }
    }
    return found;
  }

  private static String header(Header header) {
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }
}
