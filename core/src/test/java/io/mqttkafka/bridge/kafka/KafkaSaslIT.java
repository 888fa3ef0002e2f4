package io.mqttkafka.bridge.kafka;

import io.mqttkafka.bridge.devkafka.EmbeddedKafka;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.records.Receipt;
import io.mqttkafka.bridge.testkit.Clients;
import io.mqttkafka.bridge.testkit.Received;
import io.mqttkafka.bridge.testsupport.TestBridge;
import io.mqttkafka.bridge.testkit.TestKafka;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridge against a Kafka that authenticates with SASL/SCRAM-SHA-512 and authorises with ACLs
 * (KRaft's StandardAuthorizer): with exactly the ACLs docs/security.md lists for the bridge's principal, it
 * creates its internal topics, publishes uplink, routes downlink and writes receipts; with a wrong
 * password it stops at start-up with a clear error.
 *
 * <p>The broker (its own, in this JVM) has two client listeners: PLAINTEXT, whose anonymous principal
 * is a super user (the test's own admin, producer and consumer), and SASL_PLAINTEXT for the bridge,
 * which authenticates as User:bridge. The SCRAM credential is created through the Admin API
 * (alterUserScramCredentials), as an operator would.
 */
class KafkaSaslIT {

  private static final String USER = "bridge";
  private static final String PASSWORD = "bridge-secret";
  private static final String SCRAM_LOGIN = "org.apache.kafka.common.security.scram.ScramLoginModule";

  @TempDir
  static Path dataDir;
  private static EmbeddedKafka kafka;
  private static String saslBootstrap;
  private static Admin admin;
  private static Map<String, String> deployment;
  private static String uplinkTopic;

  @BeforeAll
  static void startBroker() throws Exception {
    int plainPort = freePort();
    int saslPort = freePort();
    int controllerPort = freePort();
    Map<String, String> overrides = new HashMap<>();
    overrides.put("listeners", "PLAINTEXT://127.0.0.1:" + plainPort + ",SASL_PLAINTEXT://127.0.0.1:" + saslPort
        + ",CONTROLLER://127.0.0.1:" + controllerPort);
    overrides.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + plainPort + ",SASL_PLAINTEXT://127.0.0.1:"
        + saslPort);
    overrides.put("listener.security.protocol.map",
        "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT");
    overrides.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
    overrides.put("listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config", SCRAM_LOGIN + " required;");
    overrides.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
    // The PLAINTEXT and CONTROLLER listeners' principal: the broker itself and the test's clients.
    overrides.put("super.users", "User:ANONYMOUS");
    kafka = EmbeddedKafka.start(dataDir, plainPort, controllerPort, overrides);
    saslBootstrap = "127.0.0.1:" + saslPort;
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));

    admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(USER,
        new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), PASSWORD))).all().get(30, TimeUnit.SECONDS);
    deployment = TestBridge.isolated();
    uplinkTopic = TestKafka.uniqueTopic("sasl-uplink");
    admin.createTopics(List.of(new NewTopic(uplinkTopic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
    admin.createAcls(bridgeAcls()).all().get(30, TimeUnit.SECONDS);
  }

  /**
   * Exactly the table of docs/security.md ("Kafka credentials and ACLs"), for a bridge that creates its internal
   * topics itself (CREATE on those topic names; pre-created topics need none) and runs an idempotent
   * producer (WRITE on a topic is enough for that; no IDEMPOTENT_WRITE on the cluster).
   */
  private static List<AclBinding> bridgeAcls() {
    String subscriptions = deployment.get("MQTT_BRIDGE_KAFKA_TOPICS_SUBSCRIPTIONS");
    String downlink = deployment.get("MQTT_BRIDGE_KAFKA_TOPICS_DOWNLINK");
    String receipts = deployment.get("MQTT_BRIDGE_KAFKA_TOPICS_RECEIPTS");
    String deadLetter = deployment.get("MQTT_BRIDGE_KAFKA_TOPICS_DEAD_LETTER");
    String sessions = deployment.get("MQTT_BRIDGE_KAFKA_TOPICS_SESSIONS");
    String group = deployment.get("MQTT_BRIDGE_KAFKA_CONSUMER_GROUP_ID");
    List<AclBinding> acls = new ArrayList<>();
    acls.add(allow(ResourceType.TOPIC, uplinkTopic, AclOperation.WRITE));
    acls.add(allow(ResourceType.TOPIC, deadLetter, AclOperation.WRITE));
    acls.add(allow(ResourceType.TOPIC, subscriptions, AclOperation.READ));
    acls.add(allow(ResourceType.TOPIC, subscriptions, AclOperation.WRITE));
    acls.add(allow(ResourceType.TOPIC, downlink, AclOperation.READ));
    acls.add(allow(ResourceType.TOPIC, downlink, AclOperation.WRITE));
    acls.add(allow(ResourceType.TOPIC, sessions, AclOperation.READ));
    acls.add(allow(ResourceType.TOPIC, sessions, AclOperation.WRITE));
    acls.add(allow(ResourceType.TOPIC, receipts, AclOperation.WRITE));
    acls.add(allow(ResourceType.GROUP, group, AclOperation.READ));
    for (String internal : List.of(subscriptions, downlink, receipts, deadLetter, sessions)) {
      acls.add(allow(ResourceType.TOPIC, internal, AclOperation.CREATE));
    }
    return acls;
  }

  private static AclBinding allow(ResourceType type, String name, AclOperation operation) {
    return new AclBinding(new ResourcePattern(type, name, PatternType.LITERAL),
        new AccessControlEntry("User:" + USER, "*", operation, AclPermissionType.ALLOW));
  }

  @AfterAll
  static void stopBroker() {
    if (admin != null) {
      admin.close(Duration.ofSeconds(5));
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  private static String yaml(String password) {
    return """
        kafka:
          common:
            security.protocol: SASL_PLAINTEXT
            sasl.mechanism: SCRAM-SHA-512
            sasl.jaas.config: '%s required username="%s" password="%s";'
        mappings:
          uplink: [{ match: "^UL/(.+)$", topic: "%s" }]
        """.formatted(SCRAM_LOGIN, USER, password, uplinkTopic);
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void withTheDocumentedAclsTheBridgePublishesUplinkRoutesDownlinkAndWritesReceipts() throws Exception {
    Bridge bridge = TestBridge.start(yaml(PASSWORD), deployment, saslBootstrap);
    try {
      await().atMost(Duration.ofSeconds(60)).until(bridge::ready);
      MqttAsyncClient car = Clients.v3(bridge.mqttPort(), "car-sasl");
      Received received = new Received();
      car.setCallback(received);
      car.subscribe("DL/#", 1).waitForCompletion(10_000);
      car.publish("UL/pos", "52.5,13.4".getBytes(StandardCharsets.UTF_8), 1, false).waitForCompletion(10_000);

      List<ConsumerRecord<String, byte[]>> uplink = consume(uplinkTopic, 1);
      assertThat(uplink).singleElement().satisfies(r -> {
        assertThat(r.key()).isEqualTo("car-sasl");
        assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo("52.5,13.4");
      });

      // The router may not have read the SUBSCRIBE yet: send until one arrives (each gets a receipt).
      String downlinkTopic = TestBridge.downlinkTopic(deployment);
      Received.Message message = null;
      for (int attempt = 0; attempt < 30 && message == null; attempt++) {
        sendDownlink(downlinkTopic, "car-sasl", "warn-" + attempt);
        message = received.next(1_000);
      }
      assertThat(message).isNotNull();
      assertThat(message.topic()).isEqualTo("DL/WARN");

      List<Receipt> receipts = consume(TestBridge.receiptsTopic(deployment), Integer.MAX_VALUE).stream()
          .map(r -> Receipt.fromJson(r.value())).toList();
      assertThat(receipts).extracting(Receipt::status).contains(Receipt.Status.DELIVERED);
      car.disconnect().waitForCompletion(5_000);
    } finally {
      bridge.stop();
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void theAuthorizerDeniesTheBridgesPrincipalWhatNoAclAllows() throws Exception {
    // Without this the test above would prove nothing about the ACL list.
    String other = TestKafka.uniqueTopic("sasl-other");
    admin.createTopics(List.of(new NewTopic(other, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, saslBootstrap);
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    config.put("security.protocol", "SASL_PLAINTEXT");
    config.put("sasl.mechanism", "SCRAM-SHA-512");
    config.put("sasl.jaas.config", SCRAM_LOGIN + " required username=\"" + USER + "\" password=\"" + PASSWORD + "\";");
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config)) {
      Throwable denied = catchThrowable(() -> producer.send(new ProducerRecord<>(other, "k", new byte[] {1}))
          .get(30, TimeUnit.SECONDS));
      assertThat(denied).hasRootCauseInstanceOf(TopicAuthorizationException.class);
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void aWrongPasswordStopsTheStartWithAClearError() {
    Throwable failure = catchThrowable(() -> TestBridge.start(yaml("guess"), TestBridge.isolated(), saslBootstrap));

    assertThat(failure).isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("Kafka refused the bridge's credentials (check the sasl.* and ssl.* settings in"
            + " kafka.common, kafka.producer and kafka.consumer): ")
        .hasMessageContaining("SCRAM-SHA-512");
  }

  private static void sendDownlink(String topic, String clientId, String correlationId) throws Exception {
    RecordHeaders headers = new RecordHeaders();
    headers.add("mqtt.topic", "DL/WARN".getBytes(StandardCharsets.UTF_8));
    headers.add("mqtt.qos", "1".getBytes(StandardCharsets.UTF_8));
    headers.add("correlation.id", correlationId.getBytes(StandardCharsets.UTF_8));
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
      producer.send(new ProducerRecord<>(topic, null, clientId, "WATER AHEAD".getBytes(StandardCharsets.UTF_8),
          headers)).get(30, TimeUnit.SECONDS);
    }
  }

  /** Reads {@code topic} from the beginning through the PLAINTEXT listener until {@code count} records (at most 20 s). */
  private static List<ConsumerRecord<String, byte[]>> consume(String topic, int count) {
    List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false))) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(count == Integer.MAX_VALUE ? 3 : 20).toNanos();
      while (records.size() < count && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
    }
    return records;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return socket.getLocalPort();
    }
  }
}
