package io.mqttkafka.bridge.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.mqttkafka.bridge.config.ClusterSettings;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Hazelcast and Vert.x settings a member gets; ClusterIT checks that they form a working cluster. */
class ClusterManagersTest {

  private static final ClusterSettings TCP =
      new ClusterSettings(true, "fleet-a", "10.0.0.5", 5801, List.of("10.0.0.6:5801", "10.0.0.7"));

  @Test
  void tcpIpJoinUsesOnlyTheListedMembersOnTheConfiguredAddress() {
    Config config = ClusterManagers.hazelcastConfig(TCP);

    assertThat(config.getClusterName()).isEqualTo("fleet-a");
    NetworkConfig network = config.getNetworkConfig();
    assertThat(network.getPort()).isEqualTo(5801);
    assertThat(network.isPortAutoIncrement()).isTrue();
    assertThat(network.getPublicAddress()).isEqualTo("10.0.0.5");
    assertThat(network.getInterfaces().isEnabled()).isTrue();
    assertThat(network.getInterfaces().getInterfaces()).containsExactly("10.0.0.5");
    JoinConfig join = network.getJoin();
    assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getKubernetesConfig().isEnabled()).isFalse();
    assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
    assertThat(join.getTcpIpConfig().getMembers()).containsExactly("10.0.0.6:5801", "10.0.0.7");
  }

  @Test
  void withoutMembersTheMemberJoinsByTcpIpWithItsOwnHost() {
    ClusterSettings alone = new ClusterSettings(true, "fleet-a", "127.0.0.1", 5701, List.of());

    JoinConfig join = ClusterManagers.hazelcastConfig(alone).getNetworkConfig().getJoin();

    assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
    assertThat(join.getTcpIpConfig().getMembers()).containsExactly("127.0.0.1");
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
  }

  @Test
  void kubernetesDiscoveryReplacesTcpIpAndLooksForPeersOnTheClusterPort() {
    ClusterSettings k8s = new ClusterSettings(true, "fleet-a", "10.42.0.17", 5801, List.of("ignored"),
        new ClusterSettings.Kubernetes(true, "bridge-hz.iot.svc.cluster.local"));

    Config config = ClusterManagers.hazelcastConfig(k8s);

    JoinConfig join = config.getNetworkConfig().getJoin();
    assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
    assertThat(join.getKubernetesConfig().getProperties())
        .containsEntry("service-dns", "bridge-hz.iot.svc.cluster.local")
        .containsEntry("service-port", "5801");
    assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
    assertThat(config.getNetworkConfig().getPublicAddress()).isEqualTo("10.42.0.17");
  }

  @Test
  void hazelcastIsQuietStartsAtOnceAndLeavesTheShutdownOrderToTheBridge() {
    Config config = ClusterManagers.hazelcastConfig(TCP);

    assertThat(config.getProperty("hazelcast.wait.seconds.before.join")).isEqualTo("0");
    assertThat(config.getProperty("hazelcast.shutdownhook.enabled")).isEqualTo("false");
    assertThat(config.getProperty("hazelcast.logging.type")).isEqualTo("slf4j");
    assertThat(config.getProperty("hazelcast.phone.home.enabled")).isEqualTo("false");
    assertThat(config.getProperty("hazelcast.socket.bind.any")).isEqualTo("false");
  }

  @Test
  void vertxClusterMapSettingsAreKept() {
    Config config = ClusterManagers.hazelcastConfig(TCP);

    assertThat(config.getMultiMapConfigs()).containsKey("__vertx.subs");
    assertThat(config.getMapConfigs()).containsKeys("__vertx.haInfo", "__vertx.nodeInfo");
  }

  @Test
  void eachCallGivesItsOwnConfigSoTwoMembersCanShareAJvm() {
    Config first = ClusterManagers.hazelcastConfig(TCP);
    Config second = ClusterManagers.hazelcastConfig(
        new ClusterSettings(true, "fleet-b", "127.0.0.1", 5901, List.of()));

    assertThat(first.getClusterName()).isEqualTo("fleet-a");
    assertThat(first.getNetworkConfig().getPort()).isEqualTo(5801);
    assertThat(second.getNetworkConfig().getPort()).isEqualTo(5901);
  }

  @Test
  void eventBusBindsAndAdvertisesTheClusterHostAndOtherOptionsAreKept() {
    VertxOptions base = new VertxOptions().setEventLoopPoolSize(3)
        .setEventBusOptions(new EventBusOptions().setPort(17001).setConnectTimeout(1234));

    VertxOptions options = ClusterManagers.vertxOptions(TCP, base);

    assertThat(options.getEventBusOptions().getHost()).isEqualTo("10.0.0.5");
    assertThat(options.getEventBusOptions().getClusterPublicHost()).isEqualTo("10.0.0.5");
    assertThat(options.getEventBusOptions().getPort()).isEqualTo(17001);
    assertThat(options.getEventBusOptions().getConnectTimeout()).isEqualTo(1234);
    assertThat(options.getEventLoopPoolSize()).isEqualTo(3);
    assertThat(base.getEventBusOptions().getHost()).as("base not modified").isNull();
  }
}
