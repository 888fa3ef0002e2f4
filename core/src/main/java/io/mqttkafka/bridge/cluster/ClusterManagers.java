package io.mqttkafka.bridge.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.mqttkafka.bridge.config.ClusterSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Clustered Vert.x over Hazelcast, built from {@link ClusterSettings}: the only place that knows
 * Hazelcast settings.
 *
 * <p>What a member does with the configuration:
 * <ul>
 *   <li>It binds Hazelcast to {@code cluster.host} only ({@code hazelcast.socket.bind.any=false}) and
 *       advertises that address; the clustered event bus binds and advertises the same host, on a port
 *       the OS picks (Hazelcast tells the other members which).</li>
 *   <li>It listens on {@code cluster.port}; if that port is taken, Hazelcast auto-increments to the
 *       next free one (up to 100 ports above), so several members can share one host. A member listed
 *       in {@code cluster.members} without a port is probed at {@code port}, {@code port+1} and
 *       {@code port+2} (Hazelcast's {@code hazelcast.tcp.join.port.try.count}); list "host:port" for
 *       anything further up.</li>
 *   <li>It joins by TCP-IP with {@code cluster.members}; with none, with {@code cluster.host} alone: it
 *       forms a cluster of one that others may join, and finds members on the same host's next ports.
 *       Multicast and Hazelcast's auto-detection are always off: a member joins only whom it is told.</li>
 *   <li>With {@code cluster.kubernetes.enabled} it finds its peers through the DNS name of a headless
 *       service ({@code serviceDns}) instead, at {@code cluster.port}; {@code members} is not used.</li>
 *   <li>Only members with the same {@code cluster.name} join each other.</li>
 * </ul>
 * Hazelcast logs through SLF4J (building a configuration also sets the system property
 * {@code hazelcast.logging.type=slf4j} unless it is set, for Hazelcast's static loggers), sends no
 * phone-home data, does not wait before joining, and has no shutdown hook of its own: the bridge
 * leaves the cluster when it closes Vert.x, in its own order.
 * A {@code cluster.xml} on the class path (or {@code -Dvertx.hazelcast.config}) is the starting point
 * if present, as in vertx-hazelcast; the settings above override it.
 */
public final class ClusterManagers {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterManagers.class);
  private static final String LOGGING_TYPE = "hazelcast.logging.type";

  private ClusterManagers() {}

  /**
   * Starts a clustered Vert.x: the event bus on {@code cluster.host}, Hazelcast as configured above.
   * Completes once this member has joined (or formed) the cluster and its event bus listens; fails,
   * with Vert.x closed again, if it cannot. Call it from start-up code, not an event loop: it may
   * resolve {@code cluster.host}.
   *
   * @param base the other Vert.x options; not modified
   * @param metricsOrNull the metrics factory, or null for none (or what {@code base} enables)
   */
  public static Future<Vertx> startClustered(ClusterSettings cluster, VertxOptions base,
                                             VertxMetricsFactory metricsOrNull) {
    HazelcastClusterManager manager;
    try {
      manager = clusterManager(cluster);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return startClustered(manager, cluster, base, metricsOrNull);
  }

  /**
   * As {@link #startClustered(ClusterSettings, VertxOptions, VertxMetricsFactory)}, with a manager
   * from {@link #clusterManager} that the caller keeps, for instance to watch the cluster's members.
   */
  public static Future<Vertx> startClustered(HazelcastClusterManager manager, ClusterSettings cluster,
                                             VertxOptions base, VertxMetricsFactory metricsOrNull) {
    return Vertx.builder()
        .with(vertxOptions(cluster, base))
        .withClusterManager(manager)
        .withMetrics(metricsOrNull)
        .buildClustered();
  }

  /**
   * A Hazelcast cluster manager for this member; it starts Hazelcast only when Vert.x joins.
   *
   * @throws IllegalArgumentException if {@code cluster.host} is a name that does not resolve
   */
  public static HazelcastClusterManager clusterManager(ClusterSettings cluster) {
    return new HazelcastClusterManager(hazelcastConfig(cluster));
  }

  /**
   * As {@link #clusterManager(ClusterSettings)}, for the bridge instance {@code instanceId}: the member
   * carries the id as an attribute ({@link ClusterMembership#INSTANCE_ATTRIBUTE}), so that every member
   * knows which bridge instances the cluster has ({@link ClusterMembership#instanceIds}).
   */
  public static HazelcastClusterManager clusterManager(ClusterSettings cluster, String instanceId) {
    Config config = hazelcastConfig(cluster);
    config.getMemberAttributeConfig().setAttribute(ClusterMembership.INSTANCE_ATTRIBUTE, instanceId);
    return new HazelcastClusterManager(config);
  }

  /** A copy of {@code base} whose event bus binds to and advertises {@code cluster.host}. */
  public static VertxOptions vertxOptions(ClusterSettings cluster, VertxOptions base) {
    VertxOptions options = new VertxOptions(base);
    return options.setEventBusOptions(new EventBusOptions(base.getEventBusOptions())
        .setHost(cluster.host())
        .setClusterPublicHost(cluster.host()));
  }

  /** A new Hazelcast configuration for this member: vert.x's defaults plus the settings in the class comment. */
  static Config hazelcastConfig(ClusterSettings cluster) {
    // Hazelcast's static loggers (such as HazelcastInstanceFactory's start-up warnings) read the system
    // property, not the Config; without it they write to java.util.logging, bypassing our SLF4J setup.
    if (System.getProperty(LOGGING_TYPE) == null) {
      System.setProperty(LOGGING_TYPE, "slf4j");
    }
    // Keeps vert.x's __vertx.subs / __vertx.haInfo / __vertx.nodeInfo settings; a new Config per call.
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(cluster.name());
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    config.setProperty(LOGGING_TYPE, "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.socket.bind.any", "false");

    NetworkConfig network = config.getNetworkConfig();
    network.setPort(cluster.port()).setPortAutoIncrement(true);
    network.setPublicAddress(cluster.host());
    // Hazelcast matches interfaces by IP address, so a host name is resolved here.
    network.getInterfaces().setEnabled(true).setInterfaces(List.of(ipAddress(cluster.host())));

    JoinConfig join = network.getJoin();
    join.getAutoDetectionConfig().setEnabled(false);
    join.getMulticastConfig().setEnabled(false);
    ClusterSettings.Kubernetes kubernetes = cluster.kubernetes();
    if (kubernetes.enabled()) {
      join.getTcpIpConfig().setEnabled(false);
      join.getKubernetesConfig().setEnabled(true)
          .setProperty("service-dns", kubernetes.serviceDns())
          .setProperty("service-port", Integer.toString(cluster.port()));
      LOG.info("Cluster {}: member at {}:{}, discovering members through Kubernetes service DNS {}",
          cluster.name(), cluster.host(), cluster.port(), kubernetes.serviceDns());
    } else {
      List<String> members = cluster.members().isEmpty() ? List.of(cluster.host()) : cluster.members();
      join.getTcpIpConfig().setEnabled(true).setMembers(members);
      LOG.info("Cluster {}: member at {}:{}, joining by TCP-IP with {}", cluster.name(), cluster.host(),
          cluster.port(), members);
    }
    return config;
  }

  private static String ipAddress(String host) {
    try {
      return InetAddress.getByName(host).getHostAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("cluster.host: cannot resolve \"" + host + "\"", e);
    }
  }
}
