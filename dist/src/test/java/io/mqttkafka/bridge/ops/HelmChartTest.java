package io.mqttkafka.bridge.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import com.marcnuri.helm.jni.NativeLibrary;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.config.AuthSettings;
import io.mqttkafka.bridge.config.MappingSettings;
import io.mqttkafka.bridge.config.MqttSettings;
import io.mqttkafka.bridge.config.UplinkRule;
import io.mqttkafka.bridge.config.ConfigException;
import io.mqttkafka.bridge.config.ConfigLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lints and renders helm/mqtt-kafka-bridge with the real helm (helm-java: helm compiled into a
 * native library that Maven fetches, so no helm needs to be installed), then checks the rendered
 * objects: once with the default values and once with TLS, autoscaling and the ServiceMonitor on
 * (src/test/resources/helm/tls-autoscaling-values.yaml).
 */
class HelmChartTest {

  private static final Path CHART = Path.of(System.getProperty("project.root", ".."), "helm", "mqtt-kafka-bridge");
  private static final Path TLS_AUTOSCALING_VALUES = Path.of("src", "test", "resources", "helm",
      "tls-autoscaling-values.yaml");
  private static final String RELEASE = "edge";
  private static final String NAMESPACE = "iot";
  private static final String FULLNAME = "edge-mqtt-kafka-bridge";
  /**
   * helm-java's helm is built without the Kubernetes version stamp, so `helm template` would assume
   * v1.20, below the chart's kubeVersion; say which cluster we render for, as a CD pipeline would.
   */
  private static final String KUBE_VERSION = "1.30.0";
  private static final YAMLMapper YAML = RenderedChart.YAML;

  /**
   * Sections the chart writes to config.yaml that the bridge is still gaining in parallel work. While
   * the bridge does not know one yet ("unknown key"), the cross-check drops it and validates the rest;
   * once it does, its keys are validated like any other. (shutdown.drainPeriod comes as an
   * environment variable, which the bridge ignores until it knows the key.)
   */
  private static final List<String> KEYS_BEING_ADDED = List.of("cluster.kubernetes");

  private static RenderedChart defaults;
  private static RenderedChart tlsAutoscaling;

  @BeforeAll
  static void render() throws IOException {
    defaults = RenderedChart.parse(FULLNAME, template(UnaryOperator.identity()));
    tlsAutoscaling = RenderedChart.parse(FULLNAME, template(t -> t.withValuesFile(TLS_AUTOSCALING_VALUES)));
  }

  private static String template(UnaryOperator<TemplateCommand> options) {
    return options.apply(new Helm(CHART).template().withName(RELEASE).withNamespace(NAMESPACE)
        .withKubeVersion(KUBE_VERSION)).call();
  }

  @Test
  void helmComesFromTheBuildClasspathNotFromADownloadAtRunTime() {
    // helm-java falls back to downloading a native jar when none is on the classpath; CI must not.
    assertThat(NativeLibrary.serviceProviderLibrary(HelmChartTest.class.getClassLoader()))
        .as("a helm-java native library for this OS/arch among the test dependencies").isNotNull();
    assertThat(Helm.version().call()).startsWith("v3.");
  }

  @Test
  void chartPassesStrictHelmLint() {
    LintResult lint = new Helm(CHART).lint().strict().call();

    assertThat(lint.isFailed()).as("helm lint --strict: %s", lint.getMessages()).isFalse();
  }

  @Test
  void defaultValuesRenderTheCoreObjectsAndNoOptionalOnes() {
    assertThat(defaults.names()).containsExactlyInAnyOrder(
        "ServiceAccount/" + FULLNAME,
        "ConfigMap/" + FULLNAME,
        "ConfigMap/" + FULLNAME + "-dashboard",
        "Role/" + FULLNAME,
        "RoleBinding/" + FULLNAME,
        "Service/" + FULLNAME,
        "Service/" + FULLNAME + "-http",
        "Service/" + FULLNAME + "-hazelcast",
        "Deployment/" + FULLNAME,
        "PodDisruptionBudget/" + FULLNAME);
    assertThat(tlsAutoscaling.names()).contains(
        "HorizontalPodAutoscaler/" + FULLNAME, "ServiceMonitor/" + FULLNAME);
  }

  @Test
  void deploymentOpensMqttHttpAndHazelcastPortsAndMqttsOnlyWithTls() {
    assertThat(defaults.containerPorts()).containsExactly(
        entry("mqtt", 1883), entry("http", 9090), entry("hazelcast", 5701));
    assertThat(tlsAutoscaling.containerPorts()).containsExactly(
        entry("mqtt", 1883), entry("mqtts", 8883), entry("http", 9090), entry("hazelcast", 5701));
  }

