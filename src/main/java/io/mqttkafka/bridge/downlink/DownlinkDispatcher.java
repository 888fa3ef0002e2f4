package io.mqttkafka.bridge.downlink;

import io.mqttkafka.bridge.bus.Addresses;
import io.mqttkafka.bridge.mqtt.DeviceSession;
import io.mqttkafka.bridge.mqtt.SessionRegistry;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This instance's event-bus address: takes what the routers send for the devices connected here
 * and hands it to their sessions.
 *
 * <p>A {@code deliver} whose connection is here is answered once the message's first receipt is in
 * Kafka (see {@link DeviceDelivery#deliver}): the router commits the record's offset only after that,
 * so an instance that dies before its receipt is written leaves the router to write {@code offline}
 * when its request times out. A message whose first receipt takes longer (it waits behind the
 * device's full in-flight window, or Kafka is slow) is answered {@link Addresses#OUTCOME_PENDING}
 * after {@link #ANSWER_PENDING_AFTER_MS}, before the router's request times out; the router then asks
 * again with an {@code await}, as often as needed, and still times out if this instance dies. A first
 * receipt Kafka did not take is handed back to the router ({@link #RECEIPT_NOT_WRITTEN}), which writes
 * it. A deliver whose connection is not here fails at once (the router writes {@code offline}).
 */
public final class DownlinkDispatcher extends VerticleBase {

  /** Failure code of a deliver whose connection is not on this instance. */
  public static final int NOT_CONNECTED_HERE = 404;
  /** Failure code of an await for a message this instance does not hold (it restarted under the same id). */
  public static final int UNKNOWN_MESSAGE = 410;
  /**
   * Failure code when Kafka did not take the message's first receipt; the failure message is the
   * receipt's status name, then a new line and its detail if it has one.
   */
  public static final int RECEIPT_NOT_WRITTEN = 503;
  /** Longest a deliver or an await stays unanswered: half the router's request timeout. */
  static final long ANSWER_PENDING_AFTER_MS = DownlinkMessage.FORWARD_TIMEOUT_MS / 2;
  /** How long the outcome of a message reported pending is kept for the router's next await. */
  static final long KEEP_OUTCOME_MS = 2 * DownlinkMessage.FORWARD_TIMEOUT_MS;
  private static final DeliveryOptions PENDING = new DeliveryOptions()
      .addHeader(Addresses.OUTCOME, Addresses.OUTCOME_PENDING);
  private static final Logger LOG = LoggerFactory.getLogger(DownlinkDispatcher.class);

  private final String instanceId;
  private final SessionRegistry registry;
  /** Messages reported pending, by "partition/offset": their first receipt, for the router's awaits. */
  private final Map<String, Future<Void>> pending = new ConcurrentHashMap<>();
  private MessageConsumer<Buffer> consumer;

  public DownlinkDispatcher(String instanceId, SessionRegistry registry) {
    this.instanceId = instanceId;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    consumer = vertx.eventBus().consumer(Addresses.instance(instanceId), this::onMessage);
    return consumer.completion();
  }

  @Override
  public Future<?> stop() {
    return consumer.unregister();
  }

  private void onMessage(Message<Buffer> message) {
    String clientId = message.headers().get(Addresses.CLIENT_ID);
    String connectionId = message.headers().get(Addresses.CONNECTION_ID);
    DeviceSession session = clientId == null ? null : registry.get(clientId);
    boolean here = session != null && session.connectionId().equals(connectionId);
    String action = message.headers().get(Addresses.ACTION);
    switch (action == null ? "" : action) {
      case Addresses.ACTION_DELIVER -> {
        if (here) {
          answer(message, key(message.headers()),
              session.deliver(DownlinkMessage.from(message.headers(), message.body())));
        } else {
          message.fail(NOT_CONNECTED_HERE, "connection " + connectionId + " is not on instance " + instanceId);
        }
      }
      case Addresses.ACTION_AWAIT -> {
        String key = key(message.headers());
        Future<Void> firstReceipt = pending.get(key);
        if (firstReceipt == null) {
          message.fail(UNKNOWN_MESSAGE, "instance " + instanceId + " holds no downlink message " + key);
        } else {
          answer(message, key, firstReceipt);
        }
      }
      case Addresses.ACTION_TAKEOVER -> {
        if (here) {
          LOG.debug("[client-id: {}] taken over by a connection on another instance", clientId);
          session.takeOver();
        }
      }
      case Addresses.ACTION_REFRESH -> {
        if (here) {
          session.refreshPresence();
        }
      }
      default -> LOG.warn("Unknown event-bus action {} for client {}", action, clientId);
    }
  }

  /**
   * Answers the router once the first receipt is in Kafka, or after {@link #ANSWER_PENDING_AFTER_MS}
   * that it is still pending; the outcome of a pending one is kept for the router's await.
   */
  private void answer(Message<Buffer> message, String key, Future<Void> firstReceipt) {
    if (firstReceipt.isComplete()) {
      pending.remove(key, firstReceipt);
      reply(message, firstReceipt);
      return;
    }
    AtomicBoolean answered = new AtomicBoolean();
    long timer = vertx.setTimer(ANSWER_PENDING_AFTER_MS, id -> {
      if (answered.compareAndSet(false, true)) {
        pending.put(key, firstReceipt);
        message.reply(null, PENDING);
      }
    });
    firstReceipt.onComplete(done -> {
      if (answered.compareAndSet(false, true)) {
        vertx.cancelTimer(timer);
        pending.remove(key, firstReceipt);
        reply(message, firstReceipt);
      } else {
        // The router was told "pending" and is asking again (or will): keep the outcome a while for it.
        vertx.setTimer(KEEP_OUTCOME_MS, id -> pending.remove(key, firstReceipt));
      }
    });
  }

  private static void reply(Message<Buffer> message, Future<Void> firstReceipt) {
    if (firstReceipt.succeeded()) {
      message.reply(null);
    } else if (firstReceipt.cause() instanceof FirstReceiptNotWritten failed) {
      message.fail(RECEIPT_NOT_WRITTEN,
          failed.status().name() + (failed.detail() == null ? "" : "\n" + failed.detail()));
    } else {
      message.fail(RECEIPT_NOT_WRITTEN, "OFFLINE\n" + firstReceipt.cause());
    }
  }

  private static String key(MultiMap headers) {
    return headers.get(Addresses.PARTITION) + "/" + headers.get(Addresses.OFFSET);
  }
}
