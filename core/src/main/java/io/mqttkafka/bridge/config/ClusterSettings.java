package io.mqttkafka.bridge.config;

import static io.mqttkafka.bridge.config.ConfigValue.at;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Objects;

/**
 * The {@code cluster} section: Hazelcast clustering. {@code host}: the address this member binds and
 * advertises, for Hazelcast and the event bus alike. Join by TCP-IP with {@code members} ("host" or
 * "host:port"), or, when {@code kubernetes} is enabled, by Kubernetes DNS discovery instead (then
 * {@code members} is unused).
 */
public record ClusterSettings(boolean enabled, String name, String host, int port, List<String> members,
                              Kubernetes kubernetes) {

  private static final List<String> WILDCARD_ADDRESSES = List.of("0.0.0.0", "::", "[::]", "0:0:0:0:0:0:0:0", "*");

  public ClusterSettings {
    members = List.copyOf(members);
    Objects.requireNonNull(kubernetes, "kubernetes (use Kubernetes.DISABLED)");
  }

  /** TCP-IP join only: Kubernetes discovery off. */
  public ClusterSettings(boolean enabled, String name, String host, int port, List<String> members) {
    this(enabled, name, host, port, members, Kubernetes.DISABLED);
  }

  /** {@code serviceDns}: the headless service whose DNS name lists the members' pod IPs. */
  public record Kubernetes(boolean enabled, String serviceDns) {
    public static final Kubernetes DISABLED = new Kubernetes(false, "");
  }

  /** Reads and validates {@code cluster.*} from a tree that holds every key of the defaults. */
  static ClusterSettings parse(JsonNode t) throws ConfigException {
    boolean enabled = at(t, "cluster.enabled").bool();
    String name = at(t, "cluster.name").nonBlank();
    ConfigValue host = at(t, "cluster.host");
    if (WILDCARD_ADDRESSES.contains(host.nonBlank())) {
      throw host.wrong("must be an address the other members can reach (this member binds and advertises it),"
          + " not a wildcard");
    }
    int port = at(t, "cluster.port").integer(1, 65535);
    List<String> members = at(t, "cluster.members").nonBlankList();
    Kubernetes kubernetes = new Kubernetes(at(t, "cluster.kubernetes.enabled").bool(),
        at(t, "cluster.kubernetes.serviceDns").string().strip());
    if (kubernetes.enabled()) {
      if (kubernetes.serviceDns().isEmpty()) {
        throw at(t, "cluster.kubernetes.serviceDns").fail(
            "is required when cluster.kubernetes.enabled is true (the headless service's DNS name)");
      }
      if (host.string().equals("localhost") || host.string().startsWith("127.") || host.string().equals("::1")) {
        throw host.wrong("must be the pod IP (status.podIP) when cluster.kubernetes.enabled is true,"
            + " other pods cannot reach a loopback address");
      }
    }
    return new ClusterSettings(enabled, name, host.string(), port, members, kubernetes);
  }
}
