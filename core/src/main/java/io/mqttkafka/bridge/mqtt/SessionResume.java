package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.bus.InstanceProtocol;
import io.mqttkafka.bridge.bus.InstanceProtocol.SessionAnswer;
import io.mqttkafka.bridge.bus.InstanceProtocol.SessionQuery;
import io.mqttkafka.bridge.kafka.KafkaSender;
import io.mqttkafka.bridge.records.DownlinkRecord;
import io.mqttkafka.bridge.records.PresenceRecord;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import java.util.concurrent.TimeUnit;

/**
 * Finds a connecting client's persistent session: asks the router that owns the client's partition
 * (the same number in every co-partitioned topic: its key's partition by Kafka's default
 * partitioner), over the event bus, which answers once it has read every presence record written
 * before the question. While no router owns the partition, or the owner is still rebuilding it (a
 * rebalance, a restart), it asks again, up to {@link #GIVE_UP_MS}; then the CONNECT is refused
 * (server unavailable), as the bridge cannot say whether a session is present.
 */
public final class SessionResume {

  /** How long a CONNECT that resumes may wait for its session: a rebalance and a rebuild. */
  static final long GIVE_UP_MS = 15_000;
  private static final long ASK_AGAIN_MS = 250;
  /**
   * How long one question waits. A router answers in milliseconds (CONNACK p99 182 ms on a loaded
   * machine); a question sent to an instance that just died waits this long before it is asked again
   * of the partition's next owner, so it bounds how fast a fleet resumes after an instance loss.
   */
  private static final DeliveryOptions QUERY = new DeliveryOptions().setSendTimeout(2_000);

  private final Vertx vertx;
  private final KafkaSender sender;
  private final String sessionsTopic;

  /** @param sessionsTopic co-partitioned with the subscriptions and downlink topics: its partition count is theirs */
  public SessionResume(Vertx vertx, KafkaSender sender, String sessionsTopic) {
    this.vertx = vertx;
    this.sender = sender;
    this.sessionsTopic = sessionsTopic;
  }

  /**
   * The client's session, as the {@code disconnected} record of its last connection, or null when it
   * has none; fails when no router answered within {@link #GIVE_UP_MS}.
   */
  public Future<PresenceRecord> find(String clientId) {
    Promise<PresenceRecord> found = Promise.promise();
    ask(clientId, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GIVE_UP_MS), found, "no answer yet");
    return found.future();
  }

  private void ask(String clientId, long deadlineNanos, Promise<PresenceRecord> found, String why) {
    if (System.nanoTime() - deadlineNanos > 0) {
      found.fail(new IllegalStateException("no router answered for the session of " + clientId + " within "
          + GIVE_UP_MS + " ms: " + why));
      return;
    }
    int partitions = sender.partitions(sessionsTopic);
    if (partitions <= 0) {
      vertx.setTimer(ASK_AGAIN_MS, id -> ask(clientId, deadlineNanos, found, "the partitions of " + sessionsTopic
          + " are not known"));
      return;
    }
    String address = InstanceProtocol.sessionsAddress(DownlinkRecord.homePartition(clientId, partitions));
    vertx.eventBus().<SessionAnswer>request(address, new SessionQuery(clientId), QUERY).onComplete((reply, failure) -> {
      if (failure == null && reply.body().kind() != SessionAnswer.Kind.NOT_READY) {
        found.complete(reply.body().session());
      } else {
        String again = failure != null ? failure.getMessage() : "the router of " + address + " is not ready";
        vertx.setTimer(ASK_AGAIN_MS, id -> ask(clientId, deadlineNanos, found, again));
      }
    });
  }
}
