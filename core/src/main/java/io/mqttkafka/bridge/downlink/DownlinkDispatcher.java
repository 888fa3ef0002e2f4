package io.mqttkafka.bridge.downlink;

import io.mqttkafka.bridge.bus.DownlinkMessage;
import io.mqttkafka.bridge.bus.InstanceProtocol;
import io.mqttkafka.bridge.bus.InstanceProtocol.Await;
import io.mqttkafka.bridge.bus.InstanceProtocol.Notice;
import io.mqttkafka.bridge.bus.InstanceProtocol.Outcome;
import io.mqttkafka.bridge.bus.InstanceProtocol.Ping;
import io.mqttkafka.bridge.records.Receipt.Status;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This instance's event-bus address: takes what the routers send for the devices connected here
 * ({@link InstanceProtocol}) and hands it to their sessions.
 *
 * <p>A deliver whose connection is here is answered once the message's first receipt is in Kafka
 * (see {@link DeviceDelivery#deliver}): the router settles the record, and commits its offset, only
 * after that, so an instance that dies before its receipt is written leaves the router to write
 * {@code offline} when its request times out. A message whose first receipt takes longer (it waits
 * behind the device's full in-flight window, or Kafka is slow) is answered
 * {@link Outcome.Kind#PENDING} after {@link #ANSWER_PENDING_AFTER_MS}, before the router's request
 * times out; the router then asks again with an {@link Await}, as often as needed, and still times
 * out if this instance dies. A first receipt Kafka did not take is handed back to the router
 * ({@link Outcome.Kind#RECEIPT_NOT_WRITTEN}), which writes it. A deliver whose connection is not here
 * is answered {@link Outcome.Kind#NOT_CONNECTED} at once (the router writes {@code offline}).
 */
public final class DownlinkDispatcher extends VerticleBase {

  /** Least time a deliver or an await stays unanswered: half the router's request timeout. */
  static final long ANSWER_PENDING_AFTER_MS = InstanceProtocol.REQUEST_TIMEOUT_MS / 2;
  private static final long ANSWER_PENDING_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(ANSWER_PENDING_AFTER_MS);
  /** How often {@link #sweep} runs: the longest a deliver stays unanswered is the sum, well within the timeout. */
  private static final long SWEEP_MS = 1_000;
  /** How long the outcome of a message reported pending is kept for the router's next await. */
  static final long KEEP_OUTCOME_MS = 2 * InstanceProtocol.REQUEST_TIMEOUT_MS;
  private static final Logger LOG = LoggerFactory.getLogger(DownlinkDispatcher.class);

  private final String instanceId;
  private final DeliveryTarget.Lookup registry;
  /** Messages reported pending, by "partition/offset": their first receipt, for the router's awaits. */
  private final Map<String, Future<Void>> pending = new ConcurrentHashMap<>();
  /** Delivers and awaits not answered yet, oldest first; the dispatcher's context only. */
  private final ArrayDeque<Unanswered> unanswered = new ArrayDeque<>();
  private MessageConsumer<Object> consumer;
  private long sweepTimer;

  public DownlinkDispatcher(String instanceId, DeliveryTarget.Lookup registry) {
    this.instanceId = instanceId;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    InstanceProtocol.register(vertx.eventBus());
    sweepTimer = vertx.setPeriodic(SWEEP_MS, id -> sweep());
    consumer = vertx.eventBus().consumer(InstanceProtocol.address(instanceId), this::onMessage);
    return consumer.completion();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(sweepTimer);
    return consumer.unregister();
  }

  private void onMessage(Message<Object> message) {
    Object body = message.body();
    if (body instanceof DownlinkMessage downlink) {
      DeliveryTarget session = connection(downlink.clientId(), downlink.connectionId());
      if (session != null) {
        answer(message, downlink.partition(), downlink.offset(), null, session.deliver(downlink));
      } else {
        message.reply(Outcome.notConnected(
            "connection " + downlink.connectionId() + " is not on instance " + instanceId));
      }
    } else if (body instanceof Await await) {
      String key = key(await.partition(), await.offset());
      Future<Void> firstReceipt = pending.get(key);
      if (firstReceipt == null) {
        message.reply(Outcome.unknownMessage("instance " + instanceId + " holds no downlink message " + key));
      } else {
        answer(message, await.partition(), await.offset(), key, firstReceipt);
      }
    } else if (body instanceof Ping ping) {
      message.reply(ping);
    } else if (body instanceof Notice notice) {
      DeliveryTarget session = connection(notice.clientId(), notice.connectionId());
      if (session != null && notice.action() == Notice.Action.TAKEOVER) {
        LOG.debug("[client-id: {}] taken over by a connection on another instance", notice.clientId());
        session.takeOver();
      } else if (session != null) {
        session.refreshPresence();
      }
    } else {
      LOG.warn("Unknown event-bus message on {}: {}", InstanceProtocol.address(instanceId), body);
    }
  }

  /** The client's connection here if it is the named one, else null. */
  private DeliveryTarget connection(String clientId, String connectionId) {
    DeliveryTarget session = clientId == null ? null : registry.get(clientId);
    return session != null && session.connectionId().equals(connectionId) ? session : null;
  }

  /**
   * Answers the router once the first receipt is in Kafka, or, through {@link #sweep}, after
   * {@link #ANSWER_PENDING_AFTER_MS} that it is still pending; the outcome of a pending one is kept
   * for the router's await. {@code awaitKey} is the message's key for an await, null for a deliver.
   * On the dispatcher's context.
   */
  private void answer(Message<Object> message, int partition, long offset, String awaitKey,
                      Future<Void> firstReceipt) {
    if (firstReceipt.isComplete()) {
      if (awaitKey != null) {
        pending.remove(awaitKey, firstReceipt);
      }
      reply(message, firstReceipt);
      return;
    }
    Unanswered waiting = new Unanswered(message, partition, offset, firstReceipt,
        System.nanoTime() + ANSWER_PENDING_AFTER_NANOS);
    unanswered.add(waiting);
    firstReceipt.onComplete(done -> {
      Message<Object> notAnswered = waiting.take();
      if (notAnswered != null) {
        if (awaitKey != null) {
          pending.remove(awaitKey, firstReceipt);
        }
        reply(notAnswered, firstReceipt);
      } else {
        // The router was told "pending" and is asking again (or will): keep the outcome a while for it.
        vertx.setTimer(KEEP_OUTCOME_MS, id -> pending.remove(waiting.key(), firstReceipt));
      }
    });
  }

  /**
   * Answers "pending" for each deliver or await unanswered for {@link #ANSWER_PENDING_AFTER_MS}: one
   * periodic timer, not one per message (a timer costs a scheduled task and a map entry each).
   */
  private void sweep() {
    long now = System.nanoTime();
    Unanswered head;
    while ((head = unanswered.peek()) != null && head.due - now <= 0) {
      unanswered.poll();
      Message<Object> notAnswered = head.take();
      if (notAnswered != null) {
        pending.put(head.key(), head.firstReceipt);
        notAnswered.reply(Outcome.PENDING);
      }
    }
  }

  /**
   * A deliver or an await, and its request until answered (by its outcome or by the sweep, whichever
   * {@link #take}s it first). Answered ones stay queued until due, so the request is let go at once:
   * a deliver's request holds the message and its payload.
   */
  private static final class Unanswered extends AtomicReference<Message<Object>> {
    final int partition;
    final long offset;
    final Future<Void> firstReceipt;
    final long due;

    Unanswered(Message<Object> message, int partition, long offset, Future<Void> firstReceipt, long due) {
      super(message);
      this.partition = partition;
      this.offset = offset;
      this.firstReceipt = firstReceipt;
      this.due = due;
    }

    /** The request if nobody answered it yet, else null; at most one caller gets it. */
    Message<Object> take() {
      return getAndSet(null);
    }

    String key() {
      return DownlinkDispatcher.key(partition, offset);
    }
  }

  private static String key(int partition, long offset) {
    return partition + "/" + offset;
  }

  private static void reply(Message<Object> message, Future<Void> firstReceipt) {
    if (firstReceipt.succeeded()) {
      message.reply(Outcome.RECEIPT_WRITTEN);
    } else if (firstReceipt.cause() instanceof Parked parked) {
      message.reply(parked.outcome());
    } else if (firstReceipt.cause() instanceof FirstReceiptNotWritten failed) {
      message.reply(Outcome.receiptNotWritten(failed.status(), failed.detail()));
    } else {
      message.reply(Outcome.receiptNotWritten(Status.OFFLINE, firstReceipt.cause().toString()));
    }
  }
}
