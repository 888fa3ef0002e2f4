package io.mqttkafka.bridge.admin;

import io.mqttkafka.bridge.bus.AdminProtocol;
import io.mqttkafka.bridge.bus.AdminProtocol.ClientAnswer;
import io.mqttkafka.bridge.bus.AdminProtocol.ClientQuery;
import io.mqttkafka.bridge.bus.AdminProtocol.DisconnectAnswer;
import io.mqttkafka.bridge.bus.AdminProtocol.DisconnectRequest;
import io.mqttkafka.bridge.bus.AdminProtocol.InstanceInfo;
import io.mqttkafka.bridge.bus.AdminProtocol.InstanceQuery;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The admin API's questions to every instance of the cluster, this one included, over
 * {@link AdminProtocol}: each instance is asked at its own address and answers from its own state; an
 * instance that does not answer in time is reported, not waited for. Which instances there are comes
 * from the cluster's membership (each member carries its instance id); unclustered, only this one.
 */
final class ClusterAdmin {

  /**
   * One instance's answer, or why there is none.
   *
   * @param answer  the answer, or null when the instance did not answer
   * @param failure why it did not answer (a timeout, no handler: it left), or null
   */
  record Reply<T>(String instanceId, T answer, String failure) {
  }

  private final Vertx vertx;
  private final Supplier<List<String>> instanceIds;

  /** @param instanceIds the instance ids of the cluster now, this one included */
  ClusterAdmin(Vertx vertx, Supplier<List<String>> instanceIds) {
    this.vertx = vertx;
    this.instanceIds = instanceIds;
  }

  Future<List<Reply<InstanceInfo>>> instances() {
    return askAll(new InstanceQuery(), InstanceInfo.class);
  }

  Future<List<Reply<ClientAnswer>>> client(String clientId) {
    return askAll(new ClientQuery(clientId), ClientAnswer.class);
  }

  Future<List<Reply<DisconnectAnswer>>> disconnect(String clientId) {
    return askAll(new DisconnectRequest(clientId), DisconnectAnswer.class);
  }

  /** Asks every instance at once; completes, never fails, once each answered or timed out. */
  private <T> Future<List<Reply<T>>> askAll(Object request, Class<T> answerType) {
    List<Future<Reply<T>>> replies = new ArrayList<>();
    for (String id : instanceIds.get()) {
      replies.add(vertx.eventBus().request(AdminProtocol.address(id), request, AdminProtocol.REQUEST)
          .map(message -> new Reply<>(id, answerType.cast(message.body()), null))
          .otherwise(failure -> new Reply<>(id, null, failure.getMessage())));
    }
    return Future.all(replies).map(all -> {
      List<Reply<T>> list = new ArrayList<>(replies.size());
      replies.forEach(reply -> list.add(reply.result()));
      return list;
    });
  }
}
