package io.mqttkafka.bridge.downlink;

import io.mqttkafka.bridge.bus.DownlinkMessage;
import io.mqttkafka.bridge.bus.InstanceProtocol.Outcome;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.records.DownlinkProperties;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.mqttkafka.bridge.kafka.ReceiptWriter;
import io.mqttkafka.bridge.trace.Tracing;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.opentelemetry.api.trace.Span;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.mqtt.MqttEndpoint;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;

/**
 * Downlink PUBLISH to one device, and a receipt for each message: {@code delivered} once written,
 * then for QoS 1 {@code acked} on PUBACK or {@code timeout} when none comes within
 * {@code mappings.downlink.ackTimeout}. Keeps at most the device's Receive Maximum QoS 1 messages
 * unacknowledged [MQTT-3.3.4-7] and queues a bounded number behind them, in order. An MQTT 5 device
 * gets the message's properties, with what is left of its TTL as Message Expiry Interval; a message
 * whose TTL ran out while it waited is {@code expired}, one larger than the device's Maximum Packet
 * Size {@code rejected}, neither sent. Not thread-safe: the connection's event loop only.
 *
 * <p>{@link #deliver} completes once the message's first receipt ({@code delivered}, or why not) is
 * in Kafka: only then may the router settle the record and commit its offset, so an instance that
 * dies before its receipt is written leaves the router to write one, never a record without a
 * receipt. A message waiting behind a full in-flight window, or whose receipt Kafka is slow to take,
 * keeps its future pending for as long as that takes ({@link DownlinkDispatcher} tells the router it
 * is still pending).
 */
public final class DeviceDelivery {

  /** Messages waiting behind a full in-flight window; beyond that they are refused with a receipt. */
  static final int MAX_QUEUED = 1_000;
  /**
   * Bytes written to the connection but not yet taken by the socket: a device that stops reading
   * lets them pile up in the outbound buffer. Beyond this the connection is closed (slow consumer).
   */
  static final long MAX_UNWRITTEN_BYTES = 1024 * 1024;

  private final MqttEndpoint endpoint;
  private final DeliveryClock clock;
  private final ReceiptWriter receipts;
  private final BridgeMetrics metrics;
  private final int receiveMaximum;
  private final boolean persistent;
  private final long ackTimeoutMs;
  private final long ackTimeoutNanos;
  private final Runnable onSlowConsumer;
  private final boolean mqtt5;
  /** The device's Maximum Packet Size (MQTT 5 CONNECT property), or {@link Long#MAX_VALUE}. */
  private final long maxPacketSize;
  /** Null when there are no spans: nothing of tracing runs per message. */
  private final Tracing tracing;
  /** Published QoS 1 messages awaiting PUBACK, by packet id, oldest first (so earliest deadline first). */
  private final Map<Integer, InFlight> inFlight = new LinkedHashMap<>();
  private final ArrayDeque<Delivery> queued = new ArrayDeque<>();
  private int writing;
  private long unwrittenBytes;
  private boolean closed;
  /** The packet id of the last QoS 1 PUBLISH: this class numbers them, as only it publishes. */
  private int lastPacketId;
  /** Packet ids of QoS 1 PUBLISH packets being written (not yet awaiting their PUBACK). */
  private final Set<Integer> sending = new HashSet<>();

  /** The one timer for the oldest in-flight message's ack timeout; -1 when none is armed. */
  private long ackTimer = -1;

  private record InFlight(Delivery delivery, long deadlineNanos) {
  }

  /**
   * What the device and its session agreed to.
   *
   * @param receiveMaximum    the device's Receive Maximum (MQTT 5 CONNECT property; 65,535 otherwise)
   * @param ackTimeoutMs      how long a QoS 1 PUBLISH waits for its PUBACK
   * @param persistentSession whether the session outlives the connection: then a message is answered
   *                          once it is final (acked, timed out), and one the connection ends before is
   *                          handed back to be kept ({@link Parked})
   */
  public record Terms(int receiveMaximum, long ackTimeoutMs, boolean persistentSession) {
  }

