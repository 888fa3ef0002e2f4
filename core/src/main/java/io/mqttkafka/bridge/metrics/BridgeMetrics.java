package io.mqttkafka.bridge.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.mqttkafka.bridge.metrics.MetricTags.KeepAliveBound;
import io.mqttkafka.bridge.metrics.MetricTags.Limit;
import io.mqttkafka.bridge.metrics.MetricTags.ProtocolError;
import io.mqttkafka.bridge.metrics.MetricTags.ReadPause;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Every bridge meter, in one place. Names share the prefix {@code mqtt.bridge} (Prometheus:
 * {@code mqtt_bridge_...}); tags are low-cardinality only: never a client id or a topic.
 * Per-message meters are looked up once and cached, so the hot path only increments. Tag values
 * come from enums ({@link MetricTag}); this package depends on nothing it measures.
 */
public final class BridgeMetrics {

  private static final String PREFIX = "mqtt.bridge.";
  private static final String[] QOS = {"0", "1", "2"};

  private final MeterRegistry registry;
  private final AtomicInteger connections = new AtomicInteger();
  private final Counter connectionsOpened;
  private final Counter[] produced = new Counter[3];
  private final Counter[] rejected = new Counter[3];
  private final Counter[] deadLettered = new Counter[3];
  private final Counter[] failed = new Counter[3];
  private final Counter[] overloaded = new Counter[3];
  private final DistributionSummary uplinkBytes;
  private final Timer uplinkLatency;
  private final TaggedCounter downlink;
  private final Timer downlinkLatency;
  private final Timer rebuild;
  private final Timer presenceWait;
  private final Timer resumedSession;
  private final Timer noSession;
  private final Counter presenceWaitExceeded;
  private final Counter routerAwaits;
  private final Counter rerouted;
  private final Counter receiptFailures;
  /** Per rule name, the rule's counters; only the rules of the configuration in force. */
  private final Map<String, RuleMeters> rules = new ConcurrentHashMap<>();
  private final Counter reloadsApplied;
  private final Counter reloadsRefused;
  private final TaggedCounter closed;
  private final TaggedCounter refused;
  private final TaggedCounter authFailures;
  private final TaggedCounter protocolErrors;
  private final TaggedCounter limitRejections;
  private final TaggedCounter keepAliveAdjusted;
  private final TaggedCounter readPauses;
  private final Counter[] droppedUnmatched = new Counter[3];

  public BridgeMetrics(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder(PREFIX + "connections", connections, AtomicInteger::get)
        .description("MQTT connections currently open on this instance").register(registry);
    connectionsOpened = Counter.builder(PREFIX + "connections.opened")
        .description("MQTT connections accepted").register(registry);
    for (int q = 0; q < 3; q++) {
      produced[q] = uplink(q, "produced");
      rejected[q] = uplink(q, "rejected");
      deadLettered[q] = uplink(q, "deadlettered");
      failed[q] = uplink(q, "failed");
      overloaded[q] = uplink(q, "overloaded");
    }
    uplinkBytes = DistributionSummary.builder(PREFIX + "uplink.bytes").baseUnit("bytes")
        .description("Payload bytes written to Kafka").register(registry);
    uplinkLatency = Timer.builder(PREFIX + "uplink.latency")
        .description("PUBLISH received to Kafka acknowledgement").publishPercentileHistogram()
        .register(registry);
    downlink = new TaggedCounter(registry, PREFIX + "downlink.messages", "outcome",
        "Downlink records by outcome (the status of their receipt)");
    closed = new TaggedCounter(registry, PREFIX + "connections.closed", "reason", "MQTT connections closed, by reason");
    refused = new TaggedCounter(registry, PREFIX + "connections.refused", "reason", "CONNECT packets refused");
    authFailures = new TaggedCounter(registry, PREFIX + "auth.failures", "reason",
        "CONNECT authentication failures, by reason");
    protocolErrors = new TaggedCounter(registry, PREFIX + "protocol.errors", "type",
        "Connections closed for bad input or protocol violations");
    limitRejections = new TaggedCounter(registry, PREFIX + "limit.rejections", "limit",
        "CONNECTs, PUBLISHes and SUBSCRIBE filters refused by a limit");
    keepAliveAdjusted = new TaggedCounter(registry, PREFIX + "keepalive.adjusted", "bound",
        "CONNECTs whose keep-alive the bridge replaced by its bound");
    readPauses = new TaggedCounter(registry, PREFIX + "read.pauses", "reason",
        "Times reading from a connection was paused (backpressure)");
    for (int q = 0; q < 3; q++) {
      droppedUnmatched[q] = Counter.builder(PREFIX + "uplink.dropped").tag("reason", "unmatched").tag("qos", QOS[q])
          .description("Uplink messages dropped on purpose").register(registry);
    }
    downlinkLatency = Timer.builder(PREFIX + "downlink.latency")
        .description("Downlink record timestamp in Kafka to PUBLISH written to the device")
        .publishPercentileHistogram().register(registry);
    rebuild = Timer.builder(PREFIX + "router.rebuild")
        .description("Time to rebuild one partition's subscription state from Kafka").register(registry);
    resumedSession = sessionResume(registry, "resumed");
    noSession = sessionResume(registry, "none");
    presenceWait = Timer.builder(PREFIX + "router.presence.wait")
        .description("Time the router held a batch of downlink records until it had read the presence records"
            + " written before them").register(registry);
    presenceWaitExceeded = Counter.builder(PREFIX + "router.presence.wait.exceeded")
        .description("Downlink records routed without the presence records written before them: the router"
            + " waited for them as long as it may").register(registry);
    routerAwaits = Counter.builder(PREFIX + "router.awaits")
        .description("Times the router asked a device's instance again about a downlink message whose first"
            + " receipt was not in Kafka yet (the device's in-flight window full, or Kafka slow)").register(registry);
    rerouted = Counter.builder(PREFIX + "downlink.rerouted")
        .description("Downlink records a back end wrote to another partition than their client's (any partitioner"
            + " but Kafka's default), copied there by the router").register(registry);
    receiptFailures = Counter.builder(PREFIX + "receipt.write.failures")
        .description("Receipt writes Kafka did not take; each is written again (by the router) until it is")
        .register(registry);
    reloadsApplied = reload("applied");
    reloadsRefused = reload("refused");
  }

