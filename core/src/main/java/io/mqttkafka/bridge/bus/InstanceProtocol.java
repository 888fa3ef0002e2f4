package io.mqttkafka.bridge.bus;

import io.mqttkafka.bridge.records.PresenceRecord;
import io.mqttkafka.bridge.records.Receipt;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import java.util.Objects;

/**
 * What routers and the instances that hold device connections say to each other over the clustered
 * event bus. One address per instance ({@link #address}), never one per client. Every message is a
 * typed body with its own codec ({@link ProtocolCodecs}); within one instance the object itself is
 * handed over.
 *
 * <ul>
 *   <li>deliver: a {@link DownlinkMessage}, answered with an {@link Outcome} once the message's first
 *       receipt is in Kafka, or {@link Outcome.Kind#PENDING} after about half the router's timeout;</li>
 *   <li>{@link Await}: asked after a {@code PENDING}, answered the same way, as often as needed;</li>
 *   <li>{@link Notice}: close a connection (taken over elsewhere) or write its presence again; no answer;</li>
 *   <li>{@link Ping}: a router asks whether the instance is there (answered with the ping itself);</li>
 *   <li>{@link SessionQuery}, to the router that owns a client's partition ({@link #sessionsAddress}):
 *       the client's persistent session, answered with a {@link SessionAnswer}.</li>
 * </ul>
 * A request that times out, or finds no handler (the instance is gone), fails with vert.x's
 * {@code ReplyException}; the router then writes the receipt itself.
 */
public final class InstanceProtocol {

  /**
   * How long the router waits for the device's instance to answer a deliver or an await. The instance
   * answers once the message's first receipt is in Kafka, or after half this time that it is still
   * pending; without an answer the router writes {@code offline} itself.
   */
  public static final long REQUEST_TIMEOUT_MS = 10_000;

  /** The options of a deliver and an await: shared, never changed. */
  public static final DeliveryOptions REQUEST = new DeliveryOptions().setSendTimeout(REQUEST_TIMEOUT_MS);

  private static final String INSTANCE_PREFIX = "mqtt.bridge.instance.";
  private static final String SESSIONS_PREFIX = "mqtt.bridge.sessions.";
  private static final Object REGISTERING = new Object();

  private InstanceProtocol() {
  }

  /** The event-bus address of an instance. */
  public static String address(String instanceId) {
    return INSTANCE_PREFIX + instanceId;
  }

  /** The event-bus address of the router that owns partition {@code partition}: where sessions are asked for. */
  public static String sessionsAddress(int partition) {
    return SESSIONS_PREFIX + partition;
  }

  /** Registers the protocol's codecs on this event bus unless they are (the router and the dispatcher both call it). */
  public static void register(EventBus bus) {
    synchronized (REGISTERING) {
      try {
        bus.registerDefaultCodec(DownlinkMessage.class, new DownlinkMessageCodec());
        bus.registerDefaultCodec(Await.class, new ProtocolCodecs.AwaitCodec());
        bus.registerDefaultCodec(Notice.class, new ProtocolCodecs.NoticeCodec());
        bus.registerDefaultCodec(Outcome.class, new ProtocolCodecs.OutcomeCodec());
        bus.registerDefaultCodec(Ping.class, new ProtocolCodecs.PingCodec());
        bus.registerDefaultCodec(SessionQuery.class, new ProtocolCodecs.SessionQueryCodec());
        bus.registerDefaultCodec(SessionAnswer.class, new ProtocolCodecs.SessionAnswerCodec());
      } catch (IllegalStateException alreadyRegistered) {
        // One set per event bus: the other verticle registered them.
      }
    }
  }

  /** Asks again about a deliver answered {@code PENDING}: the message at {@code partition}/{@code offset}. */
  public record Await(String clientId, String connectionId, int partition, long offset) {

    public static Await of(DownlinkMessage message) {
      return new Await(message.clientId(), message.connectionId(), message.partition(), message.offset());
    }
  }

  /** Tells the instance about one of its connections; never answered. */
  public record Notice(Action action, String clientId, String connectionId) {

    public enum Action {
      /** Close the connection: a newer connection of the same client exists elsewhere [MQTT-3.1.4-3]. */
      TAKEOVER,
      /** Write the connection's presence record again: the router saw a stale one after it. */
      REFRESH
    }

