package io.mqttkafka.bridge.testsupport;

import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.Bridge;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.common.utils.Utils;

/**
 * Several clustered bridges in this JVM forming one deployment: shared internal topics and router
 * group, a Hazelcast cluster over 127.0.0.1 with its own name.
 */
public final class TestCluster implements AutoCloseable {

  public static final int PARTITIONS = 3;

  private final Map<String, String> deployment = TestBridge.isolated();
  private final String clusterName = "test-" + UUID.randomUUID();
  private final String yaml;
  private final List<Integer> ports = new ArrayList<>();
  private final List<Bridge> bridges = new ArrayList<>();

  public TestCluster(String yaml, int size) {
    this.yaml = yaml;
    for (int i = 0; i < size; i++) {
      ports.add(freePort());
    }
  }

  public Map<String, String> deployment() {
    return deployment;
  }

  /** Starts member {@code i} (0-based) and returns it. */
  public Bridge start(int i) throws Exception {
    StringBuilder members = new StringBuilder();
    for (int port : ports) {
      members.append(members.isEmpty() ? "" : ", ").append("\"127.0.0.1:").append(port).append('"');
    }
    String cluster = """
        cluster:
          enabled: true
          name: %s
          host: 127.0.0.1
          port: %d
          members: [%s]
        """.formatted(clusterName, ports.get(i), members);
    Bridge bridge = TestBridge.start(yaml + "\n" + cluster, deployment);
    while (bridges.size() <= i) {
      bridges.add(null);
    }
    bridges.set(i, bridge);
    return bridge;
  }

  public Bridge get(int i) {
    return bridges.get(i);
  }

  /** Waits until the running members own all partitions between them and have rebuilt them. */
  public void awaitRouted() {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
      Set<Integer> owned = new HashSet<>();
      int total = 0;
      for (Bridge bridge : bridges) {
        if (bridge != null) {
          owned.addAll(bridge.routerPartitions());
          total += bridge.routerPartitions().size();
          if (!bridge.ready()) {
            return false;
          }
        }
      }
      return owned.size() == PARTITIONS && total == PARTITIONS;
    });
  }

  public void stop(int i) {
    Bridge bridge = bridges.get(i);
    if (bridge != null) {
      bridge.stop();
      bridges.set(i, null);
    }
  }

  /** The partition Kafka's default partitioner gives a client id's records. */
  public static int partitionOf(String clientId) {
    return Utils.toPositive(Utils.murmur2(clientId.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
  }

  /** A client id with the given prefix whose router partition is owned by member {@code owner}. */
  public String clientIdRoutedBy(int owner, String prefix) {
    Set<Integer> owned = bridges.get(owner).routerPartitions();
    for (int n = 0; ; n++) {
      String candidate = prefix + "-" + n;
      if (owned.contains(partitionOf(candidate))) {
        return candidate;
      }
    }
  }

  @Override
  public void close() {
    for (int i = 0; i < bridges.size(); i++) {
      stop(i);
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
