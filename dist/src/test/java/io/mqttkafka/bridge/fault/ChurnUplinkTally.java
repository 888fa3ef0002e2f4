package io.mqttkafka.bridge.fault;

import io.mqttkafka.bridge.testkit.ChurnFleet;
import io.mqttkafka.bridge.testkit.KafkaTopics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The uplink of a churning fleet, record by record: every message a device got a PUBACK for must be
 * in Kafka ({@code lost} counts those that are not), once ({@code duplicated}: found more than
 * once; the devices never resend), and in the order the device sent it ({@code outOfOrder}: an
 * acknowledged message found after one the device sent later). {@code unknown}: a record of the
 * topic that no device sent.
 */
record ChurnUplinkTally(long sent, long acknowledged, long found, long lost, long duplicated, long outOfOrder,
                        long unknown) {

  static ChurnUplinkTally of(List<ChurnFleet.Result> results, String bootstrap, String topic, Duration timeout) {
    Map<String, ChurnFleet.Result> byClient = new HashMap<>();
    Map<String, int[]> seen = new HashMap<>();
    Map<String, Integer> lastAcked = new HashMap<>();
    long sent = 0;
    long acknowledged = 0;
    for (ChurnFleet.Result r : results) {
      byClient.put(r.clientId(), r);
      seen.put(r.clientId(), new int[r.sent()]);
      sent += r.sent();
      acknowledged += r.acked().cardinality();
    }
    long[] counts = new long[3]; // found, out of order, unknown
    // Records of one key are in one partition, read in offset order: the order Kafka has them in.
    KafkaTopics.forEach(bootstrap, topic, timeout, record -> {
      String value = new String(record.value(), StandardCharsets.UTF_8);
      int colon = value.lastIndexOf(':');
      ChurnFleet.Result r = byClient.get(record.key());
      int seq = colon < 0 ? -1 : Integer.parseInt(value.substring(colon + 1));
      if (r == null || seq < 0 || seq >= r.sent() || !value.substring(0, colon).equals(record.key())) {
        counts[2]++;
        return;
      }
      counts[0]++;
      seen.get(r.clientId())[seq]++;
      if (r.acked().get(seq)) {
        Integer previous = lastAcked.put(r.clientId(), seq);
        if (previous != null && previous > seq) {
          counts[1]++;
        }
      }
    });
    long lost = 0;
    long duplicated = 0;
    for (ChurnFleet.Result r : results) {
      int[] times = seen.get(r.clientId());
      for (int seq = 0; seq < times.length; seq++) {
        lost += r.acked().get(seq) && times[seq] == 0 ? 1 : 0;
        duplicated += times[seq] > 1 ? times[seq] - 1 : 0;
      }
    }
    return new ChurnUplinkTally(sent, acknowledged, counts[0], lost, duplicated, counts[1], counts[2]);
  }

  @Override
  public String toString() {
    return "uplink: %d sent, %d acknowledged, %d found in Kafka, %d lost, %d duplicated, %d out of order, %d unknown"
        .formatted(sent, acknowledged, found, lost, duplicated, outOfOrder, unknown);
  }
}
