package io.mqttkafka.bridge.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.junit.jupiter.api.Test;

class RouterVerticleTest {

  @Test
  void theOffsetReaderConnectsLikeTheRouterButJoinsNoGroup() {
    Map<String, Object> router = RouterVerticle.consumerProperties(Map.of(
        "security.protocol", "SASL_SSL", "group.instance.id", "router-1", "fetch.max.wait.ms", "100"),
        "kafka:9092", "i1", null);

    Map<String, Object> reader = RouterVerticle.offsetReaderProperties(router);

    assertThat(reader).containsEntry(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "kafka:9092")
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false")
        .doesNotContainKeys(ConsumerConfig.GROUP_ID_CONFIG, ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    assertThat(reader.get(ConsumerConfig.CLIENT_ID_CONFIG)).isEqualTo("mqtt-kafka-bridge-router-i1-offsets")
        .isNotEqualTo(router.get(ConsumerConfig.CLIENT_ID_CONFIG));
    assertThat(router).containsKey(ConsumerConfig.GROUP_ID_CONFIG);
  }

  @Test
  void inAClusterTheRouterIsAStaticMemberUnderItsClusterIdSoThatOthersCanRemoveIt() {
    Map<String, Object> alone = RouterVerticle.consumerProperties(Map.of(), "kafka:9092", "i1", null);
    Map<String, Object> clustered = RouterVerticle.consumerProperties(Map.of("group.instance.id", "pod-1"),
        "kafka:9092", "i1", "7c5d0e9a-member");

    assertThat(alone).doesNotContainKey(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    assertThat(clustered).containsEntry(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "7c5d0e9a-member");
    assertThat(clustered).containsEntry(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1000");
  }
}
