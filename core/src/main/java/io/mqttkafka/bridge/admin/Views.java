package io.mqttkafka.bridge.admin;

import io.mqttkafka.bridge.admin.ClusterAdmin.Reply;
import io.mqttkafka.bridge.bus.AdminProtocol.ClientAnswer;
import io.mqttkafka.bridge.bus.AdminProtocol.Connection;
import io.mqttkafka.bridge.bus.AdminProtocol.InstanceInfo;
import io.mqttkafka.bridge.bus.AdminProtocol.Route;
import io.mqttkafka.bridge.bus.AdminProtocol.SessionState;
import io.mqttkafka.bridge.records.PresenceRecord.Subscription;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** What the admin API answers, built from the instances' replies; each record is one JSON object. */
final class Views {

  private Views() {
  }

  /** One instance of the cluster; {@code answered} false (and the rest empty) when it did not answer. */
  record InstanceView(String instanceId, boolean self, boolean answered, String startedAt, boolean ready,
                      int connections, List<Integer> routerPartitions, int routerClients,
                      Map<String, Double> counters, long sampledAt) {
  }

  /**
   * The cluster: its instances, and the sums over those that answered.
   *
   * @param routerPartitions the partitions some instance routes, sorted
   */
  record ClusterView(List<InstanceView> instances, int connections, List<Integer> routerPartitions) {
  }

  /**
   * The router's view of a client, from the instance that routes its partition.
   *
   * @param routedBy the instance that routes the client's partition
   */
  record RouterView(int partition, String routedBy, boolean connected, String instance, String connectionId,
                    List<Subscription> subscriptions, SessionState session) {
  }

  /**
   * A client, connected or not.
   *
   * @param connected      true when an instance holds its connection, or when the router says so and
   *                       that instance did not answer
   * @param since          when its CONNECT was accepted (ISO-8601), from the instance that holds it
   * @param router         the router's view, or null when no instance that answered routes its partition
   * @param session        its persistent session (expiry, subscriptions, records queued for it) as its
   *                       router keeps it, or null when it has none; expiry 0: no session, but records
   *                       queued for it by their mqtt.offline header
   * @param notAnswering   instances that did not answer in time
   */
  record ClientView(String clientId, boolean connected, String instance, String connectionId, String since,
                    String protocolVersion, String username, List<Subscription> subscriptions, RouterView router,
                    SessionState session, List<String> notAnswering) {
  }

  static ClusterView cluster(List<Reply<InstanceInfo>> replies, String self) {
    List<InstanceView> instances = new ArrayList<>();
    TreeSet<Integer> partitions = new TreeSet<>();
    int connections = 0;
    for (Reply<InstanceInfo> reply : replies) {
      InstanceInfo info = reply.answer();
      boolean isSelf = reply.instanceId().equals(self);
      if (info == null) {
        instances.add(new InstanceView(reply.instanceId(), isSelf, false, null, false, 0, List.of(), 0, Map.of(), 0));
        continue;
      }
      instances.add(new InstanceView(info.instanceId(), isSelf, true, iso(info.startedAt()), info.ready(),
          info.connections(), info.routerPartitions(), info.routerClients(), info.counters(), info.sampledAt()));
      connections += info.connections();
      partitions.addAll(info.routerPartitions());
    }
    return new ClusterView(instances, connections, List.copyOf(partitions));
  }

  static ClientView client(String clientId, List<Reply<ClientAnswer>> replies) {
    Connection connection = null;
    String holder = null;
    RouterView router = null;
    List<String> notAnswering = new ArrayList<>();
    for (Reply<ClientAnswer> reply : replies) {
      ClientAnswer answer = reply.answer();
      if (answer == null) {
        notAnswering.add(reply.instanceId());
        continue;
      }
      Connection c = answer.connection();
      // During a takeover two instances may hold one each for a moment: the newer is the client's.
      if (c != null && (connection == null || c.connectedAt() > connection.connectedAt())) {
        connection = c;
        holder = answer.instanceId();
      }
      Route route = answer.route();
      if (route != null) {
        router = new RouterView(route.partition(), answer.instanceId(), route.connected(), route.instanceId(),
            route.connectionId(), route.subscriptions(), route.session());
      }
    }
    if (connection != null) {
      return new ClientView(clientId, true, holder, connection.connectionId(), iso(connection.connectedAt()),
          version(connection.protocolVersion()), connection.username(), connection.subscriptions(), router,
          router == null ? null : router.session(), notAnswering);
    }
    // No instance that answered holds it; the router's word counts only for an instance that did not answer.
    boolean byRouter = router != null && router.connected() && notAnswering.contains(router.instance());
    return new ClientView(clientId, byRouter, byRouter ? router.instance() : null,
        byRouter ? router.connectionId() : null, null, null, null,
        byRouter ? router.subscriptions() : List.of(), router, router == null ? null : router.session(),
        notAnswering);
  }

  private static String version(int protocolVersion) {
    return switch (protocolVersion) {
      case 4 -> "3.1.1";
      case 5 -> "5";
      default -> Integer.toString(protocolVersion);
    };
  }

  private static String iso(long epochMillis) {
    return Instant.ofEpochMilli(epochMillis).toString();
  }
}
