package io.mqttkafka.bridge.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The bridge configuration: immutable and validated, built once at start-up by {@link ConfigLoader}
 * and handed to verticles through their constructors. The only home of defaults and validation.
 */
public record BridgeConfig(Bridge bridge, Mqtt mqtt, Http http, Kafka kafka, Mappings mappings, Cluster cluster,
                           Logging logging, Shutdown shutdown, Auth auth) {

  /** Never empty: an empty configured id becomes the host name plus "-" and 6 random hex digits. */
  public record Bridge(String id) {}

  /**
   * The MQTT limits every listener shares, and the listeners. {@code port} is the plain TCP listener's,
   * open when {@code plainEnabled}. {@code clientIdPattern} must match the whole client id;
   * {@code instances} 0 = one per CPU core (per listener).
   */
  public record Mqtt(String host, int port, int maxMessageSize, Duration connectTimeout, int maxClientIdLength,
                     Pattern clientIdPattern, int receiveMaximum, int instances, boolean plainEnabled, Tls tls,
                     WebSocket websocket, Limits limits) {

    /** True when a listener serves the certificate of {@link #tls}: the TLS or the secure WebSocket one. */
    public boolean tlsNeeded() {
      return tls.enabled() || websocket.tlsEnabled();
    }
  }

  /**
   * The TLS listener ({@code enabled}, {@code port}) and the server certificate it shares with the
   * secure WebSocket listener. PEM files, present whenever {@link Mqtt#tlsNeeded()}; {@code caFile} holds
   * the CAs that sign client certificates and is present exactly when {@code clientAuth} is not NONE.
   * Empty {@code ciphers}: the TLS engine's defaults. The files are checked for changes every
   * {@code reloadInterval}.
   */
  public record Tls(boolean enabled, int port, Optional<Path> certFile, Optional<Path> keyFile, Optional<Path> caFile,
                    ClientAuth clientAuth, List<String> protocols, List<String> ciphers, Duration reloadInterval) {
    public Tls {
      protocols = List.copyOf(protocols);
      ciphers = List.copyOf(ciphers);
    }
  }

  /**
   * Protection of an instance against too many or too eager devices (mqtt.limits; README "Limits").
   * {@code maxConnections} 0 = unlimited. Rates are per second, 0 = unlimited; a burst is how many may
   * come at once (0 = one second's worth). Topic limits apply to PUBLISH topics and SUBSCRIBE filters;
   * length in UTF-8 bytes. Keep-alive bounds in whole seconds, 0 = no bound. {@code maxReadPause}: the
   * longest a connection's reading is paused for backpressure at a time.
   */
  public record Limits(int maxConnections, int connectRate, int connectBurst, int maxTopicLength, int maxTopicLevels,
                       int publishRate, int publishBurst, int minKeepAliveSeconds, int maxKeepAliveSeconds,
                       Duration maxReadPause) {
    /** The connect burst, 0 resolved to one second's worth. */
    public int effectiveConnectBurst() {
      return connectBurst == 0 ? connectRate : connectBurst;
    }

    /** The publish burst, 0 resolved to one second's worth. */
    public int effectivePublishBurst() {
      return publishBurst == 0 ? publishRate : publishBurst;
    }
  }

  /** Whether a TLS listener asks for a client certificate, and whether it must come. */
  public enum ClientAuth { NONE, REQUEST, REQUIRED }

  /**
   * MQTT over WebSocket: {@code enabled}/{@code port} open ws://, {@code tlsEnabled}/{@code tlsPort} open
   * wss:// with the certificate of mqtt.tls. {@code path} is /mqtt (the only one vert.x-mqtt 5.0.8 serves);
   * {@code maxFrameSize} holds at least the largest packet mqtt.maxMessageSize allows.
   */
  public record WebSocket(boolean enabled, int port, String path, int maxFrameSize, boolean tlsEnabled,
                          int tlsPort) {}

  /** Management endpoints; {@code port} 0 = pick a free port. */
  public record Http(String host, int port) {}

  /**
   * {@code producer} and {@code consumer} are Kafka client properties, passed through as-is; each
   * already holds {@code kafka.common} (settings such as security that every client needs), which
   * its own entries override. The admin client takes the producer's properties that it knows.
   */
  public record Kafka(String bootstrapServers, Map<String, String> producer, Map<String, String> consumer,
                      Topics topics, InternalTopics internalTopics, Embedded embedded) {
    public Kafka {
      producer = Map.copyOf(producer);
      consumer = Map.copyOf(consumer);
    }

    /** No bootstrap servers configured: run the embedded single-node Kafka (dev mode). */
    public boolean embeddedMode() {
      return bootstrapServers.isBlank();
    }

    /** Masks secrets, so that logging this record (or the whole configuration) is safe. */
    @Override
    public String toString() {
      return "Kafka[" + (embeddedMode() ? "embedded " + embedded : "bootstrapServers=" + bootstrapServers)
          + ", producer=" + masked(producer) + ", consumer=" + masked(consumer) + ", " + topics + ", "
          + internalTopics + "]";
    }
  }

  public record Topics(String subscriptions, String downlink, String receipts, String deadLetter) {}

  /** {@code replicationFactor} -1 = the broker's default. */
  public record InternalTopics(int partitions, short replicationFactor) {}

  public record Embedded(Path dataDir, int port, int controllerPort) {}

  public record Mappings(List<UplinkRule> uplink, Unmatched unmatched, Downlink downlink) {
    public Mappings {
      uplink = List.copyOf(uplink);
    }
  }

  /**
   * Entry {@code index} of {@code mappings.uplink}. {@code match} is the regex; it may contain
   * ${clientId} and ${username}, which stand for the connection's own values. {@code topic} and
   * {@code key} may use $1..$n, ${clientId} and ${username}.
   */
  public record UplinkRule(int index, String name, String match, String topic, String key) {}

  /** What happens to an uplink message that no rule matches. */
  public enum Unmatched { REJECT, DEADLETTER, DROP }

  /** {@code filters}: the topic filters devices may subscribe to; a level may be ${clientId} or ${username}. */
  public record Downlink(List<String> filters, Duration ackTimeout) {
    public Downlink {
      filters = List.copyOf(filters);
    }
  }

  /**
   * Hazelcast clustering. {@code host}: the address this member binds and advertises, for Hazelcast and
   * the event bus alike. Join by TCP-IP with {@code members} ("host" or "host:port"), or, when
   * {@code kubernetes} is enabled, by Kubernetes DNS discovery instead (then {@code members} is unused).
   */
  public record Cluster(boolean enabled, String name, String host, int port, List<String> members,
                        Kubernetes kubernetes) {
    public Cluster {
      members = List.copyOf(members);
      Objects.requireNonNull(kubernetes, "kubernetes (use Kubernetes.DISABLED)");
    }

    /** TCP-IP join only: Kubernetes discovery off. */
    public Cluster(boolean enabled, String name, String host, int port, List<String> members) {
      this(enabled, name, host, port, members, Kubernetes.DISABLED);
    }
  }

  /** {@code serviceDns}: the headless service whose DNS name lists the members' pod IPs. */
  public record Kubernetes(boolean enabled, String serviceDns) {
    public static final Kubernetes DISABLED = new Kubernetes(false, "");
  }

  /**
   * Who may connect. {@code allowAnonymous}: accept a CONNECT that brings no credentials (configured,
   * or by default true exactly when no method below is on). {@code failureDelay}: a refused CONNECT is
   * answered this long after it arrived, whatever was wrong. Methods: a password file
   * ({@code passwordFile}, re-read when it changes, checked every {@code passwordFilePollInterval}),
   * a JWT in the password field ({@link Jwt}), the TLS client certificate ({@link CertificateAuth}).
   */
  public record Auth(boolean allowAnonymous, Duration failureDelay, Optional<Path> passwordFile,
                     Duration passwordFilePollInterval, Jwt jwt, CertificateAuth certificate) {

    /** True when at least one authentication method is configured. */
    public boolean anyMethod() {
      return passwordFile.isPresent() || jwt.enabled() || certificate.enabled();
    }
  }

  /**
   * JWT in the MQTT password field, verified with the keys of {@code jwksFile} or {@code publicKeyFile}
   * (exactly one is set when enabled). {@code issuer}, {@code audience}: checked when present. The
   * claim {@code clientIdClaim} must equal the MQTT client id. {@code leeway}: clock skew allowed on
   * {@code exp}, {@code nbf} and {@code iat} (whole seconds).
   */
  public record Jwt(Optional<Path> jwksFile, Optional<Path> publicKeyFile, Optional<String> issuer,
                    Optional<String> audience, String clientIdClaim, Duration leeway) {
    public boolean enabled() {
      return jwksFile.isPresent() || publicKeyFile.isPresent();
    }
  }

  /** The TLS client certificate names the client: {@code identity} says where, and it must equal the client id. */
  public record CertificateAuth(boolean enabled, CertificateIdentity identity) {}

  /** Where a client certificate carries the identity: subject CN, or a subjectAltName of one kind. */
  public enum CertificateIdentity {
    CN("cn"), SAN_DNS("san-dns"), SAN_URI("san-uri"), SAN_EMAIL("san-email");

    private final String configName;

    CertificateIdentity(String configName) {
      this.configName = configName;
    }

    /** The value in the configuration, such as {@code san-dns}. */
    public String configName() {
      return configName;
    }
  }

  /** {@code levels}: logger name to level. */
  public record Logging(boolean json, String level, Map<String, String> levels) {
    public Logging {
      levels = Map.copyOf(levels);
    }
  }

  /**
   * {@code drainPeriod}: on SIGTERM, device connections are closed spread over this period, so that a
   * fleet does not reconnect to the other instances all at once.
   */
  public record Shutdown(Duration drainPeriod) {}

  /**
   * Built-in defaults. Also the schema: the file may set only these keys (and any name inside the
   * maps kafka.common, kafka.producer, kafka.consumer and logging.levels), and the environment
   * variable names are derived from them.
   */
  static final String DEFAULTS_YAML = """
      bridge: { id: "" }
      mqtt: { host: 0.0.0.0, port: 1883, maxMessageSize: 1048576, connectTimeout: 10s, maxClientIdLength: 128,
              clientIdPattern: "[A-Za-z0-9_.:@-]+", receiveMaximum: 100, instances: 0,
              plain: { enabled: true },
              tls: { enabled: false, port: 8883, certFile: "", keyFile: "", caFile: "", clientAuth: none,
                     protocols: [TLSv1.3, TLSv1.2], ciphers: [], reloadInterval: 10s },
              websocket: { enabled: false, port: 8080, path: /mqtt, maxFrameSize: 0,
                           tls: { enabled: false, port: 8443 } },
              limits: { maxConnections: 100000, connectRate: 2000, connectBurst: 4000, maxTopicLength: 256,
                        maxTopicLevels: 16, publishRate: 0, publishBurst: 0, minKeepAlive: 0s, maxKeepAlive: 3600s,
                        maxReadPause: 5s } }
      http: { host: 0.0.0.0, port: 9090 }
      kafka:
        bootstrapServers: ""
        common: {}
        producer: {}
        consumer: {}
        topics: { subscriptions: mqtt.subscriptions, downlink: mqtt.downlink, receipts: mqtt.receipts,
                  deadLetter: mqtt.deadletter }
        internalTopics: { partitions: 12, replicationFactor: -1 }
        embedded: { dataDir: ./data, port: 9092, controllerPort: 9093 }
      mappings:
        uplink: null                    # null: DEFAULT_UPLINK_RULES, or none when authentication is on
        unmatched: reject
        downlink: { filters: ["DL/#"], ackTimeout: 30s }
      cluster:
        enabled: false
        name: mqtt-kafka-bridge
        host: 127.0.0.1
        port: 5701
        members: []
        kubernetes: { enabled: false, serviceDns: "" }
      logging: { json: false, level: INFO, levels: {} }
      shutdown: { drainPeriod: 10s }
      auth:
        allowAnonymous: null            # null: true exactly when no method is configured
        failureDelay: 1s
        passwordFile: ""
        passwordFilePollInterval: 5s
        jwt: { jwksFile: "", publicKeyFile: "", issuer: "", audience: "", clientIdClaim: sub,
               leeway: 30s }
        certificate: { enabled: false, identity: cn }
      """;

  /** The uplink rules when mappings.uplink is not set and no authentication is configured. */
  static final String DEFAULT_UPLINK_RULES = """
      - { match: "^UL/(.+)$", topic: cs.uplink, key: "${clientId}" }
      """;

  /** The largest packet MQTT can express: the limit of its four-byte remaining length. */
  private static final int MAX_PACKET_SIZE = 268_435_455;
  /** A longer delay only holds sockets open; a client's CONNACK timeout is often 30 s. */
  private static final Duration MAX_FAILURE_DELAY = Duration.ofSeconds(10);
  private static final List<String> LOG_LEVELS = List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");
  private static final List<String> RULE_KEYS = List.of("name", "match", "topic", "key");
  private static final Pattern KAFKA_TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
  private static final Pattern KAFKA_TOPIC_CHARS = Pattern.compile("[a-zA-Z0-9._-]*");
  private static final Pattern GROUP_REF = Pattern.compile("\\$(\\d{1,9})");
  private static final Pattern NAMED_PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)}");
  private static final List<String> PLACEHOLDERS = List.of("clientId", "username");
  /** What a placeholder stands for when a rule's regex is checked: any one topic level. */
  private static final String ANY_LEVEL = "(?:[^/]+)";
  private static final List<String> WILDCARD_ADDRESSES = List.of("0.0.0.0", "::", "[::]", "0:0:0:0:0:0:0:0", "*");
  private static final Pattern SECRET = Pattern.compile("password|secret|jaas|token", Pattern.CASE_INSENSITIVE);

  /** The configuration with nothing overridden. */
  public static BridgeConfig defaults() {
    try {
      return ConfigLoader.load(null, Map.of());
    } catch (ConfigException e) {
      throw new IllegalStateException("the built-in defaults are invalid: " + e.getMessage(), e);
    }
  }

  /** A summary for the start-up log, one line per section; secrets masked. */
  public String describe() {
    return String.join("\n", bridge.toString(), mqtt.toString(), http.toString(), kafka.toString(),
        mappings.toString(), cluster.toString(), logging.toString(), shutdown.toString(), auth.toString());
  }

  /** Builds and validates the configuration from a tree that holds every key of {@link #DEFAULTS_YAML}. */
  static BridgeConfig from(JsonNode t) throws ConfigException {
    Mqtt mqtt = mqtt(t);
    Auth auth = auth(t, mqtt);
    Map<String, String> common = at(t, "kafka.common").stringMap();
    return new BridgeConfig(
        new Bridge(resolveId(at(t, "bridge.id").string())),
        mqtt,
        new Http(at(t, "http.host").nonBlank(), at(t, "http.port").integer(0, 65535)),
        new Kafka(at(t, "kafka.bootstrapServers").string(), overlay(common, at(t, "kafka.producer").stringMap()),
            overlay(common, at(t, "kafka.consumer").stringMap()),
            new Topics(kafkaTopic(at(t, "kafka.topics.subscriptions")), kafkaTopic(at(t, "kafka.topics.downlink")),
                kafkaTopic(at(t, "kafka.topics.receipts")), kafkaTopic(at(t, "kafka.topics.deadLetter"))),
            new InternalTopics(at(t, "kafka.internalTopics.partitions").integer(1, Integer.MAX_VALUE),
                replicationFactor(at(t, "kafka.internalTopics.replicationFactor"))),
            new Embedded(at(t, "kafka.embedded.dataDir").path(), at(t, "kafka.embedded.port").integer(0, 65535),
                at(t, "kafka.embedded.controllerPort").integer(0, 65535))),
        mappings(t, auth),
        cluster(t),
        new Logging(at(t, "logging.json").bool(), logLevel(at(t, "logging.level")),
            logLevels(at(t, "logging.levels"))),
        new Shutdown(at(t, "shutdown.drainPeriod").nonNegativeDuration()),
        auth);
  }

  /** {@code base}, then {@code own} over it. */
  private static Map<String, String> overlay(Map<String, String> base, Map<String, String> own) {
    Map<String, String> merged = new LinkedHashMap<>(base);
    merged.putAll(own);
    return merged;
  }

  /**
   * Default deny when authentication is on: no built-in uplink rule (only configured rules allow a
   * topic), and no dead-lettering of unmatched topics (a device must reach no Kafka topic that no
   * rule allows).
   */
  private static Mappings mappings(JsonNode t, Auth auth) throws ConfigException {
    ConfigValue uplink = at(t, "mappings.uplink");
    List<UplinkRule> rules;
    if (!uplink.absent()) {
      rules = uplinkRules(uplink);
    } else if (auth.anyMethod()) {
      rules = List.of();
    } else {
      rules = uplinkRules(new ConfigValue(ConfigLoader.parseYaml(DEFAULT_UPLINK_RULES), uplink.key()));
    }
    ConfigValue unmatchedValue = at(t, "mappings.unmatched");
    Unmatched unmatched = unmatched(unmatchedValue);
    if (unmatched == Unmatched.DEADLETTER && auth.anyMethod()) {
      throw unmatchedValue.fail("is deadletter, which is refused while authentication is on (" + authMethodKeys(auth)
          + "): it would let every device write to the dead-letter topic, which no rule allows; use reject or drop");
    }
    return new Mappings(rules, unmatched, new Downlink(topicFilters(at(t, "mappings.downlink.filters")),
        at(t, "mappings.downlink.ackTimeout").duration()));
  }

  /** The keys of the configured authentication methods, for messages. */
  private static String authMethodKeys(Auth auth) {
    List<String> keys = new ArrayList<>();
    auth.passwordFile().ifPresent(f -> keys.add("auth.passwordFile"));
    auth.jwt().jwksFile().ifPresent(f -> keys.add("auth.jwt.jwksFile"));
    auth.jwt().publicKeyFile().ifPresent(f -> keys.add("auth.jwt.publicKeyFile"));
    if (auth.certificate().enabled()) {
      keys.add("auth.certificate.enabled");
    }
    return String.join(", ", keys);
  }

  static ConfigValue at(JsonNode root, String key) {
    return new ConfigValue(root.at("/" + key.replace('.', '/')), key);
  }

  private static Mqtt mqtt(JsonNode t) throws ConfigException {
    int maxMessageSize = at(t, "mqtt.maxMessageSize").integer(1, MAX_PACKET_SIZE);
    WebSocket websocket = ListenerSettings.webSocket(t, maxMessageSize);
    Mqtt mqtt = new Mqtt(at(t, "mqtt.host").nonBlank(), at(t, "mqtt.port").integer(0, 65535), maxMessageSize,
        at(t, "mqtt.connectTimeout").duration(), at(t, "mqtt.maxClientIdLength").integer(23, 65535),
        at(t, "mqtt.clientIdPattern").regex(), at(t, "mqtt.receiveMaximum").integer(1, 65535),
        at(t, "mqtt.instances").integer(0, Integer.MAX_VALUE), at(t, "mqtt.plain.enabled").bool(),
        ListenerSettings.tls(t, websocket.tlsEnabled()), websocket, limits(t));
    ListenerSettings.checkListeners(t, mqtt);
    return mqtt;
  }

  private static Limits limits(JsonNode t) throws ConfigException {
    int maxKeepAlive = keepAliveSeconds(at(t, "mqtt.limits.maxKeepAlive"));
    ConfigValue min = at(t, "mqtt.limits.minKeepAlive");
    int minKeepAlive = keepAliveSeconds(min);
    if (maxKeepAlive > 0 && minKeepAlive > maxKeepAlive) {
      throw min.fail("must not be greater than mqtt.limits.maxKeepAlive (" + maxKeepAlive + "s)");
    }
    return new Limits(at(t, "mqtt.limits.maxConnections").integer(0, Integer.MAX_VALUE),
        at(t, "mqtt.limits.connectRate").integer(0, 1_000_000),
        at(t, "mqtt.limits.connectBurst").integer(0, 1_000_000),
        // The MQTT limit: a topic is a UTF-8 string of at most 65,535 bytes [MQTT-1.5.3].
        at(t, "mqtt.limits.maxTopicLength").integer(1, 65_535),
        at(t, "mqtt.limits.maxTopicLevels").integer(1, 65_535),
        at(t, "mqtt.limits.publishRate").integer(0, 1_000_000),
        at(t, "mqtt.limits.publishBurst").integer(0, 1_000_000),
        minKeepAlive, maxKeepAlive, at(t, "mqtt.limits.maxReadPause").duration());
  }

  /** A keep-alive bound: whole seconds, 0 to 65,535 (the two bytes of CONNECT and Server Keep Alive). */
  private static int keepAliveSeconds(ConfigValue v) throws ConfigException {
    Duration d = v.nonNegativeDuration();
    if (d.toMillis() % 1000 != 0 || d.getSeconds() > 65_535) {
      throw v.wrong("must be whole seconds between 0s and 65535s");
    }
    return (int) d.getSeconds();
  }

  private static String resolveId(String configured) {
    if (!configured.isBlank()) {
      return configured;
    }
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "bridge";
    }
    return host + "-" + String.format("%06x", ThreadLocalRandom.current().nextInt(1 << 24));
  }

  private static Cluster cluster(JsonNode t) throws ConfigException {
    boolean enabled = at(t, "cluster.enabled").bool();
    String name = at(t, "cluster.name").nonBlank();
    ConfigValue host = at(t, "cluster.host");
    if (WILDCARD_ADDRESSES.contains(host.nonBlank())) {
      throw host.wrong("must be an address the other members can reach (this member binds and advertises it),"
          + " not a wildcard");
    }
    int port = at(t, "cluster.port").integer(1, 65535);
    List<String> members = nonBlankList(at(t, "cluster.members"));
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
    return new Cluster(enabled, name, host.string(), port, members, kubernetes);
  }

  private static Auth auth(JsonNode t, Mqtt mqtt) throws ConfigException {
    Duration failureDelay = at(t, "auth.failureDelay").duration();
    if (failureDelay.compareTo(MAX_FAILURE_DELAY) > 0) {
      throw at(t, "auth.failureDelay").wrong("must be at most " + MAX_FAILURE_DELAY.toSeconds() + "s");
    }
    Optional<Path> passwordFile = readableFile(at(t, "auth.passwordFile"));
    Duration poll = at(t, "auth.passwordFilePollInterval").duration();
    Optional<Path> jwks = readableFile(at(t, "auth.jwt.jwksFile"));
    Optional<Path> publicKey = readableFile(at(t, "auth.jwt.publicKeyFile"));
    if (jwks.isPresent() && publicKey.isPresent()) {
      throw at(t, "auth.jwt.publicKeyFile").fail("must not be set together with auth.jwt.jwksFile (use one key source)");
    }
    Optional<String> issuer = optionalString(at(t, "auth.jwt.issuer"));
    Optional<String> audience = optionalString(at(t, "auth.jwt.audience"));
    Jwt jwt = new Jwt(jwks, publicKey, issuer, audience, at(t, "auth.jwt.clientIdClaim").nonBlank().strip(),
        at(t, "auth.jwt.leeway").nonNegativeDuration());
    if (!jwt.enabled() && (issuer.isPresent() || audience.isPresent())) {
      throw at(t, issuer.isPresent() ? "auth.jwt.issuer" : "auth.jwt.audience")
          .fail("needs auth.jwt.jwksFile or auth.jwt.publicKeyFile (the keys that verify the tokens)");
    }
    ConfigValue certificateEnabled = at(t, "auth.certificate.enabled");
    CertificateAuth certificate = new CertificateAuth(certificateEnabled.bool(),
        certificateIdentity(at(t, "auth.certificate.identity")));
    if (certificate.enabled() && (!mqtt.tlsNeeded() || mqtt.tls().clientAuth() == ClientAuth.NONE)) {
      throw certificateEnabled.fail("is true, but no listener asks for client certificates: it needs mqtt.tls.enabled"
          + " (or mqtt.websocket.tls.enabled) with mqtt.tls.clientAuth request or required");
    }
    boolean anyMethod = passwordFile.isPresent() || jwt.enabled() || certificate.enabled();
    ConfigValue anonymous = at(t, "auth.allowAnonymous");
    boolean allowAnonymous = anonymous.absent() ? !anyMethod : anonymous.bool();
    if (!allowAnonymous && !anyMethod) {
      throw anonymous.fail("is false, but no authentication is configured (auth.passwordFile, auth.jwt.jwksFile,"
          + " auth.jwt.publicKeyFile or auth.certificate.enabled), so no client could connect");
    }
    return new Auth(allowAnonymous, failureDelay, passwordFile, poll, jwt, certificate);
  }

  private static CertificateIdentity certificateIdentity(ConfigValue v) throws ConfigException {
    String name = v.string().strip().toLowerCase(Locale.ROOT);
    for (CertificateIdentity identity : CertificateIdentity.values()) {
      if (identity.configName().equals(name)) {
        return identity;
      }
    }
    throw v.wrong("must be one of cn, san-dns, san-uri, san-email");
  }

  /** Empty: not set. Otherwise a regular file this process can read. */
  private static Optional<Path> readableFile(ConfigValue v) throws ConfigException {
    if (v.string().isBlank()) {
      return Optional.empty();
    }
    Path file = v.path();
    if (!Files.exists(file)) {
      throw v.fail(file + ": no such file");
    }
    if (!Files.isRegularFile(file)) {
      throw v.fail(file + ": not a regular file");
    }
    if (!Files.isReadable(file)) {
      throw v.fail(file + ": permission denied");
    }
    return Optional.of(file);
  }

  private static Optional<String> optionalString(ConfigValue v) throws ConfigException {
    String value = v.string().strip();
    return value.isEmpty() ? Optional.empty() : Optional.of(value);
  }

  private static short replicationFactor(ConfigValue v) throws ConfigException {
    String expected = "must be -1 (the broker's default) or an integer between 1 and " + Short.MAX_VALUE;
    int factor = v.integer(-1, Short.MAX_VALUE, expected);
    if (factor == 0) {
      throw v.wrong(expected);
    }
    return (short) factor;
  }

  private static Unmatched unmatched(ConfigValue v) throws ConfigException {
    try {
      return Unmatched.valueOf(v.string().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw v.wrong("must be one of reject, deadletter, drop");
    }
  }

  private static List<UplinkRule> uplinkRules(ConfigValue list) throws ConfigException {
    List<UplinkRule> rules = new ArrayList<>();
    for (ConfigValue rule : list.items()) {
      if (!rule.node().isObject()) {
        throw rule.wrong("must be a map with match, topic and optionally name and key");
      }
      for (String name : rule.entries().keySet()) {
        if (!RULE_KEYS.contains(name)) {
          throw new ConfigException(rule.key() + "." + name, "unknown key (a rule has: name, match, topic, key)");
        }
      }
      ConfigValue matchValue = rule.field("match");
      String match = matchValue.string();
      onlyKnownPlaceholders(matchValue, match);
      int groups = ruleShape(matchValue, match).matcher("").groupCount();
      ConfigValue topic = rule.field("topic");
      checkTemplate(topic, topic.nonBlank(), match, groups);
      String literal = NAMED_PLACEHOLDER.matcher(GROUP_REF.matcher(topic.string()).replaceAll("")).replaceAll("");
      if (!KAFKA_TOPIC_CHARS.matcher(literal).matches()) {
        throw topic.wrong("must be a Kafka topic name (letters, digits, '.', '_', '-') apart from placeholders");
      }
      ConfigValue key = rule.field("key");
      String keyTemplate = key.absent() ? "${clientId}" : key.string();
      checkTemplate(key, keyTemplate, match, groups);
      ConfigValue name = rule.field("name");
      int index = rules.size();
      rules.add(new UplinkRule(index, name.absent() ? "rule-" + index : name.nonBlank(), match, topic.string(),
          keyTemplate));
    }
    return rules;
  }

  /** A rule's regex with each placeholder taken as any one topic level: checks the regex, counts its groups. */
  private static Pattern ruleShape(ConfigValue v, String match) throws ConfigException {
    try {
      return Pattern.compile(match.replace("${clientId}", ANY_LEVEL).replace("${username}", ANY_LEVEL));
    } catch (PatternSyntaxException e) {
      throw v.fail("is not a valid regular expression: " + e.getDescription() + " in \"" + match + "\"");
    }
  }

  /** A topic or key template may use $n up to the match's group count, ${clientId} and ${username}, nothing else. */
  private static void checkTemplate(ConfigValue v, String template, String match, int groups) throws ConfigException {
    Matcher ref = GROUP_REF.matcher(template);
    while (ref.find()) {
      if (Integer.parseInt(ref.group(1)) > groups) {
        throw v.fail("uses " + ref.group() + " but match \"" + match + "\" has " + groups + " group(s)");
      }
    }
    onlyKnownPlaceholders(v, template);
  }

  private static void onlyKnownPlaceholders(ConfigValue v, String text) throws ConfigException {
    Matcher named = NAMED_PLACEHOLDER.matcher(text);
    while (named.find()) {
      if (!PLACEHOLDERS.contains(named.group(1))) {
        throw v.fail("has unknown placeholder " + named.group() + " (known: ${clientId}, ${username})");
      }
    }
  }

  private static List<String> topicFilters(ConfigValue list) throws ConfigException {
    List<String> filters = new ArrayList<>();
    for (ConfigValue v : list.items()) {
      String filter = v.string();
      if (filter.isEmpty()) {
        throw v.fail("must not be empty"); // [MQTT-4.7.3-1]
      }
      if (filter.indexOf('\u0000') >= 0) {
        throw v.fail("must not contain the null character"); // [MQTT-4.7.3-2]
      }
      String[] levels = filter.split("/", -1);
      for (int i = 0; i < levels.length; i++) {
        if (levels[i].contains("#") && (!levels[i].equals("#") || i < levels.length - 1)) {
          throw v.wrong("must be an MQTT topic filter: '#' only as the whole last level"); // [MQTT-4.7.1-2]
        }
        if (levels[i].contains("+") && !levels[i].equals("+")) {
          throw v.wrong("must be an MQTT topic filter: '+' only as a whole level"); // [MQTT-4.7.1-3]
        }
      }
      onlyKnownPlaceholders(v, filter);
      filters.add(filter);
    }
    return filters;
  }

  private static List<String> nonBlankList(ConfigValue list) throws ConfigException {
    List<String> values = new ArrayList<>();
    for (ConfigValue v : list.items()) {
      values.add(v.nonBlank());
    }
    return values;
  }

  private static Map<String, String> logLevels(ConfigValue map) throws ConfigException {
    Map<String, String> levels = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigValue> e : map.entries().entrySet()) {
      levels.put(e.getKey(), logLevel(e.getValue()));
    }
    return levels;
  }

  private static String kafkaTopic(ConfigValue v) throws ConfigException {
    String topic = v.string();
    if (!KAFKA_TOPIC.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
      throw v.wrong("must be a Kafka topic name: 1 to 249 letters, digits, '.', '_' or '-'");
    }
    return topic;
  }

  private static String logLevel(ConfigValue v) throws ConfigException {
    String level = v.string().toUpperCase(Locale.ROOT);
    if (level.equals("FALSE")) {
      level = "OFF"; // YAML 1.1 reads a bare `off` as false
    }
    if (!LOG_LEVELS.contains(level)) {
      throw v.wrong("must be one of " + String.join(", ", LOG_LEVELS));
    }
    return level;
  }

  private static Map<String, String> masked(Map<String, String> properties) {
    Map<String, String> shown = new TreeMap<>();
    properties.forEach((name, value) -> shown.put(name, SECRET.matcher(name).find() ? "****" : value));
    return shown;
  }
}