  /** A message on its way to the device, and the answer the router waits for. */
  private static final class Delivery {
    final DownlinkMessage message;
    final Promise<Void> answer = Promise.promise();
    /** Its span from PUBLISH to final receipt, while it runs; null without spans. */
    Span span;

    Delivery(DownlinkMessage message) {
      this.message = message;
    }
  }

  /**
   * @param onSlowConsumer closes the connection: the device does not read what is written to it
   * @param tracing        the spans of the deliveries; null when tracing is off
   */
  public DeviceDelivery(MqttEndpoint endpoint, Vertx vertx, ReceiptWriter receipts, BridgeMetrics metrics,
                        Terms terms, Runnable onSlowConsumer, Tracing tracing) {
    this(endpoint, DeliveryClock.of(vertx), receipts, metrics, terms, onSlowConsumer, tracing);
  }

  /** @param clock the time and timer of the ack timeouts */
  DeviceDelivery(MqttEndpoint endpoint, DeliveryClock clock, ReceiptWriter receipts, BridgeMetrics metrics,
                 Terms terms, Runnable onSlowConsumer) {
    this(endpoint, clock, receipts, metrics, terms, onSlowConsumer, null);
  }

  /** @param clock the time and timer of the ack timeouts */
  DeviceDelivery(MqttEndpoint endpoint, DeliveryClock clock, ReceiptWriter receipts, BridgeMetrics metrics,
                 Terms terms, Runnable onSlowConsumer, Tracing tracing) {
    this.tracing = tracing != null && tracing.spans() ? tracing : null;
    this.onSlowConsumer = onSlowConsumer;
    this.endpoint = endpoint;
    this.clock = clock;
    this.receipts = receipts;
    this.metrics = metrics;
    this.receiveMaximum = terms.receiveMaximum();
    this.persistent = terms.persistentSession();
    this.ackTimeoutMs = terms.ackTimeoutMs();
    this.ackTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(ackTimeoutMs);
    this.mqtt5 = endpoint.protocolVersion() == MqttVersion.MQTT_5.protocolLevel();
    this.maxPacketSize = maxPacketSize(endpoint.connectProperties());
  }

  /**
   * Publishes the message, or queues it behind a full in-flight window. The future completes once the
   * message's first receipt is in Kafka (in a persistent session: its final one, {@code acked} or
   * {@code timeout}), or fails with {@link FirstReceiptNotWritten} (naming the receipt) when Kafka did
   * not take it: the router then writes that receipt itself. In a persistent session, a message the
   * connection ends before is acknowledged fails with {@link Parked} instead of a receipt: the router
   * keeps it for the session's next connection, resent with DUP and its packet id if it was sent.
   */
  public Future<Void> deliver(DownlinkMessage message) {
    Delivery delivery = new Delivery(message);
    if (closed || !endpoint.isConnected()) {
      ended(delivery, 0, Status.OFFLINE, "connection closed before delivery");
    } else if (message.qos() == 0 || (queued.isEmpty() && inFlight.size() + writing < receiveMaximum)) {
      publish(delivery);
    } else if (queued.size() < MAX_QUEUED) {
      queued.add(delivery);
    } else {
      firstReceipt(delivery, Status.REJECTED, "the device's in-flight window and queue are full");
    }
    return delivery.answer.future();
  }

  /** The device acknowledged a QoS 1 downlink PUBLISH. */
  public void onPuback(int packetId) {
    InFlight acked = inFlight.remove(packetId);
    if (acked == null) {
      return; // late, after the timeout receipt
    }
    finalReceipt(acked.delivery, Status.ACKED, null);
    drain();
  }

  /** The connection ended: every message still owed a final receipt gets one. */
  public void closed() {
    closed = true;
    if (ackTimer >= 0) {
      clock.cancelTimer(ackTimer);
      ackTimer = -1;
    }
    inFlight.forEach((packetId, pending) ->
        ended(pending.delivery, packetId, Status.TIMEOUT, "connection closed before PUBACK"));
    inFlight.clear();
    for (Delivery delivery : queued) {
      ended(delivery, 0, Status.OFFLINE, "connection closed before delivery");
    }
    queued.clear();
  }

