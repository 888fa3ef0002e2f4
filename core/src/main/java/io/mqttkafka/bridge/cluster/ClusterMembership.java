package io.mqttkafka.bridge.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.function.Consumer;

/**
 * This member of the bridge cluster and word of the others leaving. Hazelcast notices a member that
 * stopped or died within about a second (its connections close or are refused), long before a Kafka
 * consumer group would (its session timeout, at least the broker's {@code group.min.session.timeout.ms}).
 */
public final class ClusterMembership {

  /** Where vertx-hazelcast keeps each member's vert.x node id (HazelcastClusterManager). */
  static final String NODE_ID_ATTRIBUTE = "__vertx.nodeId";

  private final HazelcastClusterManager manager;

  public ClusterMembership(HazelcastClusterManager manager) {
    this.manager = manager;
  }

  /** This member's id in the cluster (a UUID, new at every start). Call once Vert.x has joined. */
  public String localId() {
    return manager.getNodeId();
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