  @Test
  void probesCallTheHealthEndpointsOnPortHttp() {
    JsonNode c = defaults.container();

    assertThat(c.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/health/live");
    assertThat(c.at("/livenessProbe/httpGet/port").asText()).isEqualTo("http");
    assertThat(c.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/health/ready");
    assertThat(c.at("/readinessProbe/httpGet/port").asText()).isEqualTo("http");
    assertThat(c.at("/startupProbe/httpGet/path").asText()).isEqualTo("/health/live");
    assertThat(c.at("/startupProbe/httpGet/port").asText()).isEqualTo("http");
  }

  @Test
  void environmentPointsAtTheConfigFileAndTheClusterHostIsThePodIp() {
    JsonNode env = defaults.env();

    assertThat(env.at("/MQTT_BRIDGE_CONFIG/value").asText()).isEqualTo("/etc/mqtt-kafka-bridge/config.yaml");
    assertThat(env.at("/MQTT_BRIDGE_CLUSTER_HOST/valueFrom/fieldRef/fieldPath").asText()).isEqualTo("status.podIP");
    JsonNode configMount = defaults.volumeMount("config");
    assertThat(configMount.path("mountPath").asText()).isEqualTo("/etc/mqtt-kafka-bridge/config.yaml");
    assertThat(configMount.path("subPath").asText()).isEqualTo("config.yaml");
    assertThat(defaults.volume("config").at("/configMap/name").asText()).isEqualTo(FULLNAME);
  }

  @Test
  void gracePeriodIsTheDrainPeriodPlusThirtySeconds() {
    assertThat(defaults.env().at("/MQTT_BRIDGE_SHUTDOWN_DRAIN_PERIOD/value").asText()).isEqualTo("30s");
    assertThat(defaults.podSpec().path("terminationGracePeriodSeconds").asInt()).isEqualTo(60);

    assertThat(tlsAutoscaling.env().at("/MQTT_BRIDGE_SHUTDOWN_DRAIN_PERIOD/value").asText())
        .isEqualTo("45s");
    assertThat(tlsAutoscaling.podSpec().path("terminationGracePeriodSeconds").asInt()).isEqualTo(75);
  }

  @Test
  void podRunsAsTheImagesNonRootUserOnAReadOnlyRootWithWritableTmpAndData() throws IOException {
    JsonNode pod = defaults.podSpec().path("securityContext");
    JsonNode container = defaults.container().path("securityContext");

    assertThat(pod.path("runAsNonRoot").asBoolean()).isTrue();
    assertThat(pod.path("runAsUser").asInt()).isEqualTo(10001).isEqualTo(DockerfileTest.runtimeUid());
    assertThat(container.path("readOnlyRootFilesystem").asBoolean()).isTrue();
    assertThat(container.path("allowPrivilegeEscalation").asBoolean()).isFalse();
    for (String name : List.of("tmp", "data")) {
      assertThat(defaults.volume(name).has("emptyDir")).as("volume %s is an emptyDir", name).isTrue();
    }
    assertThat(defaults.volumeMount("tmp").path("mountPath").asText()).isEqualTo("/tmp");
    assertThat(defaults.volumeMount("data").path("mountPath").asText())
        .isEqualTo("/opt/mqtt-kafka-bridge/data");
  }

  @Test
  void configMapHoldsTheBridgeConfigurationFromTheDefaultValues() throws IOException {
    JsonNode config = defaults.bridgeConfig();

    assertThat(config.at("/kafka/bootstrapServers").asText()).isEqualTo("kafka:9092");
    assertThat(config.at("/kafka/topics")).isEqualTo(YAML.readTree(
        "{subscriptions: mqtt.subscriptions, downlink: mqtt.downlink, receipts: mqtt.receipts,"
            + " deadLetter: mqtt.deadletter}"));
    assertThat(config.at("/kafka/internalTopics/partitions").asInt()).isEqualTo(12);
    assertThat(config.at("/mappings/uplink")).isEqualTo(YAML.readTree(
        "[{name: uplink, match: '^UL/(.+)$', topic: cs.uplink, key: '${clientId}'}]"));
    assertThat(config.at("/mappings/unmatched").asText()).isEqualTo("reject");
    assertThat(config.at("/mappings/downlink/filters")).isEqualTo(YAML.readTree("[DL/#]"));
    assertThat(config.at("/mqtt/port").asInt()).isEqualTo(1883);
    assertThat(config.at("/http/port").asInt()).isEqualTo(9090);
    assertThat(config.at("/cluster/enabled").asBoolean()).isTrue();
    assertThat(config.at("/cluster/port").asInt()).isEqualTo(5701);
    assertThat(config.at("/cluster/name").asText()).isEqualTo(FULLNAME);
    assertThat(config.at("/cluster/kubernetes/enabled").asBoolean()).isTrue();
    assertThat(config.at("/cluster/kubernetes/serviceDns").asText())
        .isEqualTo(FULLNAME + "-hazelcast." + NAMESPACE + ".svc.cluster.local");
    // Chart-only values never reach the bridge, which refuses unknown keys.
    assertThat(config.path("kafka").has("existingSecret")).isFalse();
    assertThat(config.path("kafka").has("secretEnv")).isFalse();
    assertThat(config.path("mqtt").has("tls")).isFalse();
  }

  @Test
  void configMapHoldsTheMappingRulesTopicsAndTlsFilesFromAValuesFile() throws IOException {
    JsonNode config = tlsAutoscaling.bridgeConfig();

    assertThat(config.at("/kafka/bootstrapServers").asText()).isEqualTo("kafka-0.kafka:9093,kafka-1.kafka:9093");
    assertThat(config.at("/kafka/producer")).isEqualTo(YAML.readTree(
        "{security.protocol: SASL_SSL, sasl.mechanism: SCRAM-SHA-512}"));
    assertThat(config.at("/kafka/topics/downlink").asText()).isEqualTo("fleet.downlink");
    assertThat(config.at("/kafka/topics/subscriptions").asText()).isEqualTo("mqtt.subscriptions");
    assertThat(config.at("/mappings/uplink")).isEqualTo(YAML.readTree("""
        - {name: telemetry, match: '^UL/TEL/(.+)$', topic: fleet.telemetry}
        - {name: position, match: '^POS/([^/]+)/(.+)$', topic: fleet.position.$1, key: '${clientId}-$2'}
        """));
    assertThat(config.at("/mappings/unmatched").asText()).isEqualTo("deadletter");
    assertThat(config.at("/mappings/downlink/filters")).isEqualTo(YAML.readTree("[DL/#, 'CMD/${clientId}/#']"));
    assertThat(config.at("/mqtt/tls")).isEqualTo(YAML.readTree("""
        enabled: true
        port: 8883
        certFile: /etc/mqtt-kafka-bridge/tls/tls.crt
        keyFile: /etc/mqtt-kafka-bridge/tls/tls.key
        caFile: /etc/mqtt-kafka-bridge/tls/ca.crt
        clientAuth: required
        """));
    assertThat(config.at("/cluster/kubernetes/enabled").asBoolean()).isTrue();
  }

  @Test
  void renderedConfigPassesTheBridgesOwnValidation(@TempDir Path dir) throws Exception {
    BridgeConfig plain = loadAsThePodWould(defaults, dir.resolve("default.yaml"));
    assertThat(plain.kafka().bootstrapServers()).isEqualTo("kafka:9092");
    assertThat(plain.cluster().host()).isEqualTo("10.1.2.3");
    assertThat(plain.cluster().enabled()).isTrue();
    assertThat(plain.mqtt().plainEnabled()).isTrue();
    assertThat(plain.mqtt().tlsNeeded()).isFalse();

    // The bridge reads the certificate files when it starts, so the configuration loads here,
    // where the Secret is not mounted.
    BridgeConfig tls = loadAsThePodWould(tlsAutoscaling, dir.resolve("tls.yaml"));
    assertThat(tls.mappings().uplink()).extracting(UplinkRule::name)
        .containsExactly("telemetry", "position");
    assertThat(tls.kafka().producer()).containsEntry("sasl.jaas.config", "<secret producer-jaas>");
    assertThat(tls.mappings().unmatched()).isEqualTo(MappingSettings.Unmatched.DEADLETTER);
    assertThat(tls.mqtt().tls().enabled()).isTrue();
    assertThat(tls.mqtt().tls().port()).isEqualTo(8883);
    assertThat(tls.mqtt().tls().clientAuth()).isEqualTo(MqttSettings.ClientAuth.REQUIRED);
    assertThat(tls.mqtt().tls().certFile()).contains(Path.of("/etc/mqtt-kafka-bridge/tls/tls.crt"));
    assertThat(tls.mqtt().tls().keyFile()).contains(Path.of("/etc/mqtt-kafka-bridge/tls/tls.key"));
    assertThat(tls.mqtt().tls().caFile()).contains(Path.of("/etc/mqtt-kafka-bridge/tls/ca.crt"));
  }

  @Test
  void webSocketListenersGetPortsAndSecureWebSocketTheTlsSecret(@TempDir Path dir) throws Exception {
    RenderedChart ws = RenderedChart.parse(FULLNAME, template(t -> t.set("mqtt.websocket.enabled", true)
        .set("mqtt.websocket.tls.enabled", true).set("tls.existingSecret", "bridge-tls")
        .set("mqtt.plain.enabled", false).set("mqtt.tls.protocols[0]", "TLSv1.3")));

    assertThat(ws.containerPorts()).containsExactly(
        entry("mqtt-ws", 8080), entry("mqtt-wss", 8443), entry("http", 9090), entry("hazelcast", 5701));
    JsonNode service = ws.object("Service", FULLNAME).path("spec");
    assertThat(RenderedChart.servicePorts(service)).containsExactly(entry("mqtt-ws", 8080), entry("mqtt-wss", 8443));
    assertThat(ws.volume("tls").at("/secret/secretName").asText()).isEqualTo("bridge-tls");
    assertThat(ws.volumeMount("tls").path("mountPath").asText()).isEqualTo("/etc/mqtt-kafka-bridge/tls");

    BridgeConfig config = loadAsThePodWould(ws, dir.resolve("ws.yaml"));
    assertThat(config.mqtt().plainEnabled()).isFalse();
    assertThat(config.mqtt().tls().enabled()).as("the MQTT over TLS listener").isFalse();
    assertThat(config.mqtt().tls().protocols()).containsExactly("TLSv1.3");
    assertThat(config.mqtt().tls().certFile()).contains(Path.of("/etc/mqtt-kafka-bridge/tls/tls.crt"));
    assertThat(config.mqtt().websocket()).isEqualTo(new MqttSettings.WebSocket(true, 8080, "/mqtt",
        config.mqtt().maxMessageSize() + 5, true, 8443));
  }

  @Test
  void aConfigChangeChangesThePodTemplateChecksum() {
    String plain = defaults.podTemplateAnnotation("checksum/config");
    String tls = tlsAutoscaling.podTemplateAnnotation("checksum/config");

    assertThat(plain).matches("[0-9a-f]{64}");
    assertThat(tls).matches("[0-9a-f]{64}").isNotEqualTo(plain);
    assertThat(RenderedChart.parse(FULLNAME, template(t -> t.set("mappings.unmatched", "drop"))).podTemplateAnnotation("checksum/config"))
        .isNotEqualTo(plain);
  }

  @Test
  void hazelcastServiceIsHeadlessAndListsPodsBeforeTheyAreReady() {
    JsonNode spec = defaults.object("Service", FULLNAME + "-hazelcast").path("spec");

    assertThat(spec.path("clusterIP").asText()).isEqualTo("None");
    assertThat(spec.path("publishNotReadyAddresses").asBoolean()).isTrue();
    assertThat(spec.at("/ports/0/port").asInt()).isEqualTo(5701);
    assertThat(spec.at("/ports/0/targetPort").asText()).isEqualTo("hazelcast");
    assertThat(spec.path("selector")).isEqualTo(defaults.deployment().at("/spec/selector/matchLabels"));
  }

  @Test
  void mqttServiceIsALoadBalancerByDefaultWithMqttsOnlyWithTls() {
    JsonNode plain = defaults.object("Service", FULLNAME).path("spec");
    assertThat(plain.path("type").asText()).isEqualTo("LoadBalancer");
    assertThat(plain.path("externalTrafficPolicy").asText()).isEqualTo("Cluster");
    assertThat(RenderedChart.servicePorts(plain)).containsExactly(entry("mqtt", 1883));

    JsonNode tls = tlsAutoscaling.object("Service", FULLNAME).path("spec");
    assertThat(tls.path("type").asText()).isEqualTo("NodePort");
    assertThat(tls.path("externalTrafficPolicy").asText()).isEqualTo("Local");
    assertThat(RenderedChart.servicePorts(tls)).containsExactly(entry("mqtt", 1883), entry("mqtts", 8883));
    assertThat(tls.at("/ports/1/targetPort").asText()).isEqualTo("mqtts");
  }

  @Test
  void managementServiceIsClusterIpOnPortHttp() {
    JsonNode spec = defaults.object("Service", FULLNAME + "-http").path("spec");

    assertThat(spec.path("type").asText()).isEqualTo("ClusterIP");
    assertThat(RenderedChart.servicePorts(spec)).containsExactly(entry("http", 9090));
    assertThat(spec.path("selector")).isEqualTo(defaults.deployment().at("/spec/selector/matchLabels"));
  }

  @Test
  void roleLetsThePodsServiceAccountReadWhatHazelcastDiscoveryNeeds() throws IOException {
    JsonNode rules = defaults.object("Role", FULLNAME).path("rules");
    assertThat(rules).containsExactlyInAnyOrder(
        YAML.readTree("{apiGroups: [''], resources: [endpoints, pods, services], verbs: [get, list, watch]}"),
        YAML.readTree("{apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [get, list, watch]}"));

    JsonNode binding = defaults.object("RoleBinding", FULLNAME);
    assertThat(binding.at("/roleRef/name").asText()).isEqualTo(FULLNAME);
    assertThat(binding.at("/roleRef/kind").asText()).isEqualTo("Role");
    assertThat(binding.at("/subjects/0/kind").asText()).isEqualTo("ServiceAccount");
    assertThat(binding.at("/subjects/0/name").asText())
        .isEqualTo(defaults.podSpec().path("serviceAccountName").asText())
        .isEqualTo(FULLNAME);
    assertThat(binding.at("/subjects/0/namespace").asText()).isEqualTo(NAMESPACE);
  }

  @Test
  void disruptionBudgetLetsOnePodGoAtATime() {
    JsonNode pdb = defaults.object("PodDisruptionBudget", FULLNAME);

    assertThat(pdb.path("apiVersion").asText()).isEqualTo("policy/v1");
    assertThat(pdb.at("/spec/maxUnavailable").asInt()).isEqualTo(1);
    assertThat(pdb.at("/spec/selector/matchLabels")).isEqualTo(defaults.deployment().at("/spec/selector/matchLabels"));
  }

  @Test
  void autoscalerOnlyWhenEnabledAndThenItOwnsTheReplicaCount() {
    assertThat(defaults.all("HorizontalPodAutoscaler")).isEmpty();
    assertThat(defaults.deployment().at("/spec/replicas").asInt()).isEqualTo(3);

    JsonNode hpa = tlsAutoscaling.object("HorizontalPodAutoscaler", FULLNAME);
    assertThat(hpa.path("apiVersion").asText()).isEqualTo("autoscaling/v2");
    assertThat(hpa.at("/spec/scaleTargetRef/kind").asText()).isEqualTo("Deployment");
    assertThat(hpa.at("/spec/scaleTargetRef/name").asText()).isEqualTo(FULLNAME);
    assertThat(hpa.at("/spec/minReplicas").asInt()).isEqualTo(3);
    assertThat(hpa.at("/spec/maxReplicas").asInt()).isEqualTo(12);
    assertThat(hpa.at("/spec/metrics/0/resource/name").asText()).isEqualTo("cpu");
    assertThat(hpa.at("/spec/metrics/0/resource/target/averageUtilization").asInt()).isEqualTo(60);
    assertThat(tlsAutoscaling.deployment().path("spec").has("replicas")).isFalse();
  }

  @Test
  void serviceMonitorOnlyWhenEnabledAndThenScrapesMetricsOnTheManagementService() {
    assertThat(defaults.all("ServiceMonitor")).isEmpty();

    JsonNode monitor = tlsAutoscaling.object("ServiceMonitor", FULLNAME);
    assertThat(monitor.path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
    assertThat(monitor.at("/metadata/labels/release").asText()).isEqualTo("kube-prometheus-stack");
    assertThat(monitor.at("/spec/endpoints/0/port").asText()).isEqualTo("http");
    assertThat(monitor.at("/spec/endpoints/0/path").asText()).isEqualTo("/metrics");
    // It selects the management Service and no other.
    List<String> selected = tlsAutoscaling.all("Service").stream()
        .filter(s -> RenderedChart.selects(monitor.at("/spec/selector/matchLabels"), s.at("/metadata/labels")))
        .map(s -> s.at("/metadata/name").asText())
        .toList();
    assertThat(selected).containsExactly(FULLNAME + "-http");
  }

  @Test
  void tlsSecretIsMountedOnlyWithTls() {
    assertThat(defaults.volumeNames()).doesNotContain("tls");
    assertThat(defaults.volumeMountNames()).doesNotContain("tls");

    assertThat(tlsAutoscaling.volume("tls").at("/secret/secretName").asText()).isEqualTo("bridge-tls");
    JsonNode mount = tlsAutoscaling.volumeMount("tls");
    assertThat(mount.path("mountPath").asText()).isEqualTo("/etc/mqtt-kafka-bridge/tls");
    assertThat(mount.path("readOnly").asBoolean()).isTrue();
  }

  @Test
  void sharedTicketKeysComeFromTheirSecretMountedWholeOnlyWhenNamed() {
    assertThat(tlsAutoscaling.volumeNames()).doesNotContain("tickets");
    assertThat(tlsAutoscaling.bridgeConfig().at("/mqtt/tls/ticketKeysFile").isMissingNode()).isTrue();

    RenderedChart shared = RenderedChart.parse(FULLNAME, template(t -> t.withValuesFile(TLS_AUTOSCALING_VALUES)
        .set("tls.ticketKeysSecret", "bridge-tickets")));

    assertThat(shared.volume("tickets").at("/secret/secretName").asText()).isEqualTo("bridge-tickets");
    JsonNode mount = shared.volumeMount("tickets");
    assertThat(mount.path("mountPath").asText()).isEqualTo("/etc/mqtt-kafka-bridge/tickets");
    assertThat(mount.path("readOnly").asBoolean()).isTrue();
    assertThat(mount.has("subPath")).as("the whole Secret, so that rotated keys arrive").isFalse();
    assertThat(shared.bridgeConfig().at("/mqtt/tls/ticketKeysFile").asText())
        .isEqualTo("/etc/mqtt-kafka-bridge/tickets/ticket.keys");
  }

  @Test
  void kafkaCredentialsComeFromTheExistingSecretUnderTheConfiguredKeys() {
    assertThat(defaults.env().properties()).extracting(Map.Entry::getKey)
        .noneMatch(name -> name.startsWith("MQTT_BRIDGE_KAFKA_"));

    JsonNode env = tlsAutoscaling.env();
    assertThat(env.at("/MQTT_BRIDGE_KAFKA_PRODUCER_SASL_JAAS_CONFIG/valueFrom/secretKeyRef")).isEqualTo(
        new ObjectMapper().createObjectNode().put("name", "kafka-credentials").put("key", "producer-jaas"));
    assertThat(env.at("/MQTT_BRIDGE_KAFKA_CONSUMER_SASL_JAAS_CONFIG/valueFrom/secretKeyRef")).isEqualTo(
        new ObjectMapper().createObjectNode().put("name", "kafka-credentials").put("key", "consumer-jaas"));
  }

  @Test
  void authenticationFilesComeFromTheExistingSecretAndTheRestIsPassedThrough(@TempDir Path dir) throws Exception {
    RenderedChart auth = RenderedChart.parse(FULLNAME, template(t -> t.set("auth.existingSecret", "bridge-auth")
        .set("auth.passwordFileKey", "passwd").set("auth.jwt.publicKeyKey", "idp.pem")
        .set("auth.jwt.audience", "mqtt").set("auth.allowAnonymous", false).set("auth.failureDelay", "2s")
        .set("tls.enabled", true).set("tls.existingSecret", "bridge-tls").set("tls.clientAuth", "request")
        .set("auth.certificate.enabled", true).set("auth.certificate.identity", "san-dns")
        .set("kafka.common.security\\.protocol", "SASL_SSL")));

    assertThat(auth.volume("auth").at("/secret/secretName").asText()).isEqualTo("bridge-auth");
    JsonNode mount = auth.volumeMount("auth");
    assertThat(mount.path("mountPath").asText()).isEqualTo("/etc/mqtt-kafka-bridge/auth");
    assertThat(mount.path("readOnly").asBoolean()).isTrue();
    assertThat(mount.has("subPath")).as("the whole Secret, so that a changed password file arrives").isFalse();
    JsonNode config = auth.bridgeConfig();
    assertThat(config.at("/auth/passwordFile").asText()).isEqualTo("/etc/mqtt-kafka-bridge/auth/passwd");
    assertThat(config.at("/auth/jwt/publicKeyFile").asText()).isEqualTo("/etc/mqtt-kafka-bridge/auth/idp.pem");
    assertThat(config.at("/kafka/common/security.protocol").asText()).isEqualTo("SASL_SSL");
    for (String chartOnly : List.of("/auth/existingSecret", "/auth/passwordFileKey", "/auth/jwt/jwksKey",
        "/auth/jwt/publicKeyKey")) {
      assertThat(config.at(chartOnly).isMissingNode()).as(chartOnly).isTrue();
    }

    // The bridge checks that the files exist: stand them in under a temporary directory.
    Files.writeString(dir.resolve("passwd"), "alice:$2y$05$IZwgITogLMX6IvasEcsf2OQGle7XQyKTcG/VVaCVA9zsjaoBRVNUm\n");
    Files.writeString(dir.resolve("idp.pem"), "checked when the bridge starts\n");
    BridgeConfig bridge = loadAsThePodWould(auth, dir.resolve("auth.yaml"),
        yaml -> yaml.replace("/etc/mqtt-kafka-bridge/auth/", dir + "/"));
    assertThat(bridge.auth().passwordFile()).contains(dir.resolve("passwd"));
    assertThat(bridge.auth().jwt().publicKeyFile()).contains(dir.resolve("idp.pem"));
    assertThat(bridge.auth().jwt().audience()).contains("mqtt");
    assertThat(bridge.auth().allowAnonymous()).isFalse();
    assertThat(bridge.auth().certificate()).isEqualTo(
        new AuthSettings.CertificateAuth(true, AuthSettings.CertificateIdentity.SAN_DNS));
    assertThat(bridge.kafka().producer()).containsEntry("security.protocol", "SASL_SSL");
    assertThat(bridge.kafka().consumer()).containsEntry("security.protocol", "SASL_SSL");
  }

  @Test
  void withoutAuthenticationValuesNothingIsMountedAndTheBridgeDefaultsApply(@TempDir Path dir) throws Exception {
    assertThat(defaults.volumeNames()).doesNotContain("auth");
    assertThat(defaults.volumeMountNames()).doesNotContain("auth");
    BridgeConfig plain = loadAsThePodWould(defaults, dir.resolve("default.yaml"));
    assertThat(plain.auth().anyMethod()).isFalse();
    assertThat(plain.auth().allowAnonymous()).isTrue();
  }

  @Test
  void adminTokenComesFromTheExistingSecretMountedWholeAndTheAdminApiIsOffByDefault(@TempDir Path dir)
      throws Exception {
    assertThat(defaults.volumeNames()).doesNotContain("admin");
    assertThat(defaults.bridgeConfig().at("/http/admin/enabled").asBoolean()).isFalse();
    assertThat(defaults.bridgeConfig().at("/http/admin/existingSecret").isMissingNode()).isTrue();
    assertThat(loadAsThePodWould(defaults, dir.resolve("default.yaml")).http().admin().enabled()).isFalse();

    RenderedChart admin = RenderedChart.parse(FULLNAME, template(t -> t.set("http.admin.enabled", true)
        .set("http.admin.existingSecret", "bridge-admin")));

    assertThat(admin.volume("admin").at("/secret/secretName").asText()).isEqualTo("bridge-admin");
    JsonNode mount = admin.volumeMount("admin");
    assertThat(mount.path("mountPath").asText()).isEqualTo("/etc/mqtt-kafka-bridge/admin");
    assertThat(mount.path("readOnly").asBoolean()).isTrue();
    assertThat(mount.has("subPath")).as("the whole Secret, so that a rotated token arrives").isFalse();
    JsonNode config = admin.bridgeConfig();
    assertThat(config.at("/http/admin/tokenFile").asText()).isEqualTo("/etc/mqtt-kafka-bridge/admin/token");
    assertThat(config.at("/http/admin/existingSecret").isMissingNode()).isTrue();
    assertThat(config.at("/http/admin/tokenKey").isMissingNode()).isTrue();
    // The bridge checks that the token file exists: stand it in under a temporary directory.
    Files.writeString(dir.resolve("token"), "a-token\n");
    BridgeConfig bridge = loadAsThePodWould(admin, dir.resolve("admin.yaml"),
        yaml -> yaml.replace("/etc/mqtt-kafka-bridge/admin/", dir + "/"));
    assertThat(bridge.http().admin().enabled()).isTrue();
    assertThat(bridge.http().admin().tokenFile()).contains(dir.resolve("token"));
    assertThatThrownBy(() -> template(t -> t.set("http.admin.enabled", true)))
        .hasMessageContaining("http.admin.existingSecret: must name a Secret");
  }

  @Test
  void grafanaDashboardChartsEveryBridgeMeter() throws IOException {
    JsonNode configMap = defaults.object("ConfigMap", FULLNAME + "-dashboard");
    assertThat(configMap.at("/metadata/labels/grafana_dashboard").asText()).isEqualTo("1");

    JsonNode dashboard = new ObjectMapper().readTree(configMap.at("/data/mqtt-kafka-bridge.json").asText());
    List<String> queries = dashboard.findValuesAsText("expr");
    List<String> meters = List.of(
        "mqtt_bridge_connections{", "rate(mqtt_bridge_connections_opened_total",
        "by (reason) (rate(mqtt_bridge_connections_refused_total",
        "by (reason) (rate(mqtt_bridge_connections_closed_total",
        "by (qos, outcome) (rate(mqtt_bridge_uplink_messages_total", "rate(mqtt_bridge_uplink_bytes_sum",
        "histogram_quantile(0.5, sum by (le) (rate(mqtt_bridge_uplink_latency_seconds_bucket",
        "histogram_quantile(0.99, sum by (le) (rate(mqtt_bridge_uplink_latency_seconds_bucket",
        "by (rule) (rate(mqtt_bridge_uplink_rule_messages_total",
        "by (rule, outcome) (rate(mqtt_bridge_uplink_rule_messages_total", "mqtt_bridge_config_reloads_total",
        "by (type) (rate(mqtt_bridge_protocol_errors_total",
        "by (outcome) (rate(mqtt_bridge_downlink_messages_total",
        "histogram_quantile(0.99, sum by (le) (rate(mqtt_bridge_downlink_latency_seconds_bucket",
        "mqtt_bridge_router_partitions{", "mqtt_bridge_router_clients{", "mqtt_bridge_router_rebuild_seconds",
        "mqtt_bridge_uplink_inflight_bytes{", "jvm_memory_used_bytes{");
    for (String meter : meters) {
      assertThat(queries).as("a dashboard query with %s", meter).anyMatch(q -> q.contains(meter));
    }
    List<JsonNode> panels = StreamSupport.stream(dashboard.path("panels").spliterator(), false)
        .filter(p -> !p.path("type").asText().equals("row"))
        .toList();
    assertThat(panels).allSatisfy(p -> {
      assertThat(p.at("/datasource/uid").asText()).isEqualTo("${datasource}");
      assertThat(p.path("targets")).isNotEmpty();
    });
    assertThat(panels.stream().map(p -> p.path("id").asInt()).distinct().count()).isEqualTo(panels.size());
  }

  @Test
  void valuesThatWouldBreakTheBridgeFailTheRenderNamingTheValue() {
    assertThatThrownBy(() -> template(t -> t.set("tls.enabled", true)))
        .hasMessageContaining("tls.existingSecret");
    assertThatThrownBy(() -> template(t -> t.set("kafka.bootstrapServers", "")))
        .hasMessageContaining("kafka.bootstrapServers");
    assertThatThrownBy(() -> template(t -> t.set("tls.enabled", true).set("tls.existingSecret", "s")
        .set("tls.clientAuth", "optional")))
        .hasMessageContaining("tls.clientAuth");
    assertThatThrownBy(() -> template(t -> t.set("mqtt.websocket.tls.enabled", true)))
        .hasMessageContaining("tls.existingSecret");
    assertThatThrownBy(() -> template(t -> t.set("mqtt.plain.enabled", false)))
        .hasMessageContaining("mqtt.plain.enabled: no MQTT listener is enabled");
    assertThatThrownBy(() -> template(t -> t.set("auth.passwordFileKey", "passwd")))
        .hasMessageContaining("auth.existingSecret: must name a Secret");
    assertThatThrownBy(() -> template(t -> t.set("auth.existingSecret", "a").set("auth.jwt.jwksKey", "jwks.json")
        .set("auth.jwt.publicKeyKey", "idp.pem")))
        .hasMessageContaining("auth.jwt.publicKeyKey: must not be set together with auth.jwt.jwksKey");
    assertThatThrownBy(() -> template(t -> t.set("auth.certificate.enabled", true)))
        .hasMessageContaining("auth.certificate.enabled: needs tls.enabled");
    assertThatThrownBy(() -> template(t -> t.set("auth.certificate.enabled", true).set("tls.enabled", true)
        .set("tls.existingSecret", "s")))
        .hasMessageContaining("auth.certificate.enabled: needs tls.enabled");
  }

  @Test
  void oneUnclusteredPodMayRunTheEmbeddedDevModeKafkaWithoutClusterObjects() throws IOException {
    RenderedChart dev = RenderedChart.parse(FULLNAME, template(t -> t.set("kafka.bootstrapServers", "").set("replicaCount", 1)
        .set("cluster.enabled", false)));

    assertThat(dev.bridgeConfig().at("/kafka/bootstrapServers").asText()).isEmpty();
    assertThat(dev.bridgeConfig().at("/cluster/enabled").asBoolean()).isFalse();
    assertThat(dev.names()).doesNotContain("Service/" + FULLNAME + "-hazelcast", "Role/" + FULLNAME,
        "RoleBinding/" + FULLNAME);
  }

  @Test
  void installNotesTellWhereDevicesAndMetricsAre() {
    // NOTES.txt is rendered only by install/upgrade: a client-only dry run needs no cluster.
    String notes = notes(new Helm(CHART).install().withValuesFile(TLS_AUTOSCALING_VALUES));

    assertThat(notes)
        .contains("3 to 12 pods")
        .contains("Kafka: kafka-0.kafka:9093,kafka-1.kafka:9093")
        .contains("port 1883 (TLS: 8883)")
        .contains("service/" + FULLNAME + "-http 9090")
        .contains("\"^POS/([^/]+)/(.+)$\" -> Kafka fleet.position.$1");
    assertThat(notes(new Helm(CHART).install()))
        .contains("(3 pods)")
        .contains(FULLNAME + "-hazelcast." + NAMESPACE + ".svc.cluster.local")
        .contains(".status.loadBalancer.ingress[0]");
  }

  private static String notes(InstallCommand install) {
    String output = install.withName(RELEASE).withNamespace(NAMESPACE).withKubeVersion(KUBE_VERSION)
        .clientOnly().dryRun().call().getOutput();
    assertThat(output).contains("NOTES:");
    return output.substring(output.indexOf("NOTES:"));
  }

  /**
   * Loads config.yaml with the environment the Deployment sets (the pod IP and Secret values
   * stand-ins), like the bridge in the pod would.
   */
  private static BridgeConfig loadAsThePodWould(RenderedChart rendered, Path file) throws Exception {
    return loadAsThePodWould(rendered, file, UnaryOperator.identity());
  }

  /** {@link #loadAsThePodWould(RenderedChart, Path)} with the config.yaml text edited first (file paths). */
  private static BridgeConfig loadAsThePodWould(RenderedChart rendered, Path file, UnaryOperator<String> edit)
      throws Exception {
    ObjectNode tree = rendered.bridgeConfig();
    Map<String, String> env = new HashMap<>();
    for (Map.Entry<String, JsonNode> e : rendered.env().properties()) {
      JsonNode v = e.getValue();
      if (v.has("value")) {
        env.put(e.getKey(), v.path("value").asText());
      } else if (v.at("/valueFrom/fieldRef/fieldPath").asText().equals("status.podIP")) {
        env.put(e.getKey(), "10.1.2.3");
      } else if (v.at("/valueFrom/secretKeyRef").isObject()) {
        env.put(e.getKey(), "<secret " + v.at("/valueFrom/secretKeyRef/key").asText() + ">");
      }
    }
    for (int attempt = 0; ; attempt++) {
      Files.writeString(file, edit.apply(YAML.writeValueAsString(tree)));
      try {
        return ConfigLoader.load(file, env);
      } catch (ConfigException e) {
        // Only a whole section the bridge does not know yet: once it knows the section, a key
        // inside it that it does not know is a real mismatch between chart and bridge.
        boolean beingAdded = e.getMessage().contains("unknown key") && KEYS_BEING_ADDED.contains(e.key());
        if (!beingAdded || attempt > KEYS_BEING_ADDED.size()) {
          throw new AssertionError("the bridge rejects the rendered config.yaml: " + e.getMessage(), e);
        }
        remove(tree, e.key());
      }
    }
  }

  private static void remove(ObjectNode tree, String key) {
    int dot = key.lastIndexOf('.');
    JsonNode parent = dot < 0 ? tree : tree.at("/" + key.substring(0, dot).replace('.', '/'));
    if (parent instanceof ObjectNode object) {
      object.remove(key.substring(dot + 1));
    }
  }
}
