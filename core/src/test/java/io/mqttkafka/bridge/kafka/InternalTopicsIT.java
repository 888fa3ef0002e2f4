package io.mqttkafka.bridge.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;

/** The bridge's own topics: created when missing, and the co-partitioning contract checked. */
class InternalTopicsIT {

  @Test
  void missingInternalTopicsAreCreatedWithTheSubscriptionsAndSessionsTopicsCompacted() throws Exception {
    Map<String, String> deployment = TestBridge.isolated();
    deployment.put("MQTT_BRIDGE_KAFKA_INTERNAL_TOPICS_PARTITIONS", "4");
    Bridge bridge = TestBridge.start("", deployment);
    bridge.stop();
    String subscriptions = deployment.get("MQTT_BRIDGE_KAFKA_TOPICS_SUBSCRIPTIONS");
    String sessions = deployment.get("MQTT_BRIDGE_KAFKA_TOPICS_SESSIONS");
    var described = TestKafka.admin().describeTopics(List.of(subscriptions, TestBridge.downlinkTopic(deployment),
        TestBridge.receiptsTopic(deployment), deployment.get("MQTT_BRIDGE_KAFKA_TOPICS_DEAD_LETTER"), sessions))
        .allTopicNames().get();
    assertThat(described).hasSize(5);
    assertThat(described.values()).allSatisfy(d -> assertThat(d.partitions()).hasSize(4));
    for (String compacted : List.of(subscriptions, sessions)) {
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, compacted);
      Config config = TestKafka.admin().describeConfigs(List.of(resource)).all().get().get(resource);
      assertThat(config.get(TopicConfig.CLEANUP_POLICY_CONFIG).value()).as(compacted).isEqualTo("compact");
    }
  }

  @Test
  void differentPartitionCountsOfSubscriptionsAndDownlinkStopStartUpNamingBoth() {
    Map<String, String> deployment = TestBridge.isolated();
    TestKafka.createTopic(deployment.get("MQTT_BRIDGE_KAFKA_TOPICS_SUBSCRIPTIONS"), 2);
    TestKafka.createTopic(TestBridge.downlinkTopic(deployment), 5);
    assertThatThrownBy(() -> TestBridge.start("", deployment))
        .hasMessageContaining(deployment.get("MQTT_BRIDGE_KAFKA_TOPICS_SUBSCRIPTIONS") + " (2 partitions)")
        .hasMessageContaining(TestBridge.downlinkTopic(deployment) + " (5 partitions)");
  }
}
