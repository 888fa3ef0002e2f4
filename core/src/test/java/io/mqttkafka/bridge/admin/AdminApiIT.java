package io.mqttkafka.bridge.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.mqtt.Listener.Transport;
import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.testkit.Clients;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.RawMqttClient;
import io.mqttkafka.bridge.testkit.Metrics;
import io.mqttkafka.bridge.testkit.TestKafka;
import io.mqttkafka.bridge.testkit.V5Callback;
import io.mqttkafka.bridge.testsupport.AdminHttp;
import io.mqttkafka.bridge.testsupport.Downlink;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testsupport.TestCluster;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API of a cluster of two instances, called with a real HTTP client: any instance answers
 * for the whole cluster, a client is found and disconnected wherever it is connected, the topic tester
 * answers from the rules in force, and bad or unauthorised requests get a JSON error.
 */
class AdminApiIT {

  private static final String TOKEN = "s3cret-admin-token";
  private static final String TOPIC = TestKafka.uniqueTopic("admin");

  @TempDir
  static Path dir;
  private static Path tokenFile;
  private static TestCluster cluster;
  private static Bridge a;
  private static Bridge b;
  private static AdminHttp viaA;

  @BeforeAll
  static void start() throws Exception {
    tokenFile = Files.writeString(dir.resolve("admin-token"), "# rotated monthly\n" + TOKEN + "\n");
    cluster = new TestCluster("""
        http:
          admin: { enabled: true, tokenFile: "%s", tokenReloadInterval: 100ms }
        mqtt:
          websocket: { enabled: true, port: 0 }
        mappings:
          uplink:
            - { name: own, match: "^UL/${clientId}/(.+)$", topic: "%s", key: "$1" }
            - { name: raw, match: "^RAW/(.+)$", topic: "$1" }
          downlink: { filters: ["DL/${clientId}/#", "ALL/#"] }
        """.formatted(tokenFile, TOPIC), 2);
    a = cluster.start(0);
    b = cluster.start(1);
    cluster.awaitRouted();
    viaA = new AdminHttp(a.httpPort(), TOKEN);
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void eitherInstanceListsBothInstancesWithTheRouterPartitionsEachOwns() throws Exception {
    for (Bridge asked : List.of(a, b)) {
      JsonNode overview = new AdminHttp(asked.httpPort(), TOKEN).json("/admin/v1/cluster");

      List<String> ids = new ArrayList<>();
      Set<Integer> routed = new TreeSet<>();
      for (JsonNode instance : overview.path("instances")) {
        ids.add(instance.path("instanceId").asText());
        assertThat(instance.path("answered").asBoolean()).isTrue();
        assertThat(instance.path("ready").asBoolean()).isTrue();
        assertThat(instance.path("self").asBoolean())
            .isEqualTo(instance.path("instanceId").asText().equals(asked.config().bridge().id()));
        Bridge member = instance.path("instanceId").asText().equals(a.config().bridge().id()) ? a : b;
        List<Integer> partitions = new ArrayList<>();
        instance.path("routerPartitions").forEach(p -> partitions.add(p.asInt()));
        assertThat(partitions).containsExactlyElementsOf(member.routerPartitions());
        routed.addAll(partitions);
        assertThat(instance.path("counters").has("uplink.written")).isTrue();
      }
      assertThat(ids).containsExactlyInAnyOrder(a.config().bridge().id(), b.config().bridge().id());
      assertThat(routed).containsExactly(0, 1, 2);
    }
  }

  @Test
  void aClientConnectedToOneInstanceIsFoundThroughTheOther() throws Exception {
    String car = cluster.clientIdRoutedBy(0, "vin-lookup");
    MqttAsyncClient client = Clients.v5(b.mqttPort(), car);
    client.subscribe("DL/" + car + "/#", 1).waitForCompletion(10_000);

    JsonNode found = viaA.json("/admin/v1/clients/" + car);

    assertThat(found.path("clientId").asText()).isEqualTo(car);
    assertThat(found.path("connected").asBoolean()).isTrue();
    assertThat(found.path("instance").asText()).isEqualTo(b.config().bridge().id());
    assertThat(found.path("protocolVersion").asText()).isEqualTo("5");
    assertThat(Instant.parse(found.path("since").asText())).isNotNull();
    assertThat(found.path("subscriptions").toString()).isEqualTo("[{\"filter\":\"DL/" + car + "/#\",\"qos\":1}]");
    JsonNode router = found.path("router");
    assertThat(router.path("partition").asInt()).isEqualTo(TestCluster.partitionOf(car));
    assertThat(router.path("routedBy").asText()).isEqualTo(a.config().bridge().id());
    assertThat(router.path("instance").asText()).isEqualTo(b.config().bridge().id());
    assertThat(router.path("connectionId").asText()).isEqualTo(found.path("connectionId").asText());
    assertThat(found.has("session")).isTrue();
    assertThat(found.path("session").isNull()).as("a clean start keeps no session").isTrue();
    client.disconnect().waitForCompletion(10_000);
  }

  @Test
  void anOfflinePersistentSessionShowsItsExpirySubscriptionsAndQueue() throws Exception {
    String car = cluster.clientIdRoutedBy(1, "vin-offline");
    try (RawMqttClient device = new RawMqttClient(a.mqttPort())) {
      device.send(MqttPackets.connect(car, false));
      assertThat(device.read().type()).isEqualTo(RawMqttClient.CONNACK);
      device.send(MqttPackets.packet(0x82, MqttPackets.concat(new byte[] {0, 1},
          MqttPackets.string("DL/" + car + "/#"), new byte[] {1})));
      assertThat(device.read().type()).isEqualTo(RawMqttClient.SUBACK);
      device.send(MqttPackets.disconnect());
    }
    String correlation = "admin-queued-" + car;
    Downlink.send(TestBridge.downlinkTopic(cluster.deployment()), car, "later".getBytes(StandardCharsets.UTF_8),
        "mqtt.topic", "DL/" + car + "/cmd", "correlation.id", correlation);
    assertThat(Downlink.receipts(TestBridge.receiptsTopic(cluster.deployment()), correlation, 1,
        Duration.ofSeconds(30))).extracting(Receipt::status).containsExactly(Receipt.Status.QUEUED);

    JsonNode session = viaA.json("/admin/v1/clients/" + car).path("session");

    assertThat(session.path("expiryInterval").asLong()).as("sessions.maxExpiry, 30 days").isEqualTo(2_592_000L);
    assertThat(session.path("expiresAt").asLong()).isGreaterThan(System.currentTimeMillis());
    assertThat(session.path("subscriptions").toString()).isEqualTo("[{\"filter\":\"DL/" + car + "/#\",\"qos\":1}]");
    assertThat(session.path("queued").asInt()).isEqualTo(1);
    assertThat(session.path("queuedBytes").asLong()).isPositive();
  }

  @Test
  void aClientThatIsNotConnectedIsReportedSoWithItsPartitionsRouter() throws Exception {
    JsonNode absent = viaA.json("/admin/v1/clients/never-seen-car");

    assertThat(absent.path("connected").asBoolean()).isFalse();
    assertThat(absent.path("instance").isNull()).isTrue();
    assertThat(absent.path("router").path("connected").asBoolean()).isFalse();
    assertThat(absent.path("router").path("partition").asInt()).isEqualTo(TestCluster.partitionOf("never-seen-car"));
  }

  @Test
  void disconnectThroughOneInstanceClosesTheConnectionOnTheOther() throws Exception {
    String car = "vin-kick";
    MqttAsyncClient client = Clients.v5(b.mqttPort(), car);
    AtomicInteger reason = new AtomicInteger(-1);
    client.setCallback(new V5Callback() {
      @Override
      public void disconnected(MqttDisconnectResponse response) {
        reason.set(response.getReturnCode());
      }
    });

    HttpResponse<String> response = viaA.send("DELETE", "/admin/v1/clients/" + car + "/connection");

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode body = AdminHttp.parse(response.body());
    assertThat(body.path("disconnected").asBoolean()).isTrue();
    assertThat(body.path("instance").asText()).isEqualTo(b.config().bridge().id());
    await().atMost(Duration.ofSeconds(10)).until(() -> reason.get() >= 0);
    assertThat(reason.get()).as("DISCONNECT 0x98 Administrative action").isEqualTo(0x98);
    await().atMost(Duration.ofSeconds(10)).until(() -> !viaA.json("/admin/v1/clients/" + car).path("connected")
        .asBoolean());
    assertThat(Metrics.value(Metrics.scrape(b.httpPort()), "mqtt_bridge_connections_closed_total", "reason=\"admin\""))
        .isEqualTo(1);
  }

  @Test
  void disconnectingAClientThatIsNotConnectedIsNotFound() throws Exception {
    HttpResponse<String> response = viaA.send("DELETE", "/admin/v1/clients/nobody-here/connection");

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(AdminHttp.parse(response.body()).path("message").asText())
        .isEqualTo("client nobody-here is not connected to any instance that answered");
  }

  @Test
  void uplinkTestNamesTheRuleTheKafkaTopicAndTheKeyOrWhyItIsRefused() throws Exception {
    JsonNode own = viaA.json("/admin/v1/test/uplink?clientId=car-7&topic=UL/car-7/pos");
    assertThat(own.path("outcome").asText()).isEqualTo("written");
    assertThat(own.path("rule").path("name").asText()).isEqualTo("own");
    assertThat(own.path("kafkaTopic").asText()).isEqualTo(TOPIC);
    assertThat(own.path("key").asText()).isEqualTo("pos");

    assertThat(reason("/admin/v1/test/uplink?clientId=car-7&topic=UL/car-8/pos")).isEqualTo("not_authorized");
    assertThat(reason("/admin/v1/test/uplink?clientId=car-7&topic=OTHER/x")).isEqualTo("no_rule");
    assertThat(reason("/admin/v1/test/uplink?clientId=car-7&topic=RAW/a%2Fb")).isEqualTo("invalid_kafka_topic");
    assertThat(reason("/admin/v1/test/uplink?clientId=car-7&topic=UL/%2B/x")).isEqualTo("invalid_topic");
    assertThat(reason("/admin/v1/test/uplink?clientId=car-7&topic=" + "a/".repeat(20) + "b"))
        .isEqualTo("topic_levels");
  }

  @Test
  void subscriptionTestSaysWhichAllowedFilterCoversTheFilter() throws Exception {
    JsonNode own = viaA.json("/admin/v1/test/subscription?clientId=car-7&filter=DL/car-7/%23&qos=2");
    assertThat(own.path("outcome").asText()).isEqualTo("granted");
    assertThat(own.path("grantedQos").asInt()).isEqualTo(1);
    assertThat(own.path("allowedBy").asText()).isEqualTo("DL/${clientId}/#");

    JsonNode other = viaA.json("/admin/v1/test/subscription?clientId=car-7&filter=DL/car-8/%23");
    assertThat(other.path("outcome").asText()).isEqualTo("refused");
    assertThat(other.path("reason").asText()).isEqualTo("not_authorized");
    assertThat(viaA.json("/admin/v1/test/subscription?clientId=c&filter=a/%23/b").path("reason").asText())
        .isEqualTo("invalid_filter");
  }

  @Test
  void badRequestsGetAJsonErrorThatNamesTheProblemAndNoStackTrace() throws Exception {
    assertError(viaA.get("/admin/v1/test/uplink?clientId=car-7"), 400, "topic: the query parameter is required");
    assertError(viaA.get("/admin/v1/test/subscription?clientId=c&filter=x&qos=7"), 400,
        "qos: must be 0, 1 or 2, was \"7\"");
    assertError(viaA.get("/admin/v1/clients/not%20a%20client%20id"), 400,
        "clientId: not a client id this bridge accepts");
    assertError(viaA.get("/admin/v1/no-such-thing"), 404, "no such resource: /admin/v1/no-such-thing");
    assertError(viaA.send("POST", "/admin/v1/cluster"), 405, "method POST not allowed");
  }

  @Test
  void withoutTheRightTokenEveryApiPathIsRefusedButTheDocumentIsServed() throws Exception {
    for (AdminHttp caller : List.of(viaA.withToken(null), viaA.withToken("guess"))) {
      for (String path : List.of("/admin/v1/cluster", "/admin/v1/clients/car-1", "/admin/v1/test/uplink",
          "/admin/v1/no-such-thing")) {
        HttpResponse<String> refused = caller.get(path);
        assertError(refused, 401, "token");
        assertThat(refused.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v)
            .startsWith("Bearer"));
      }
      assertThat(caller.send("DELETE", "/admin/v1/clients/car-1/connection").statusCode()).isEqualTo(401);
      assertThat(caller.get("/admin/v1/openapi.yaml").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void theOpenApiDocumentDescribesEveryRouteTheApiServes() throws Exception {
    HttpResponse<String> document = viaA.withToken(null).get("/admin/v1/openapi.yaml");
    JsonNode openApi = new YAMLMapper().readTree(document.body());

    assertThat(openApi.path("openapi").asText()).startsWith("3.");
    assertThat(openApi.path("servers").get(0).path("url").asText()).isEqualTo("/admin/v1");
    List<String> operations = new ArrayList<>();
    openApi.path("paths").properties().forEach(path -> path.getValue().properties()
        .forEach(op -> operations.add(op.getKey().toUpperCase() + " " + path.getKey())));
    assertThat(operations).containsExactlyInAnyOrder("GET /openapi.yaml", "GET /cluster", "GET /clients/{clientId}",
        "DELETE /clients/{clientId}/connection", "GET /test/uplink", "GET /test/subscription");
    for (String operation : operations) {
      // Each described operation is served: answered, or refused for its parameters, never unknown.
      String[] parts = operation.split(" ");
      String path = parts[1].replace("{clientId}", "doc-car") + (parts[1].startsWith("/test") ? "?clientId=c" : "");
      HttpResponse<String> response = viaA.send(parts[0], "/admin/v1" + path);
      assertThat(response.statusCode()).as(operation).isIn(200, 400, 404);
      assertThat(response.body()).as(operation).doesNotContain("no such resource");
    }
  }

  @Test
  void aNewTokenInTheTokenFileIsTakenWithoutARestart() throws Exception {
    String next = "next-month-token";
    Files.writeString(tokenFile, TOKEN + "\n" + next + "\n");
    await().atMost(Duration.ofSeconds(10)).until(() -> viaA.withToken(next).get("/admin/v1/cluster").statusCode() == 200);

    Files.writeString(tokenFile, next + "\n");
    await().atMost(Duration.ofSeconds(10)).until(() -> viaA.get("/admin/v1/cluster").statusCode() == 401);
    Files.writeString(tokenFile, TOKEN + "\n");
    await().atMost(Duration.ofSeconds(10)).until(() -> viaA.get("/admin/v1/cluster").statusCode() == 200);
  }

  @Test
  void theAdminApiIsNotServedOnTheMqttPorts() throws Exception {
    int webSocket = a.port(Transport.WEBSOCKET);
    assertThat(webSocket).isPositive();

    for (int mqttPort : List.of(webSocket, a.mqttPort())) {
      HttpResponse<String> response;
      try {
        response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + mqttPort + "/admin/v1/cluster"))
            .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(3)).build(),
            HttpResponse.BodyHandlers.ofString());
      } catch (IOException noHttpAnswer) {
        continue; // the MQTT listener closed the connection or never answered: not served there
      }
      assertThat(response.statusCode()).isNotEqualTo(200);
      assertThat(response.body()).doesNotContain("instances");
    }
  }

  private static String reason(String path) throws Exception {
    JsonNode test = viaA.json(path);
    assertThat(test.path("outcome").asText()).as(path).isEqualTo("refused");
    return test.path("reason").asText();
  }

  private static void assertError(HttpResponse<String> response, int status, String message) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    JsonNode error = AdminHttp.parse(response.body());
    assertThat(error.path("status").asInt()).isEqualTo(status);
    assertThat(error.path("message").asText()).contains(message);
    assertThat(response.body()).doesNotContain("Exception").doesNotContain("\tat ");
  }
}
