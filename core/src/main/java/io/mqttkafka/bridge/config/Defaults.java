package io.mqttkafka.bridge.config;

/**
 * The built-in configuration, the first store the loader reads. Also the schema: the file may set only
 * these keys (and any name inside the maps kafka.common, kafka.producer, kafka.consumer and
 * logging.levels), and the environment variable names are derived from them.
 */
final class Defaults {

  static final String YAML = """
      bridge: { id: "", reloadInterval: 10s }
      mqtt: { host: 0.0.0.0, port: 1883, maxMessageSize: 1048576, connectTimeout: 10s, maxClientIdLength: 128,
              clientIdPattern: "[A-Za-z0-9_.:@-]+", receiveMaximum: 100, topicAliasMaximum: 10, instances: 0,
              plain: { enabled: true },
              tls: { enabled: false, port: 8883, certFile: "", keyFile: "", caFile: "", clientAuth: none,
                     protocols: [TLSv1.3, TLSv1.2], ciphers: [], reloadInterval: 10s, engine: auto,
                     ticketKeysFile: "" },
              websocket: { enabled: false, port: 8080, path: /mqtt, maxFrameSize: 0,
                           tls: { enabled: false, port: 8443 } },
              limits: { maxConnections: 100000, connectRate: 2000, connectBurst: 4000, maxTopicLength: 256,
                        maxTopicLevels: 16, publishRate: 0, publishBurst: 0, minKeepAlive: 0s, maxKeepAlive: 3600s,
                        maxReadPause: 5s, maxPendingHandshakes: 100 } }
      http: { host: 0.0.0.0, port: 9090,
              tls: { enabled: false, certFile: "", keyFile: "", caFile: "" },
              admin: { enabled: false, tokenFile: "", tokenReloadInterval: 5s, clientCertificate: false } }
      kafka:
        bootstrapServers: ""
        common: {}
        producer: {}
        consumer: {}
        topics: { subscriptions: mqtt.subscriptions, downlink: mqtt.downlink, receipts: mqtt.receipts,
                  deadLetter: mqtt.deadletter, sessions: mqtt.sessions }
        internalTopics: { partitions: 12, replicationFactor: -1 }
        embedded: { dataDir: ./data, port: 9092, controllerPort: 9093 }
      mappings:
        uplink: null                    # null: UPLINK_RULES, or none when authentication is on
        unmatched: reject
        downlink: { filters: ["DL/#"], ackTimeout: 30s, userProperties: { allow: [], deny: [], maxBytes: 4096 } }
      sessions:
        maxExpiry: 30d
        queue: { maxMessages: 1000, maxBytes: 1048576 }
      tracing:
        generateTraceparent: false
        sampled: true
        serviceName: mqtt-kafka-bridge
        otlp: { endpoint: "" }
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
        disconnectRevoked: false
        jwt: { jwksFile: "", publicKeyFile: "", issuer: "", audience: "", clientIdClaim: sub,
               leeway: 30s, reloadInterval: 5s }
        certificate: { enabled: false, identity: cn }
      """;

  /** The uplink rules when mappings.uplink is not set and no authentication is configured. */
  static final String UPLINK_RULES = """
      - { match: "^UL/(.+)$", topic: cs.uplink, key: "${clientId}" }
      """;

  private Defaults() {
  }
}
