package io.mqttkafka.bridge.cluster;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.config.ClusterSettings;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two clustered Vert.x instances in one JVM, built by {@link ClusterManagers} as the bridge builds them:
 * Hazelcast TCP-IP join on 127.0.0.1, each member listing the other.
 */
class ClusterIT {

  private static final String HOST = "127.0.0.1";
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final List<Vertx> running = Collections.synchronizedList(new ArrayList<>());

  @AfterEach
  void closeEverythingStarted() throws Exception {
    List<Vertx> toClose = new ArrayList<>(running);
    Collections.reverse(toClose);
    for (Vertx vertx : toClose) {
      vertx.close().await(WAIT.toSeconds(), SECONDS);
    }
    running.clear();
  }

  @Test
  void twoMembersJoinCarryABufferWithHeadersBothWaysAndSeeTheOtherLeave() throws Exception {
    String clusterName = "cluster-it-" + UUID.randomUUID();
    int[] ports = freeLoopbackPorts(2);
    ClusterSettings configA =
        new ClusterSettings(true, clusterName, HOST, ports[0], List.of(HOST + ":" + ports[1]));
    ClusterSettings configB =
        new ClusterSettings(true, clusterName, HOST, ports[1], List.of(HOST + ":" + ports[0]));

    // (1) Both members see a cluster of two.
    HazelcastClusterManager managerA = ClusterManagers.clusterManager(configA);
    long startA = System.nanoTime();
    Vertx a = start(managerA, configA);
    long upA = System.nanoTime();
    HazelcastClusterManager managerB = ClusterManagers.clusterManager(configB);
    Vertx b = start(managerB, configB);
    long upB = System.nanoTime();
    await().atMost(WAIT).until(() -> managerA.getNodes().size() == 2 && managerB.getNodes().size() == 2);
    long bothSeeTwo = System.nanoTime();
    System.out.printf("ClusterIT join timing: first member (alone, its peer not up yet) started in %d ms;"
            + " second member started and joined in %d ms; both saw 2 members %d ms after the second started%n",
        millis(startA, upA), millis(upA, upB), millis(upA, bothSeeTwo));

    assertThat(managerA.getNodes()).containsExactlyInAnyOrder(managerA.getNodeId(), managerB.getNodeId());
    assertThat(managerB.getNodes()).containsExactlyInAnyOrder(managerA.getNodeId(), managerB.getNodeId());

    // (2) A request from A to an address consumed only on B, and B's reply back to A.
    String address = "cluster-it.instance.b." + UUID.randomUUID();
    byte[] payload = {0, 1, 2, (byte) 0xff, (byte) 0xc3, 0x28, 'x'}; // not valid UTF-8: bytes must pass as-is
    CompletableFuture<Received> receivedOnB = new CompletableFuture<>();
    MessageConsumer<Buffer> consumer = b.eventBus().consumer(address, (Message<Buffer> message) -> {
      Map<String, String> headers = new TreeMap<>();
      message.headers().forEach(headers::put);
      receivedOnB.complete(new Received(message.body().getBytes(), headers, Vertx.currentContext().owner() == b));
      message.reply(Buffer.buffer("delivered:").appendBuffer(message.body()),
          new DeliveryOptions().addHeader("status", "delivered")
              .addHeader("correlation.id", message.headers().get("correlation.id")));
    });
    consumer.completion().await(WAIT.toSeconds(), SECONDS);

    DeliveryOptions headers = new DeliveryOptions().setSendTimeout(WAIT.toMillis())
        .addHeader("mqtt.topic", "DL/WARN")
        .addHeader("mqtt.qos", "1")
        .addHeader("correlation.id", "corr-42");
    Message<Buffer> reply = a.eventBus().<Buffer>request(address, Buffer.buffer(payload), headers)
        .await(WAIT.toSeconds() + 5, SECONDS);

    Received received = receivedOnB.get(WAIT.toSeconds(), SECONDS);
    assertThat(received.onB()).isTrue();
    assertThat(received.body()).containsExactly(payload);
    assertThat(received.headers())
        .containsEntry("mqtt.topic", "DL/WARN")
        .containsEntry("mqtt.qos", "1")
        .containsEntry("correlation.id", "corr-42");
    assertThat(reply.body().getBytes())
        .containsExactly(Buffer.buffer("delivered:").appendBytes(payload).getBytes());
    assertThat(reply.headers().get("status")).isEqualTo("delivered");
    assertThat(reply.headers().get("correlation.id")).isEqualTo("corr-42");

    // (3) When B leaves, A's view shrinks to itself.
    long closeB = System.nanoTime();
    b.close().await(WAIT.toSeconds(), SECONDS);
    running.remove(b);
    await().atMost(WAIT).until(() -> managerA.getNodes().size() == 1);
    System.out.printf("ClusterIT leave timing: A saw 1 member %d ms after B started closing%n",
        millis(closeB, System.nanoTime()));

    assertThat(managerA.getNodes()).containsExactly(managerA.getNodeId());
  }

  private Vertx start(HazelcastClusterManager manager, ClusterSettings config) throws Exception {
    Vertx vertx = ClusterManagers.startClustered(manager, config, new VertxOptions(), null)
        .await(WAIT.toSeconds() * 2, SECONDS);
    running.add(vertx);
    return vertx;
  }

  /** Ports that were free on 127.0.0.1 a moment ago; the OS picks them, so other tests' ports are avoided. */
  private static int[] freeLoopbackPorts(int count) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[count];
      for (int i = 0; i < count; i++) {
        ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST));
        sockets.add(socket);
        ports[i] = socket.getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket socket : sockets) {
        socket.close();
      }
    }
  }

  private static long millis(long fromNanos, long toNanos) {
    return (toNanos - fromNanos) / 1_000_000;
  }

  private record Received(byte[] body, Map<String, String> headers, boolean onB) {}
}
