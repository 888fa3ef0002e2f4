package io.mqttkafka.bridge.process;

import io.mqttkafka.bridge.testkit.KafkaProcess;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testsupport.TestCluster;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;

/**
 * One deployment of bridge processes ({@link BridgeProcess}): shared internal topics and router
 * group, one Hazelcast cluster on 127.0.0.1 (when more than one member), and fixed MQTT, HTTP and
 * cluster ports per member, so that a restarted member comes back on the same addresses, as a pod
 * behind its service would.
 */
public final class ProcessCluster implements AutoCloseable {

  private final String name;
  private final String yaml;
  private final String bootstrap;
  private final Map<String, String> deployment = TestBridge.isolated();
  private final String clusterName = "fault-" + UUID.randomUUID();
  private final int size;
  private final List<Integer> clusterPorts = new ArrayList<>();
  private final List<Integer> mqttPorts = new ArrayList<>();
  private final List<Integer> httpPorts = new ArrayList<>();
  private final BridgeProcess[] members;
  private final int[] starts;
  private String heap = "256m";
  private IntFunction<BridgeProcess.Placement> placement = i -> BridgeProcess.Placement.LOOPBACK;
  private String jvmOptions = "";

  /**
   * @param name      prefix of the bridge ids and log files
   * @param yaml      configuration shared by the members (the cluster section is added)
   * @param bootstrap the Kafka they use
   */
  public ProcessCluster(String name, String yaml, String bootstrap, int size) {
    this.name = name;
    this.yaml = yaml;
    this.bootstrap = bootstrap;
    this.size = size;
    this.members = new BridgeProcess[size];
    this.starts = new int[size];
    for (int i = 0; i < size; i++) {
      clusterPorts.add(freePort());
      mqttPorts.add(freePort());
      httpPorts.add(freePort());
    }
  }

  public ProcessCluster heap(String xmx) {
    this.heap = xmx;
    return this;
  }

  /** Where member {@code i} runs (loopback unless set); set before the members start. */
  public ProcessCluster placement(IntFunction<BridgeProcess.Placement> where) {
    this.placement = where;
    return this;
  }

  /** JVM options every member gets (through JAVA_TOOL_OPTIONS), such as Hazelcast's timers as system properties. */
  public ProcessCluster jvmOptions(String options) {
    this.jvmOptions = options;
    return this;
  }

  /** The address of the member listening on MQTT port {@code mqttPort}: what a device connects to. */
  public String hostOf(int mqttPort) {
    return placement.apply(mqttPorts.indexOf(mqttPort)).host();
  }

  /** Environment entries every member gets (internal topic names, router group); may be added to before start. */
  public Map<String, String> deployment() {
    return deployment;
  }

  public String receiptsTopic() {
    return TestBridge.receiptsTopic(deployment);
  }

  public String downlinkTopic() {
    return TestBridge.downlinkTopic(deployment);
  }

  /** The MQTT ports of all members, as a load balancer would list them. */
  public List<Integer> mqttPorts() {
    return List.copyOf(mqttPorts);
  }

  public BridgeProcess get(int i) {
    return members[i];
  }

  /** Starts member 0, then the others together (they join the first), and waits until all are ready. */
  public void startAll() {
    start(0);
    List<CompletableFuture<BridgeProcess>> rest = new ArrayList<>();
    for (int i = 1; i < size; i++) {
      int member = i;
      rest.add(CompletableFuture.supplyAsync(() -> start(member)));
    }
    rest.forEach(CompletableFuture::join);
    awaitRouted();
  }

  /** Starts member {@code i} (again); returns once it listens. */
  public BridgeProcess start(int i) {
    Map<String, String> env = new HashMap<>(deployment);
    env.put("MQTT_BRIDGE_KAFKA_BOOTSTRAP_SERVERS", bootstrap);
    env.put("MQTT_BRIDGE_MQTT_PORT", Integer.toString(mqttPorts.get(i)));
    env.put("MQTT_BRIDGE_HTTP_PORT", Integer.toString(httpPorts.get(i)));
    String id = name + "-" + (char) ('a' + i);
    env.put("MQTT_BRIDGE_BRIDGE_ID", id + "-" + (++starts[i]));
    if (!jvmOptions.isEmpty()) {
      env.put("JAVA_TOOL_OPTIONS", jvmOptions);
    }
    BridgeProcess.Placement where = placement.apply(i);
    String config = yaml;
    if (size > 1) {
      StringBuilder list = new StringBuilder();
      for (int m = 0; m < size; m++) {
        list.append(list.isEmpty() ? "" : ", ").append('"').append(placement.apply(m).host()).append(':')
            .append(clusterPorts.get(m)).append('"');
      }
      config += """

          cluster:
            enabled: true
            name: %s
            host: %s
            port: %d
            members: [%s]
          """.formatted(clusterName, where.host(), clusterPorts.get(i), list);
    }
    members[i] = BridgeProcess.start(id + "-" + starts[i], config, env, heap, where);
    return members[i];
  }

  /** SIGKILL of member {@code i}. */
  public void kill(int i) {
    members[i].kill();
  }

  /** SIGTERM of member {@code i} (the drain); returns its exit status. */
  public int stop(int i) {
    return members[i].stop();
  }

  /**
   * Waits until the live members are ready (router state rebuilt, Kafka reachable) and own all
   * router partitions between them.
   */
  public void awaitRouted() {
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).until(() -> {
      double partitions = 0;
      for (BridgeProcess member : members) {
        if (member != null && member.alive()) {
          if (!member.ready()) {
            return false;
          }
          partitions += member.metric("mqtt_bridge_router_partitions", "");
        }
      }
      return partitions == TestCluster.PARTITIONS;
    });
  }

  /** The downlink partitions the router group assigns to {@code member} now, as the group coordinator says. */
  public Set<Integer> routerPartitions(BridgeProcess member) throws Exception {
    String group = deployment.get("MQTT_BRIDGE_KAFKA_CONSUMER_GROUP_ID");
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group)).all()
          .get(10, TimeUnit.SECONDS).get(group);
      Set<Integer> owned = new HashSet<>();
      for (MemberDescription m : description.members()) {
        if (m.clientId().endsWith(member.id())) {
          m.assignment().topicPartitions().stream().filter(tp -> tp.topic().equals(downlinkTopic()))
              .forEach(tp -> owned.add(tp.partition()));
        }
      }
      return owned;
    }
  }

  @Override
  public void close() {
    for (BridgeProcess member : members) {
      if (member != null) {
        member.close();
      }
    }
  }

  static int freePort() {
    return KafkaProcess.freePort();
  }
}
