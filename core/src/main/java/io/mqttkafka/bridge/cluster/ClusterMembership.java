package io.mqttkafka.bridge.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.LifecycleEvent;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * This member of the bridge cluster and word of the others leaving. Hazelcast notices a member that
 * stopped or died within about a second (its connections close or are refused), long before a Kafka
 * consumer group would (its session timeout, at least the broker's {@code group.min.session.timeout.ms}).
 *
 * <p>A member that is still running but stopped answering (a network partition between members, a
 * long pause) is given up after Hazelcast's failure detector ({@code hazelcast.max.no.heartbeat.seconds})
 * just the same; once it answers again, Hazelcast merges the two halves and the member is back with its
 * vert.x node id, which a restarted member never has (a new id at every start): {@link #onRejoined}.
 */
public final class ClusterMembership {

  /** Where vertx-hazelcast keeps each member's vert.x node id (HazelcastClusterManager). */
  static final String NODE_ID_ATTRIBUTE = "__vertx.nodeId";
  /** The Hazelcast member attribute that holds the bridge instance id of a member. */
  public static final String INSTANCE_ATTRIBUTE = "mqtt.bridge.instance";

  private final HazelcastClusterManager manager;
  private final Departures departures = new Departures();

  public ClusterMembership(HazelcastClusterManager manager) {
    this.manager = manager;
  }

  /** This member's id in the cluster (a UUID, new at every start). Call once Vert.x has joined. */
  public String localId() {
    return manager.getNodeId();
  }

  /**
   * The bridge instance ids of the cluster's members now, this one included, sorted; a member started
   * without the attribute ({@link ClusterManagers#clusterManager(io.mqttkafka.bridge.config.ClusterSettings,
   * String)}) is left out.
   */
  public List<String> instanceIds() {
    List<String> ids = new ArrayList<>();
    for (Member member : manager.getHazelcastInstance().getCluster().getMembers()) {
      String id = member.getAttribute(INSTANCE_ATTRIBUTE);
      if (id != null) {
        ids.add(id);
      }
    }
    Collections.sort(ids);
    return ids;
  }

  /**
   * Calls {@code onLeft} with the node id and the bridge instance id (null when it has none) of each
   * member that leaves the cluster, on a Hazelcast thread.
   */
  public void onMemberLeft(BiConsumer<String, String> onLeft) {
    manager.getHazelcastInstance().getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        onLeft.accept(nodeId(event), event.getMember().getAttribute(INSTANCE_ATTRIBUTE));
      }
    });
  }

  /**
   * Calls {@code onRejoined}, on a Hazelcast thread, when the cluster heals from a split: a member that
   * had been given up joins again under the same node id, or this member merged back into the others.
   * Meanwhile each half took the other for gone (and its routers said so for the other half's
   * connections); now both halves are one again.
   */
  public void onRejoined(Runnable onRejoined) {
    manager.getHazelcastInstance().getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        if (departures.returned(nodeId(event))) {
          onRejoined.run();
        }
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        departures.left(nodeId(event));
      }
    });
    manager.getHazelcastInstance().getLifecycleService().addLifecycleListener(event -> {
      if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
        onRejoined.run();
      }
    });
  }

  private static String nodeId(MembershipEvent event) {
    // vert.x names a member by the id it keeps in this attribute, not by Hazelcast's member UUID.
    String nodeId = event.getMember().getAttribute(NODE_ID_ATTRIBUTE);
    return nodeId != null ? nodeId : event.getMember().getUuid().toString();
  }

  /** The node ids of the members that left lately (the last {@link #KEPT}); thread-safe. */
  static final class Departures {
    static final int KEPT = 256;
    private final Set<String> left = new LinkedHashSet<>();

    synchronized void left(String nodeId) {
      left.remove(nodeId);
      left.add(nodeId);
      if (left.size() > KEPT) {
        left.remove(left.iterator().next());
      }
    }

    /** Whether the member that joins now is one that had left (and forgets that it had). */
    synchronized boolean returned(String nodeId) {
      return left.remove(nodeId);
    }
  }
}