  private Counter reload(String outcome) {
    return Counter.builder(PREFIX + "config.reloads").tag("outcome", outcome)
        .description("Changes of the configuration file applied, or refused as a whole because they do not"
            + " validate").register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Registers a gauge read from the given supplier (for state owned elsewhere). */
  public void gauge(String name, String description, Supplier<Number> value) {
    Gauge.builder(PREFIX + name, value).description(description).register(registry);
  }

  /** Registers a counter read from the given supplier (a count kept elsewhere, never decreasing). */
  public void counter(String name, String description, Supplier<Number> value) {
    FunctionCounter.builder(PREFIX + name, value, v -> v.get().doubleValue()).description(description)
        .register(registry);
  }

  public void connectionOpened() {
    connections.incrementAndGet();
    connectionsOpened.increment();
  }

  /**
   * A connection ended. Reasons: {@code disconnect} (the client sent DISCONNECT), {@code takeover},
   * {@code shutdown}, {@code protocol_error}, {@code bad_input}, {@code uplink_failure},
   * {@code slow_consumer} (does not read its downlink), {@code limit} (mqtt.limits.publishRate), {@code admin}
   * (the admin API), {@code revoked} (its user left the password file), and {@code lost}:
   * closed without DISCONNECT (network or keep-alive expiry). A second CONNECT is {@code bad_input}.
   */
  public void connectionClosed(MetricTag reason) {
    connections.decrementAndGet();
    closed.increment(reason);
  }

  /** A CONNECT refused; reason is a fixed word such as {@code client_id_invalid}. */
  public void connectionRefused(MetricTag reason) {
    refused.increment(reason);
  }

  /**
   * A CONNECT whose authentication failed. Reasons: {@code no_credentials}, {@code bad_credentials}
   * (unknown user or wrong password, deliberately one), {@code invalid_token}, {@code client_id_mismatch},
   * and {@code error} (the bridge could not decide).
   */
  public void authFailed(MetricTag reason) {
    authFailures.increment(reason);
  }

  /** A connection closed because the client broke the protocol or sent bad input. */
  public void protocolError(ProtocolError type) {
    protocolErrors.increment(type);
  }

  /**
   * A limit of mqtt.limits refused something: a CONNECT ({@code max_connections}, {@code connect_rate}),
   * a PUBLISH or a SUBSCRIBE filter ({@code topic_length}, {@code topic_levels}), or a connection
   * publishing too fast ({@code publish_rate}).
   */
  public void limitRejected(Limit limit) {
    limitRejections.increment(limit);
  }

  /** A CONNECT's keep-alive was replaced by the bound of mqtt.limits ({@code bound}: min or max). */
  public void keepAliveAdjusted(KeepAliveBound bound) {
    keepAliveAdjusted.increment(bound);
  }

  /**
   * Reading from a connection was paused. Reasons: {@code uplink} (the bytes awaiting Kafka passed half
   * their limit), {@code inflight} (an MQTT 3.1.1 client has mqtt.receiveMaximum QoS 1/2 PUBLISHes
   * unacknowledged).
   */
  public void readPaused(ReadPause reason) {
    readPauses.increment(reason);
  }

  public void uplinkProduced(int qos, int bytes, long latencyNanos) {
    produced[qos].increment();
    uplinkBytes.record(bytes);
    uplinkLatency.record(latencyNanos, TimeUnit.NANOSECONDS);
  }

  /**
   * The counters of the uplink rule named {@code rule} ({@link RuleMeters}): registered the first time
   * the name is asked for, the same object after that. Not on the message path: asked for when a
   * configuration's rules are set up.
   */
  public RuleMeters ruleMeters(String rule) {
    return rules.computeIfAbsent(rule, name -> new RuleMeters(registry, name));
  }

  /**
   * Removes the series of every rule not named in {@code names}: a reload removed or renamed it. A
   * message still in flight under the old rule counts on meters no longer exported.
   */
  public void retainRules(Collection<String> names) {
    Set<String> keep = Set.copyOf(names);
    rules.entrySet().removeIf(entry -> {
      if (keep.contains(entry.getKey())) {
        return false;
      }
      entry.getValue().meters().forEach(registry::remove);
      return true;
    });
  }

  /** A changed configuration file was applied ({@code true}) or refused as a whole. */
  public void configReloaded(boolean applied) {
    (applied ? reloadsApplied : reloadsRefused).increment();
  }

  public void uplinkRejected(int qos) {
    rejected[qos].increment();
  }

  public void uplinkDeadLettered(int qos) {
    deadLettered[qos].increment();
  }

  /**
   * A message dropped on purpose by {@code mappings.unmatched: drop} (tag {@code reason=unmatched});
   * a QoS 0 message dropped under overload is {@link #uplinkFailed uplink outcome overloaded}.
   */
  public void uplinkDroppedUnmatched(int qos) {
    droppedUnmatched[qos].increment();
  }

  /** Kafka, or the bridge's own limit ({@code overloaded}: outcome {@code overloaded}), failed the message. */
  public void uplinkFailed(int qos, boolean overloaded) {
    (overloaded ? this.overloaded : failed)[qos].increment();
  }

  /** Registers every downlink outcome's counter, so that each series exists (at 0) from the start. */
  public void declareDownlinkOutcomes(MetricTag... outcomes) {
    downlink.register(outcomes);
  }

  /** A downlink record's outcome: the status of a receipt written for it. */
  public void downlink(MetricTag outcome) {
    downlink.increment(outcome);
  }

  public void downlinkLatency(long millis) {
    downlinkLatency.record(Math.max(0, millis), TimeUnit.MILLISECONDS);
  }

  public void routerRebuilt(long nanos) {
    rebuild.record(nanos, TimeUnit.NANOSECONDS);
  }

  public void routerPresenceWait(long nanos) {
    presenceWait.record(nanos, TimeUnit.NANOSECONDS);
  }

  public void routerPresenceWaitExceeded(int records) {
    presenceWaitExceeded.increment(records);
  }

  /** A downlink record copied to its client's partition: written with another partitioner than Kafka's default. */
  public void routerRerouted() {
    rerouted.increment();
  }

  /**
   * The router's downlink records routed and not settled yet, by what they wait for (tag {@code stage}:
   * {@code forwarded}, {@code receipt}, {@code moving}).
   */
  public void routerRecords(MetricTag stage, Supplier<Number> count) {
    Gauge.builder(PREFIX + "router.records", count).tag("stage", stage.metricTag())
        .description("Downlink records the router holds or routed and has not settled yet, by stage")
        .register(registry);
  }

  /** The router's downlink records held for the presence records written before them (tag {@code stage=held}). */
  public void routerRecordsHeld(Supplier<Number> count) {
    Gauge.builder(PREFIX + "router.records", count).tag("stage", "held")
        .description("Downlink records the router holds or routed and has not settled yet, by stage")
        .register(registry);
  }

  /**
   * How long a CONNECT that does not start clean waited for its session (tag {@code session}:
   * {@code resumed}, or {@code none} when it had none or no router answered).
   */
  public void sessionResumeTime(long nanos, boolean resumed) {
    (resumed ? resumedSession : noSession).record(nanos, TimeUnit.NANOSECONDS);
  }

  private static Timer sessionResume(MeterRegistry registry, String session) {
    return Timer.builder(PREFIX + "session.resume").tag("session", session).publishPercentileHistogram()
        .description("Time from a CONNECT that resumes to its session's answer from the router").register(registry);
  }

  public void routerAwait() {
    routerAwaits.increment();
  }

  public void receiptWriteFailed() {
    receiptFailures.increment();
  }

  private Counter uplink(int qos, String outcome) {
    return Counter.builder(PREFIX + "uplink.messages").tag("qos", QOS[qos]).tag("outcome", outcome)
        .description("Uplink messages by QoS and outcome").register(registry);
  }

}
