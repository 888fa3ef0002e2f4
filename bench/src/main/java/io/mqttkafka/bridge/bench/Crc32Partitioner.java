package io.mqttkafka.bridge.bench;

import java.util.Map;
import java.util.zip.CRC32;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.common.Cluster;

/**
 * librdkafka's default partitioner for keyed records ({@code consistent_random}: CRC32 of the key),
 * as kcat, confluent-kafka (Python, .NET, Go) and the C/C++ clients use it: {@code bench downlink
 * --partitioner crc32} writes the records a back end in those languages would.
 */
public final class Crc32Partitioner implements Partitioner {

  @Override
  public int partition(String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes, Cluster cluster) {
    CRC32 crc = new CRC32();
    crc.update(keyBytes);
    return (int) (crc.getValue() % cluster.partitionsForTopic(topic).size());
  }

  @Override
  public void configure(Map<String, ?> configs) {
  }

  @Override
  public void close() {
  }
}