    public Notice {
      Objects.requireNonNull(action, "action");
    }
  }

  /** Is the instance there? Answered with the ping itself; no handler means it is gone. */
  public record Ping(String from) {
  }

  /** Asks the router that owns the client's partition for the client's persistent session. */
  public record SessionQuery(String clientId) {
  }

  /**
   * The router's answer to a {@link SessionQuery}.
   *
   * @param session the session as a {@code disconnected} presence record of its last connection
   *                (filters, session with its QoS 2 packet ids); null unless {@link Kind#FOUND}
   */
  public record SessionAnswer(Kind kind, PresenceRecord session) {

    public enum Kind {
      /** The client has a persistent session: {@code session}. */
      FOUND,
      /** The client has none. */
      NONE,
      /** This router does not own the client's partition (any more), or has not rebuilt it yet: ask again. */
      NOT_READY
    }

    public static final SessionAnswer NONE = new SessionAnswer(Kind.NONE, null);
    public static final SessionAnswer NOT_READY = new SessionAnswer(Kind.NOT_READY, null);

    public SessionAnswer {
      Objects.requireNonNull(kind, "kind");
      if ((kind == Kind.FOUND) != (session != null)) {
        throw new IllegalArgumentException("a session goes with FOUND only, not with " + kind);
      }
    }
  }

  /**
   * The answer to a deliver or an await.
   *
   * @param status   for {@link Kind#RECEIPT_NOT_WRITTEN}: the receipt the router must write; for
   *                 {@link Kind#PARKED}: the receipt to write unless the record is kept; else null
   * @param detail   that receipt's detail, or why not connected; may be null
   * @param packetId for {@link Kind#PARKED}: the packet id the message was sent with, 0 when it was not
   *                 sent; else -1
   */
  public record Outcome(Kind kind, Receipt.Status status, String detail, int packetId) {

    public enum Kind {
      /** The message's first receipt is in Kafka: the router settles the record. */
      RECEIPT_WRITTEN,
      /** Not yet (the device's in-flight window is full, or Kafka is slow): ask again with an {@link Await}. */
      PENDING,
      /** The connection is not on this instance: the router writes {@code offline}. */
      NOT_CONNECTED,
      /** An await for a message this instance does not hold (it restarted under the same id). */
      UNKNOWN_MESSAGE,
      /** Kafka did not take the first receipt: the router writes {@code status} with {@code detail} itself. */
      RECEIPT_NOT_WRITTEN,
      /**
       * The connection of a persistent session ended before the message was acknowledged: the router
       * parks it to be resent (with DUP if {@code packetId} is above 0), or writes {@code status} if
       * the record is not to be kept.
       */
      PARKED
    }

    public static final Outcome RECEIPT_WRITTEN = new Outcome(Kind.RECEIPT_WRITTEN, null, null);
    public static final Outcome PENDING = new Outcome(Kind.PENDING, null, null);

    public Outcome {
      Objects.requireNonNull(kind, "kind");
      boolean needsStatus = kind == Kind.RECEIPT_NOT_WRITTEN || kind == Kind.PARKED;
      if (needsStatus != (status != null)) {
        throw new IllegalArgumentException("a status goes with RECEIPT_NOT_WRITTEN and PARKED only, not with " + kind);
      }
      if ((kind == Kind.PARKED) != (packetId >= 0)) {
        throw new IllegalArgumentException("a packet id goes with PARKED only, not with " + kind);
      }
    }

    public Outcome(Kind kind, Receipt.Status status, String detail) {
      this(kind, status, detail, -1);
    }

    /**
     * @param packetId the packet id it was sent with, 0 when it was not sent
     * @param status   the receipt the router writes unless it keeps the record
     */
    public static Outcome parked(int packetId, Receipt.Status status, String detail) {
      return new Outcome(Kind.PARKED, status, detail, packetId);
    }

    public static Outcome notConnected(String detail) {
      return new Outcome(Kind.NOT_CONNECTED, null, detail);
    }

    public static Outcome unknownMessage(String detail) {
      return new Outcome(Kind.UNKNOWN_MESSAGE, null, detail);
    }

    public static Outcome receiptNotWritten(Receipt.Status status, String detail) {
      return new Outcome(Kind.RECEIPT_NOT_WRITTEN, status, detail);
    }
  }
}
