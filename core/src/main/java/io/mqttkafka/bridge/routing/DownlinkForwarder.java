package io.mqttkafka.bridge.routing;

import io.mqttkafka.bridge.bus.DownlinkMessage;
import io.mqttkafka.bridge.bus.InstanceProtocol;
import io.mqttkafka.bridge.bus.InstanceProtocol.Await;
import io.mqttkafka.bridge.bus.InstanceProtocol.Outcome;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The router's side of {@link InstanceProtocol}: delivers a message to the instance that holds its
 * device, and asks again ({@link Await}) for as long as that instance answers
 * {@link Outcome.Kind#PENDING}, so that a record is never settled on a promise. The result is the
 * final outcome: the first receipt is in Kafka, or why the router must write it.
 *
 * <p>Once the event bus has no handler for an instance any more (it died and the cluster removed it,
 * or it stopped), every request still waiting for that instance ends at once as
 * {@link Result.Kind#NO_ANSWER}, rather than at its timeout: a dead instance answers nothing, and its
 * devices, reconnected elsewhere, would otherwise get nothing of their sessions until then. An
 * instance that stops answers its requests before it unregisters (its connections close first).
 */
final class DownlinkForwarder {

  /** What became of a deliver, once it is final. */
  record Result(Kind kind, Outcome outcome, String detail) {

    enum Kind {
      /** The instance wrote the message's first receipt: settled. */
      RECEIPT_WRITTEN,
      /** The instance could not write the first receipt: the router writes {@code outcome}'s status. */
      RECEIPT_NOT_WRITTEN,
      /** The connection is gone (its instance is gone, or it closed): {@code offline}, and say so for it. */
      GONE,
      /** The instance did not answer in time (or forgot the message): {@code offline}. */
      NO_ANSWER,
      /**
       * The persistent session's connection ended before the message was acknowledged: the router
       * parks it, or writes {@code outcome}'s status when the record is not kept.
       */
      PARKED
    }
  }

  private final Vertx vertx;
  private final BridgeMetrics metrics;
  /** The results not known yet, by the instance asked. */
  private final Map<String, Set<Promise<Result>>> waiting = new ConcurrentHashMap<>();

  DownlinkForwarder(Vertx vertx, BridgeMetrics metrics) {
    this.vertx = vertx;
    this.metrics = metrics;
  }

  /** Sends the message to {@code instanceId}; completes (never fails) with the final result. */
  Future<Result> deliver(String instanceId, DownlinkMessage message) {
    Promise<Result> result = Promise.promise();
    Set<Promise<Result>> ofInstance = waiting.computeIfAbsent(instanceId, id -> ConcurrentHashMap.newKeySet());
    ofInstance.add(result);
    request(instanceId, message, message, result);
    return result.future().onComplete(done -> ofInstance.remove(result));
  }

  /**
   * The instance is gone (the event bus has no handler for it): what still waits for its answer ends
   * now, as not answered.
   */
  void instanceGone(String instanceId) {
    Set<Promise<Result>> ofInstance = waiting.remove(instanceId);
    if (ofInstance == null) {
      return;
    }
    for (Promise<Result> result : ofInstance) {
      result.tryComplete(new Result(Result.Kind.NO_ANSWER, null, "instance " + instanceId
          + " is gone before it answered"));
    }
  }

  private void request(String instanceId, DownlinkMessage message, Object body, Promise<Result> result) {
    vertx.eventBus().<Outcome>request(InstanceProtocol.address(instanceId), body, InstanceProtocol.REQUEST)
        .onComplete((reply, failure) -> {
          if (result.future().isComplete()) {
            return; // ended when its instance turned out gone
          }
          if (failure != null) {
            Result failed = failed(instanceId, failure);
            result.tryComplete(failed);
            if (failed.kind() == Result.Kind.GONE) {
              instanceGone(instanceId);
            }
            return;
          }
          Outcome outcome = reply.body();
          switch (outcome.kind()) {
            case PENDING -> {
              metrics.routerAwait();
              request(instanceId, message, Await.of(message), result);
            }
            case RECEIPT_WRITTEN -> result.tryComplete(new Result(Result.Kind.RECEIPT_WRITTEN, outcome, null));
            case RECEIPT_NOT_WRITTEN -> result.tryComplete(new Result(Result.Kind.RECEIPT_NOT_WRITTEN, outcome,
                outcome.detail()));
            case PARKED -> result.tryComplete(new Result(Result.Kind.PARKED, outcome, outcome.detail()));
            case NOT_CONNECTED -> result.tryComplete(new Result(Result.Kind.GONE, outcome,
                "the connection is gone"));
            case UNKNOWN_MESSAGE -> result.tryComplete(new Result(Result.Kind.NO_ANSWER, outcome,
                "instance " + instanceId + " did not answer: " + outcome.detail()));
          }
        });
  }

  private static Result failed(String instanceId, Throwable failure) {
    if (failure instanceof ReplyException reply && reply.failureType() == ReplyFailure.NO_HANDLERS) {
      return new Result(Result.Kind.GONE, null, "the connection is gone");
    }
    return new Result(Result.Kind.NO_ANSWER, null, "instance " + instanceId + " did not answer: "
        + failure.getMessage());
  }
}