  private void publish(Delivery delivery) {
    DownlinkMessage message = delivery.message;
    int qos = message.qos();
    DownlinkProperties props = message.properties();
    long now = props.ttlMs() < 0 ? 0 : clock.currentTimeMillis();
    if (props.expiredAt(message.timestamp(), now)) {
      // [MQTT-3.3.2-5] a message whose expiry passed before it could be sent is not sent.
      firstReceipt(delivery, Status.EXPIRED, "its ttl.ms passed while it waited for the device");
      return;
    }
    long expirySeconds = props.expiryIntervalSeconds(message.timestamp(), now);
    MqttProperties properties = mqtt5 ? PublishProperties.of(props, expirySeconds) : MqttProperties.NO_PROPERTIES;
    if (maxPacketSize != Long.MAX_VALUE) {
      long packet = PublishProperties.packetSize(message.mqttTopic(), qos, props, expirySeconds,
          message.payload().length());
      if (packet > maxPacketSize) {
        // [MQTT-3.1.2-24] never a packet larger than the client's Maximum Packet Size.
        firstReceipt(delivery, Status.REJECTED, "the PUBLISH would take " + packet
            + " bytes, more than the device's Maximum Packet Size (" + maxPacketSize + ")");
        return;
      }
    }
    int size = message.payload().length() + message.mqttTopic().length();
    if (unwrittenBytes > 0 && unwrittenBytes + size > MAX_UNWRITTEN_BYTES) {
      ended(delivery, 0, Status.OFFLINE, "the device does not read: connection closed as a slow consumer");
      onSlowConsumer.run();
      return;
    }
    unwrittenBytes += size;
    // A message sent to an earlier connection of the session goes again with DUP [MQTT-4.4.0-1], with
    // its packet id when known and free.
    boolean resend = qos > 0 && message.sent() >= 0;
    int id = qos == 0 ? 0 : resend && message.sent() > 0 && !inUse(message.sent()) ? message.sent() : nextPacketId();
    if (qos > 0) {
      writing++;
      sending.add(id);
    }
    if (tracing != null) {
      delivery.span = tracing.downlink(message.trace(), message.clientId(), message.mqttTopic(), qos);
    }
    endpoint.publish(message.mqttTopic(), message.payload(), MqttQoS.valueOf(qos), resend, false, id, properties)
        .onComplete((packetId, failure) -> {
          unwrittenBytes -= size;
          if (qos > 0) {
            writing--;
            sending.remove(id);
          }
          if (failure != null) {
            ended(delivery, 0, Status.OFFLINE, "write to the device failed: " + failure.getMessage());
            return;
          }
          metrics.downlinkLatency(System.currentTimeMillis() - message.timestamp());
          String detail = !mqtt5 && props.hasMqtt5Only()
              ? "an MQTT 3.1.1 device: the record's MQTT 5 properties were not sent" : null;
          if (persistent && qos > 0) {
            receipt(message, Status.DELIVERED, detail); // the router is answered with the final receipt
          } else {
            firstReceipt(delivery, Status.DELIVERED, detail);
          }
          if (qos == 0) {
            endSpan(delivery, Status.DELIVERED);
          }
          if (qos > 0) {
            if (closed) {
              ended(delivery, id, Status.TIMEOUT, "connection closed before PUBACK");
              return;
            }
            inFlight.put(id, new InFlight(delivery, clock.nanoTime() + ackTimeoutNanos));
            if (ackTimer < 0) {
              ackTimer = clock.setTimer(ackTimeoutMs, this::onAckTimeout);
            }
          }
        });
  }

