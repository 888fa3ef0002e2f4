package io.mqttkafka.bridge.fault;

import io.mqttkafka.bridge.testkit.Metrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Samples of what must stay flat while a fleet churns: from the bridge's /metrics the heap in use,
 * connections, sessions, offline persistent sessions, parked records and the number of series
 * exposed; from Kafka's admin API the router's lag on the downlink topic (end offsets minus the
 * router group's committed offsets).
 */
final class ChurnGauges implements AutoCloseable {

  /** One sample; NaN where the bridge or Kafka did not answer. */
  record Sample(long at, double heap, double connections, double sessions, double offlineSessions,
                double parked, double series, double lag) {
  }

  private final int httpPort;
  private final String downlinkTopic;
  private final String group;
  private final Admin admin;
  private final List<Sample> samples = new ArrayList<>();
  private Set<String> firstSeries;
  private Set<String> lastSeries = Set.of();

  ChurnGauges(int httpPort, String bootstrap, String downlinkTopic, String group) {
    this.httpPort = httpPort;
    this.downlinkTopic = downlinkTopic;
    this.group = group;
    this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
  }

  Sample sample() {
    String scrape;
    try {
      scrape = Metrics.scrape(httpPort);
    } catch (Exception e) {
      scrape = null;
    }
    if (scrape != null) {
      lastSeries = scrape.lines().filter(l -> !l.isBlank() && !l.startsWith("#"))
          .map(l -> l.substring(0, l.lastIndexOf(' '))).collect(Collectors.toCollection(TreeSet::new));
      if (firstSeries == null) {
        firstSeries = lastSeries;
      }
    }
    Sample s = new Sample(System.currentTimeMillis(), value(scrape, "jvm_memory_used_bytes", "area=\"heap\""),
        value(scrape, "mqtt_bridge_connections", ""), value(scrape, "mqtt_bridge_sessions", ""),
        value(scrape, "mqtt_bridge_router_sessions_offline", ""),
        value(scrape, "mqtt_bridge_router_parked_messages", ""), series(scrape), lag());
    samples.add(s);
    return s;
  }

  /** The series of the last sample that the first did not have. */
  Set<String> newSeries() {
    Set<String> added = new TreeSet<>(lastSeries);
    if (firstSeries != null) {
      added.removeAll(firstSeries);
    }
    return added;
  }

  List<Sample> samples() {
    return samples;
  }

  private static double value(String scrape, String name, String labels) {
    return scrape == null ? Double.NaN : Metrics.value(scrape, name, labels);
  }

  /** Series exposed: every sample line, comments aside. */
  private static double series(String scrape) {
    return scrape == null ? Double.NaN
        : scrape.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).count();
  }

  /** Records of the downlink topic the router group has not committed yet. */
  private double lag() {
    try {
      Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
          .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
      List<TopicPartition> partitions = admin.describeTopics(List.of(downlinkTopic)).allTopicNames()
          .get(10, TimeUnit.SECONDS).get(downlinkTopic).partitions().stream()
          .map(p -> new TopicPartition(downlinkTopic, p.partition())).toList();
      Map<TopicPartition, ListOffsetsResultInfo> end = admin.listOffsets(partitions.stream()
          .collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest()))).all().get(10, TimeUnit.SECONDS);
      long lag = 0;
      for (TopicPartition tp : partitions) {
        OffsetAndMetadata c = committed.get(tp);
        lag += end.get(tp).offset() - (c == null ? 0 : c.offset());
      }
      return lag;
    } catch (Exception e) {
      return Double.NaN;
    }
  }

  /** The lowest value in a part of the run (heap: the lowest approximates the live set after collection). */
  static double min(List<Sample> part, ToDoubleFunction<Sample> gauge) {
    return part.stream().mapToDouble(gauge).filter(v -> !Double.isNaN(v)).min().orElse(Double.NaN);
  }

  static double max(List<Sample> part, ToDoubleFunction<Sample> gauge) {
    return part.stream().mapToDouble(gauge).filter(v -> !Double.isNaN(v)).max().orElse(Double.NaN);
  }

  static double mean(List<Sample> part, ToDoubleFunction<Sample> gauge) {
    return part.stream().mapToDouble(gauge).filter(v -> !Double.isNaN(v)).average().orElse(Double.NaN);
  }

  @Override
  public void close() {
    admin.close();
  }
}
