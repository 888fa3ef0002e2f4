package io.mqttkafka.bridge.bench;

import io.mqttkafka.bridge.records.HeaderNames;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * The records the bridge writes for {@code bench uplink}, made by a plain producer: for device
 * {@code i} of {@code devices}, the key is its client id {@code <prefix><i>}, the headers are the
 * uplink contract's ({@code mqtt.topic} {@code UL/<i>/pos}, {@code mqtt.qos}, {@code mqtt.client.id},
 * in the bridge's order) and the value is {@code size} bytes. Record {@code n} is device
 * {@code n % devices}'s, as the bench's round robin over its connections sends them. The bytes of
 * keys and headers are made once per device; each record gets its own header list, as the
 * bridge's do.
 */
final class UplinkLikeRecords {

  private final String topic;
  private final byte[] value;
  private final byte[][] keys;
  private final Header[][] headers;

  /**
   * @param topicPattern the MQTT topic of device {i}, as {@code bench uplink --topic-pattern}
   * @param clientIdPrefix as {@code bench uplink --client-id-prefix}
   */
  UplinkLikeRecords(String topic, int devices, int qos, int size, String topicPattern, String clientIdPrefix) {
    this.topic = topic;
    this.value = new byte[size];
    this.keys = new byte[devices][];
    this.headers = new Header[devices][];
    byte[] qosBytes = bytes(Integer.toString(qos));
    for (int i = 0; i < devices; i++) {
      byte[] clientId = bytes(clientIdPrefix + i);
      keys[i] = clientId;
      headers[i] = new Header[] {
          new RecordHeader(HeaderNames.TOPIC, bytes(topicPattern.replace("{i}", Integer.toString(i)))),
          new RecordHeader(HeaderNames.QOS, qosBytes),
          new RecordHeader(HeaderNames.CLIENT_ID, clientId)};
    }
  }

  /** Record {@code n}: device {@code n % devices}'s. */
  ProducerRecord<byte[], byte[]> record(long n) {
    int device = (int) (n % keys.length);
    return new ProducerRecord<>(topic, null, keys[device], value, java.util.Arrays.asList(headers[device]));
  }

  /** Bytes of key, value and header names and values of device 0's record: what Kafka stores per record. */
  int recordBytes() {
    int size = keys[0].length + value.length;
    for (Header h : headers[0]) {
      size += h.key().length() + h.value().length;
    }
    return size;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
