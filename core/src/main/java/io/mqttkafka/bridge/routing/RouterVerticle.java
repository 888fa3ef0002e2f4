package io.mqttkafka.bridge.routing;

import io.mqttkafka.bridge.downlink.DeliveryTarget;
import io.mqttkafka.bridge.kafka.KafkaSender;
import io.mqttkafka.bridge.kafka.PresenceWriter;
import io.mqttkafka.bridge.kafka.ReceiptWriter;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.records.UserPropertyRules;
import io.mqttkafka.bridge.bus.AdminProtocol;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.MemberToRemove;
import org.apache.kafka.clients.admin.RemoveMembersFromConsumerGroupOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The downlink router of this instance: a member of the router consumer group whose partitions Kafka
 * assigns and moves. Its work happens on one dedicated consumer thread ({@link RouterLoop}); the
 * Kafka consumer is used from that thread only.
 */
public final class RouterVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(RouterVerticle.class);
  private static final String DEFAULT_GROUP = "mqtt-kafka-bridge-router";
  private static final long STOP_WAIT_SECONDS = 30;
  /** How long {@link #route} waits for the router thread. */
  static final long ROUTE_WAIT_MS = 3_000;

  /**
   * The three co-partitioned topics the router consumes, and which headers of a downlink record,
   * besides the contract's, go to the device as MQTT 5 user properties.
   */
  public record Topics(String subscriptions, String downlink, String sessions, UserPropertyRules userProperties) {
    /** With the default user property rules. */
    public Topics(String subscriptions, String downlink, String sessions) {
      this(subscriptions, downlink, sessions, UserPropertyRules.DEFAULT);
    }
  }

  /**
   * What the router keeps for clients that cannot take their downlink records yet.
   *
   * @param maxMessages per client
   * @param maxBytes    key and value bytes per client
   * @param maxKeep     the longest a record is kept (the longest session expiry)
   */
  public record Queues(int maxMessages, long maxBytes, Duration maxKeep) {
  }

  /** The Kafka writers and metrics the router uses. */
  public record Writers(KafkaSender sender, ReceiptWriter receipts, PresenceWriter presence, BridgeMetrics metrics) {
  }

  /** This instance: its id, and its connections, which the router delivers to without the event bus. */
  public record Local(String instanceId, DeliveryTarget.Lookup connections) {
  }

  private final Map<String, Object> consumerProperties;
  private final Local local;
  private final Topics topics;
  private final Writers writers;
  private final Admin admin;
  private final Queues queues;
  private volatile RouterLoop loop;
  private Thread thread;

  /**
   * @param consumerProperties from {@link #consumerProperties}
   * @param admin removes members of the router group that left the cluster ({@link #memberLeft})
   */
  public RouterVerticle(Map<String, Object> consumerProperties, Topics topics, Writers writers, Local local,
                        Queues queues, Admin admin) {
    this.local = local;
    this.queues = queues;
    this.consumerProperties = Map.copyOf(consumerProperties);
    this.topics = topics;
    this.writers = writers;
    this.admin = admin;
    BridgeMetrics metrics = writers.metrics();
    for (OffsetLedger.Routed kind : OffsetLedger.Routed.values()) {
      metrics.routerRecords(kind, () -> loop == null ? 0 : loop.owned().routed(kind));
    }
    metrics.routerRecordsHeld(() -> loop == null ? 0 : loop.owned().held());
    metrics.gauge("router.sessions.offline", "Persistent sessions whose client is offline, in this router's partitions",
        () -> loop == null ? 0 : loop.owned().offlineSessions());
    metrics.gauge("router.parked.messages", "Downlink records kept for clients in this router's partitions",
        () -> loop == null ? 0 : loop.owned().parked());
    metrics.gauge("router.parked.bytes", "Key and value bytes of the downlink records kept for clients",
        () -> loop == null ? 0 : loop.owned().parkedBytes());
  }

  /**
   * The router's consumer settings: bridge defaults, then {@code kafka.consumer.*}, then what routing
   * depends on: range assignment (the same partition numbers of both topics to one member), the
   * classic group protocol that offers it, and offsets committed by the router itself.
   */
  public static Map<String, Object> consumerProperties(Map<String, String> configured, String bootstrapServers,
                                                       String instanceId, String clusterMemberId) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.GROUP_ID_CONFIG, DEFAULT_GROUP);
    // Never skip downlink records written before the group first started; expired ones get a receipt.
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
    // Heartbeats are how a member learns of a rebalance: every second, so that partitions move within
    // about a second once the group loses a member (see memberLeft).
    props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1000");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "1000");
    props.putAll(configured);
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "mqtt-kafka-bridge-router-" + instanceId);
    props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
    if (clusterMemberId != null) {
      // Static membership under the cluster member's id: when the cluster sees a member leave, any
      // survivor can remove it from the group by that id (memberLeft), instead of the group waiting
      // for its session to time out.
      props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, clusterMemberId);
    }
    props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return props;
  }

  /**
   * The router's second consumer, which only asks for end offsets: the same connection settings, no
   * group, its own client id (and so its own connection to each broker).
   */
  static Map<String, Object> offsetReaderProperties(Map<String, Object> routerProperties) {
    Map<String, Object> props = new HashMap<>(routerProperties);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    props.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    props.remove(ConsumerConfig.GROUP_PROTOCOL_CONFIG);
    props.remove(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, routerProperties.get(ConsumerConfig.CLIENT_ID_CONFIG) + "-offsets");
    return props;
  }

  /**
   * A member left the bridge cluster (it stopped or died): removes it from the router group at once,
   * so that its partitions move to the members still here now rather than after its session timeout.
   * Any number of survivors may ask; the group coordinator answers the later ones that the member is
   * unknown. A member that only lost the cluster but still reaches Kafka is fenced off the same way:
   * its next heartbeat finds it removed, and Kafka gives each partition to one member at a time. And
   * what the router forwarded to its instance ({@code instanceId}, null if not known) and is still
   * waiting for an answer ends now: a member that left answers nothing.
   */
  public void memberLeft(String clusterMemberId, String instanceId) {
    RouterLoop running = loop;
    if (running != null && instanceId != null) {
      // Off Hazelcast's event thread: what the ended forwards go on to do (receipts) may wait on Kafka.
      context.runOnContext(v -> running.instanceGone(instanceId));
    }
    String group = String.valueOf(consumerProperties.get(ConsumerConfig.GROUP_ID_CONFIG));
    admin.removeMembersFromConsumerGroup(group, new RemoveMembersFromConsumerGroupOptions(
            List.of(new MemberToRemove(clusterMemberId)))).all()
        .whenComplete((ok, failure) -> {
          if (failure == null) {
            LOG.info("Router: member {} left the cluster and is removed from group {}: its partitions move now",
                clusterMemberId, group);
          } else {
            LOG.debug("Router: member {} not removed from group {} (another member did, or it left): {}",
                clusterMemberId, group, failure.toString());
          }
        });
  }

  /** True once every partition this instance owns has its state rebuilt. */
  public boolean ready() {
    return loop != null && loop.ready();
  }

  /** The partition numbers (of both topics) this instance routes now. */
  public Set<Integer> partitionsOwned() {
    return loop == null ? Set.of() : loop.partitionsOwned();
  }

  public int clients() {
    return loop == null ? 0 : loop.owned().clients();
  }

  /**
   * The router's view of a client (its connection and filters as routed, or not connected) if this
   * instance routes the client's partition; null if it does not. Asked on the router thread, answered
   * on the caller's context within a turn of the router's loop; fails after {@link #ROUTE_WAIT_MS}
   * when the router does not turn (Kafka unreachable at start, or the router stopped).
   */
  public Future<AdminProtocol.Route> route(String clientId) {
    RouterLoop current = loop;
    if (current == null) {
      return Future.failedFuture(new IllegalStateException("the router has not started"));
    }
    Context caller = vertx.getOrCreateContext();
    Promise<AdminProtocol.Route> answer = Promise.promise();
    current.ask(() -> {
      AdminProtocol.Route route;
      try {
        route = current.route(clientId);
      } catch (RuntimeException e) {
        caller.runOnContext(v -> answer.tryFail(e));
        return;
      }
      caller.runOnContext(v -> answer.tryComplete(route));
    });
    long timer = vertx.setTimer(ROUTE_WAIT_MS, id -> answer.tryFail(
        new IllegalStateException("the router did not answer within " + ROUTE_WAIT_MS + " ms")));
    return answer.future().onComplete(done -> vertx.cancelTimer(timer));
  }

  @Override
  public Future<?> start() {
    return vertx.executeBlocking(() -> {
      Object maxPollRecords = consumerProperties.getOrDefault(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "500");
      loop = new RouterLoop(new KafkaConsumer<>(consumerProperties),
          new KafkaConsumer<>(offsetReaderProperties(consumerProperties)), vertx, topics, writers, local,
          new RouterLoop.Settings(Integer.parseInt(String.valueOf(maxPollRecords).trim()),
              new QueueRouter.Limits(queues.maxMessages(), queues.maxBytes(), queues.maxKeep().toMillis())));
      thread = new Thread(loop, "mqtt-bridge-router");
      thread.setDaemon(true);
      thread.start();
      return null;
    });
  }

  @Override
  public Future<?> stop() {
    return vertx.executeBlocking(() -> {
      loop.stop();
      thread.join(TimeUnit.SECONDS.toMillis(STOP_WAIT_SECONDS));
      return null;
    });
  }
}
