package io.mqttkafka.bridge.testkit;

import io.mqttkafka.bridge.devkafka.EmbeddedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * A Kafka cluster of several KRaft nodes, each a combined broker and controller ({@link EmbeddedKafka})
 * in its own JVM ({@link ChildProcess}): a leader or the active controller can really be SIGKILLed,
 * a node stopped and started again on the same ports and data. With three nodes every topic has
 * replication factor 3 and {@code min.insync.replicas} 2 (the internal topics too), so one node may
 * be away without a write being refused. {@link #main} is a node's JVM; the rest of the class controls
 * the nodes from the test.
 *
 * <p>Kafka's own timers are left at their defaults: a killed node is fenced, and its partitions get
 * new leaders, after {@code broker.session.timeout.ms} (9 s); a new active controller is elected
 * within about {@code controller.quorum.election.timeout.ms} (1 s) plus the fetch timeout (2 s).
 *
 * <p>Processes rather than brokers in the test JVM: only a process can be SIGKILLed, and a node in
 * the test JVM would not really go away (its threads and sockets would linger until the JVM ends).
 */
public final class ReplicatedKafka implements AutoCloseable {

  private static final String READY = "KAFKA-NODE READY ";
  private static final long START_TIMEOUT_MS = 180_000;
  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(15);

  private final Path dataDir;
  private final String host;
  private final List<String> launcher;
  private final String clusterId = Uuid.randomUuid().toString();
  /** Client port, then controller port, per node id (1..n). */
  private final Map<Integer, int[]> ports = new TreeMap<>();
  private final Map<Integer, ChildProcess> processes = new HashMap<>();

  private ReplicatedKafka(Path dataDir, int nodes, String host, List<String> launcher) {
    this.dataDir = dataDir;
    this.host = host;
    this.launcher = List.copyOf(launcher);
    for (int id = 1; id <= nodes; id++) {
      ports.put(id, new int[] {KafkaProcess.freePort(), KafkaProcess.freePort()});
    }
  }

  /**
   * {@code ReplicatedKafka DATA_DIR NODE_ID CLUSTER_ID HOST PORT CONTROLLER_PORT VOTERS NODES}: runs one
   * node until SIGTERM (a controlled shutdown) or SIGKILL.
   */
  public static void main(String[] args) {
    int nodes = Integer.parseInt(args[7]);
    String host = args[3];
    // Bound to every address of its network namespace when it is not on loopback, so that the
    // readiness check on 127.0.0.1 reaches it; advertised at host either way.
    String bind = host.startsWith("127.") ? host : "0.0.0.0";
    Map<String, String> p = new LinkedHashMap<>();
    p.put("node.id", args[1]);
    p.put("controller.quorum.voters", args[6]);
    p.put("listeners", "PLAINTEXT://" + bind + ":" + args[4] + ",CONTROLLER://" + bind + ":" + args[5]);
    p.put("advertised.listeners", "PLAINTEXT://" + host + ":" + args[4]);
    if (nodes > 1) {
      String factor = Integer.toString(Math.min(3, nodes));
      for (String topic : List.of("default", "offsets.topic", "transaction.state.log",
          "share.coordinator.state.topic")) {
        p.put(topic + ".replication.factor", factor);
      }
      p.put("min.insync.replicas", "2");
      p.put("transaction.state.log.min.isr", "2");
      p.put("share.coordinator.state.topic.min.isr", "2");
    }
    EmbeddedKafka kafka = EmbeddedKafka.start(Path.of(args[0]), Integer.parseInt(args[4]),
        Integer.parseInt(args[5]), p, args[2]);
    Runtime.getRuntime().addShutdownHook(new Thread(kafka::close, "kafka-stop"));
    System.out.println(READY + args[1]);
    System.out.flush();
  }

  /** Starts {@code nodes} nodes on 127.0.0.1 and returns once all serve clients. */
  public static ReplicatedKafka start(Path dataDir, int nodes) {
    return start(dataDir, nodes, "127.0.0.1", List.of());
  }

  /**
   * Starts {@code nodes} nodes at {@code host}, each JVM run by {@code launcher} (for instance a
   * {@link NetLab.Node#launcher()}), and returns once all serve clients.
   */
  public static ReplicatedKafka start(Path dataDir, int nodes, String host, List<String> launcher) {
    ReplicatedKafka kafka = new ReplicatedKafka(dataDir, nodes, host, launcher);
    try {
      List<Integer> ids = List.copyOf(kafka.ports.keySet());
      ids.forEach(kafka::launch);
      ids.forEach(kafka::awaitStarted);
    } catch (RuntimeException e) {
      kafka.close();
      throw e;
    }
    return kafka;
  }

  /** Every node's client address, comma-separated: what a client bootstraps from. */
  public String bootstrapServers() {
    return ports.values().stream().map(p -> host + ":" + p[0]).collect(Collectors.joining(","));
  }

  public List<Integer> nodeIds() {
    return List.copyOf(ports.keySet());
  }

  public boolean alive(int nodeId) {
    ChildProcess process = processes.get(nodeId);
    return process != null && process.alive();
  }

  /** SIGKILL of node {@code nodeId}: its data stays. */
  public void kill(int nodeId) {
    processes.get(nodeId).kill();
  }

  /** SIGTERM of node {@code nodeId}: a controlled shutdown, leaders moved first; its exit status. */
  public int stop(int nodeId) {
    return processes.get(nodeId).terminate(90);
  }

  /** Starts node {@code nodeId} again, on its ports and data; returns once it is registered. */
  public void restart(int nodeId) {
    launch(nodeId);
    awaitStarted(nodeId);
  }

  /** The node id of the active controller (the metadata quorum's leader). */
  public int activeController() {
    return call(admin -> admin.describeMetadataQuorum().quorumInfo().get(15, TimeUnit.SECONDS).leaderId());
  }

  /** The leader of each partition of {@code topic}; -1 for a partition without one. */
  public Map<Integer, Integer> leaders(String topic) {
    Map<Integer, Integer> leaders = new TreeMap<>();
    for (TopicPartitionInfo info : describe(topic).partitions()) {
      Node leader = info.leader();
      leaders.put(info.partition(), leader == null || leader.isEmpty() ? -1 : leader.id());
    }
    return leaders;
  }

  /** The end offset of each partition of {@code topic}: how many records each holds. */
  public Map<Integer, Long> endOffsets(String topic) {
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    leaders(topic).keySet().forEach(p -> latest.put(new TopicPartition(topic, p), OffsetSpec.latest()));
    Map<Integer, Long> ends = new TreeMap<>();
    call(admin -> admin.listOffsets(latest).all().get(15, TimeUnit.SECONDS))
        .forEach((tp, info) -> ends.put(tp.partition(), info.offset()));
    return ends;
  }

  /** Creates a topic with replication factor min(3, nodes) and waits until every partition has a leader. */
  public void createTopic(String name, int partitions) {
    short factor = (short) Math.min(3, ports.size());
    create(new NewTopic(name, partitions, factor));
  }

  /**
   * Creates a topic with the given replicas per partition (the first is the preferred leader) and
   * waits until every partition has a leader.
   */
  public void createTopic(String name, Map<Integer, List<Integer>> replicas) {
    create(new NewTopic(name, replicas));
  }

  /**
   * Waits until every partition of every topic has a leader and all its replicas in sync: after a
   * node came back, the cluster may lose another one.
   */
  public void awaitFullyReplicated(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String lagging = "";
    while (System.nanoTime() < deadline) {
      try {
        lagging = call(admin -> {
          var names = admin.listTopics(new ListTopicsOptions().listInternal(true))
              .names().get(15, TimeUnit.SECONDS);
          List<String> out = new ArrayList<>();
          admin.describeTopics(names).allTopicNames().get(15, TimeUnit.SECONDS).forEach((topic, d) -> {
            for (TopicPartitionInfo info : d.partitions()) {
              if (info.leader() == null || info.leader().isEmpty() || info.isr().size() < info.replicas().size()) {
                out.add(topic + "-" + info.partition());
              }
            }
          });
          return String.join(", ", out);
        });
        if (lagging.isEmpty()) {
          return;
        }
      } catch (IllegalStateException e) {
        lagging = e.getMessage();
      }
      sleep(250);
    }
    throw new IllegalStateException("partitions not fully replicated after " + timeout + ": " + lagging);
  }

  @Override
  public void close() {
    for (ChildProcess process : processes.values()) {
      if (process.alive()) {
        process.kill();
      }
    }
  }

  private void launch(int nodeId) {
    int[] own = ports.get(nodeId);
    String voters = ports.entrySet().stream().map(e -> e.getKey() + "@" + host + ":" + e.getValue()[1])
        .collect(Collectors.joining(","));
    List<String> args = List.of("-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), ReplicatedKafka.class.getName(),
        dataDir.resolve("node-" + nodeId).toString(), Integer.toString(nodeId), clusterId, host,
        Integer.toString(own[0]), Integer.toString(own[1]), voters, Integer.toString(ports.size()));
    processes.put(nodeId, ChildProcess.start("kafka-node-" + nodeId, launcher, args, Map.of()));
  }

  private void awaitStarted(int nodeId) {
    ChildProcess process = processes.get(nodeId);
    try {
      process.awaitLine(l -> l.startsWith(READY), START_TIMEOUT_MS);
    } catch (RuntimeException e) {
      process.kill();
      throw e;
    }
  }

  private TopicDescription describe(String topic) {
    return call(admin -> admin.describeTopics(List.of(topic)).allTopicNames().get(15, TimeUnit.SECONDS).get(topic));
  }

  private void create(NewTopic topic) {
    call(admin -> admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!led(topic.name())) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("topic " + topic.name() + " has partitions without a leader");
      }
      sleep(100);
    }
  }

  /**
   * Whether every partition of a new topic has a leader; false while the node asked does not know the
   * topic yet (each node learns of it from the metadata log in its own time).
   */
  private boolean led(String topic) {
    try {
      Map<Integer, Integer> leaders = leaders(topic);
      return !leaders.isEmpty() && !leaders.containsValue(-1);
    } catch (IllegalStateException e) {
      if (e.getCause() instanceof ExecutionException failed
          && failed.getCause() instanceof UnknownTopicOrPartitionException) {
        return false;
      }
      throw e;
    }
  }

  /** One call with a short-lived admin client on the live nodes. */
  private <T> T call(AdminCall<T> call) {
    String live = ports.entrySet().stream().filter(e -> alive(e.getKey()))
        .map(e -> host + ":" + e.getValue()[0]).collect(Collectors.joining(","));
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, live,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) ADMIN_TIMEOUT.toMillis(),
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000))) {
      return call.apply(admin);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("Kafka admin call failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  @FunctionalInterface
  private interface AdminCall<T> {
    T apply(Admin admin) throws ExecutionException, TimeoutException, InterruptedException;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