  /**
   * The oldest in-flight message's deadline came: every message past its deadline gets
   * {@code timeout}, and the timer is armed again for the next deadline. One timer per connection
   * rather than one per message; a PUBACK does not cancel it.
   */
  private void onAckTimeout() {
    ackTimer = -1;
    long now = clock.nanoTime();
    boolean expired = false;
    Iterator<InFlight> oldestFirst = inFlight.values().iterator();
    while (oldestFirst.hasNext()) {
      InFlight pending = oldestFirst.next();
      long left = pending.deadlineNanos - now;
      if (left > 0) {
        ackTimer = clock.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left) + 1), this::onAckTimeout);
        break;
      }
      oldestFirst.remove();
      expired = true;
      finalReceipt(pending.delivery, Status.TIMEOUT, "no PUBACK within " + ackTimeoutMs + " ms");
    }
    if (expired) {
      drain();
    }
  }

  /**
   * The next packet id. vert.x's own numbering is not reachable from the publish that carries
   * properties.
   */
  private int nextPacketId() {
    lastPacketId = nextPacketId(lastPacketId, this::inUse);
    return lastPacketId;
  }

  /** Whether a packet id awaits its PUBACK or is being written. */
  private boolean inUse(int packetId) {
    return inFlight.containsKey(packetId) || sending.contains(packetId);
  }

  /**
   * The packet id after {@code last}, 1 to 65,535 and round again, skipping those still awaiting
   * PUBACK [MQTT-2.2.1-4]. The in-flight window is below 65,535, so one is always free.
   */
  static int nextPacketId(int last, IntPredicate inUse) {
    int id = last;
    do {
      id = id % 65_535 + 1;
    } while (inUse.test(id));
    return id;
  }

  private static long maxPacketSize(MqttProperties connect) {
    MqttProperties.MqttProperty<?> property = connect == null ? null
        : connect.getProperty(MqttProperties.MAXIMUM_PACKET_SIZE);
    if (property == null) {
      return Long.MAX_VALUE;
    }
    // A Four Byte Integer read into an int: unsigned.
    return Integer.toUnsignedLong((Integer) property.value());
  }

  private void drain() {
    while (!closed && !queued.isEmpty() && inFlight.size() + writing < receiveMaximum) {
      publish(queued.poll());
    }
  }

  /**
   * A message's receipt after its first, {@code acked} or {@code timeout}: in a persistent session the
   * router is answered with it.
   */
  private void finalReceipt(Delivery delivery, Status status, String detail) {
    endSpan(delivery, status);
    if (persistent) {
      firstReceipt(delivery, status, detail);
    } else {
      receipt(delivery.message, status, detail);
    }
  }

  /**
   * The message will not reach the device over this connection: {@code status} is its receipt, or,
   * in a persistent session, the router is handed it back to keep ({@link Parked}), with the packet
   * id it was sent with (0: not sent). A clean session's message that was never sent is handed back
   * too when its record is kept for the client ({@link DownlinkMessage#kept()}): it waits for the
   * client's next subscription rather than end {@code offline}.
   */
  private void ended(Delivery delivery, int packetId, Status status, String detail) {
    endSpan(delivery, status);
    if (persistent) {
      delivery.answer.tryFail(new Parked(Outcome.parked(packetId, status, detail)));
    } else if (status == Status.TIMEOUT) {
      receipt(delivery.message, status, detail); // its first receipt, delivered, answered the router
    } else if (delivery.message.kept()) {
      delivery.answer.tryFail(new Parked(Outcome.parked(0, status, detail)));
    } else {
      firstReceipt(delivery, status, detail);
    }
  }

  /** Ends the message's span, if it has one, with its final status. */
  private static void endSpan(Delivery delivery, Status status) {
    if (delivery.span != null) {
      Tracing.end(delivery.span, status.metricTag(), status != Status.ACKED && status != Status.DELIVERED);
      delivery.span = null;
    }
  }

  /** The message's first receipt: once Kafka has it, or could not take it, the router is answered. */
  private void firstReceipt(Delivery delivery, Status status, String detail) {
    receipt(delivery.message, status, detail).onComplete((ok, failure) -> {
      if (failure == null) {
        delivery.answer.tryComplete();
      } else {
        delivery.answer.tryFail(new FirstReceiptNotWritten(status, detail, failure));
      }
    });
  }

  private Future<Void> receipt(DownlinkMessage m, Status status, String detail) {
    return receipts.write(status, m.receiptRef(), detail);
  }
}
