package io.mqttkafka.bridge.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;

/**
 * This member of the bridge cluster and word of the others leaving. Hazelcast notices a member that
 * stopped or died within about a second (its connections close or are refused), long before a Kafka
 * consumer group would (its session timeout, at least the broker's {@code group.min.session.timeout.ms}).
 */
public final class ClusterMembership {

  /** Where vertx-hazelcast keeps each member's vert.x node id (HazelcastClusterManager). */
  static final String NODE_ID_ATTRIBUTE = "__vertx.nodeId";
  /** The Hazelcast member attribute that holds the bridge instance id of a member. */
  public static final String INSTANCE_ATTRIBUTE = "mqtt.bridge.instance";

  private final HazelcastClusterManager manager;

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

  /** Calls {@code onLeft} with the id of each member that leaves the cluster, on a Hazelcast thread. */
  public void onMemberLeft(Consumer<String> onLeft) {
    manager.getHazelcastInstance().getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        // vert.x names a member by the id it keeps in this attribute, not by Hazelcast's member UUID.
        String nodeId = event.getMember().getAttribute(NODE_ID_ATTRIBUTE);
        onLeft.accept(nodeId != null ? nodeId : event.getMember().getUuid().toString());
      }
    });
  }
}
