package io.mqttkafka.bridge.admin;

import io.micrometer.core.instrument.MeterRegistry;
import io.mqttkafka.bridge.bus.AdminProtocol;
import io.mqttkafka.bridge.bus.AdminProtocol.ClientAnswer;
import io.mqttkafka.bridge.bus.AdminProtocol.ClientQuery;
import io.mqttkafka.bridge.bus.AdminProtocol.Connection;
import io.mqttkafka.bridge.bus.AdminProtocol.DisconnectAnswer;
import io.mqttkafka.bridge.bus.AdminProtocol.DisconnectRequest;
import io.mqttkafka.bridge.bus.AdminProtocol.InstanceInfo;
import io.mqttkafka.bridge.bus.AdminProtocol.InstanceQuery;
import io.mqttkafka.bridge.bus.AdminProtocol.Route;
import io.mqttkafka.bridge.mqtt.DeviceSession;
import io.mqttkafka.bridge.mqtt.SessionRegistry;
import io.mqttkafka.bridge.routing.RouterVerticle;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayList;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This instance's side of {@link AdminProtocol}: answers what the admin API of any instance asks about
 * this one, from its own state (its sessions, its router partitions, its meters). Deployed on every
 * instance, whether its own admin API is on or not, so that a cluster-wide look-up reaches all.
 */
public final class InstanceAdmin extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(InstanceAdmin.class);

  /** What this instance answers from. */
  public record Local(String instanceId, long startedAt, SessionRegistry sessions, RouterVerticle router,
                      MeterRegistry registry, BooleanSupplier ready) {
  }

  private final Local local;
  private MessageConsumer<Object> consumer;

  public InstanceAdmin(Local local) {
    this.local = local;
  }

  @Override
  public Future<?> start() {
    AdminProtocol.register(vertx.eventBus());
    consumer = vertx.eventBus().consumer(AdminProtocol.address(local.instanceId()), this::onMessage);
    return consumer.completion();
  }

  @Override
  public Future<?> stop() {
    return consumer.unregister();
  }

  private void onMessage(Message<Object> message) {
    Object body = message.body();
    if (body instanceof InstanceQuery) {
      message.reply(info());
    } else if (body instanceof ClientQuery query) {
      client(query.clientId()).onSuccess(message::reply)
          .onFailure(failure -> message.fail(500, failure.toString()));
    } else if (body instanceof DisconnectRequest request) {
      DeviceSession session = local.sessions().get(request.clientId());
      if (session != null) {
        LOG.info("[client-id: {}] disconnected through the admin API", request.clientId());
        session.disconnectByAdmin();
      }
      message.reply(new DisconnectAnswer(local.instanceId(), session == null ? null : session.connectionId()));
    } else {
      message.fail(400, "unknown admin request " + (body == null ? null : body.getClass().getSimpleName()));
    }
  }

  private InstanceInfo info() {
    return new InstanceInfo(local.instanceId(), local.startedAt(), local.sessions().size(),
        new ArrayList<>(local.router().partitionsOwned()), local.router().clients(), local.ready().getAsBoolean(),
        Counters.read(local.registry()), System.currentTimeMillis());
  }

  /** The client's connection here, if any, and the router's view if this instance routes its partition. */
  private Future<ClientAnswer> client(String clientId) {
    DeviceSession session = local.sessions().get(clientId);
    Future<Connection> connection = session == null ? Future.succeededFuture() : session.describe();
    Future<Route> route = local.router().route(clientId).recover(failure -> {
      LOG.debug("[client-id: {}] admin look-up: the router did not answer: {}", clientId, failure.toString());
      return Future.succeededFuture();
    });
    return Future.all(connection, route).map(both ->
        new ClientAnswer(local.instanceId(), connection.result(), route.result()));
  }
}
