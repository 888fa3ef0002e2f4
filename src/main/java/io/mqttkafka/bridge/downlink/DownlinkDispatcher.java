package io.mqttkafka.bridge.downlink;

import io.mqttkafka.bridge.bus.Addresses;
import io.mqttkafka.bridge.mqtt.DeviceSession;
import io.mqttkafka.bridge.mqtt.SessionRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This instance's event-bus address: takes what the routers send for the devices connected here
 * and hands it to their sessions. A {@code deliver} whose connection is here is answered once the
 * message's first receipt is in Kafka (see {@link DeviceDelivery#deliver}): the router commits the
 * record's offset only after the answer, so an instance that dies before its receipt is written
 * leaves the router to write {@code offline} when the forward times out. One whose connection is not
 * here fails at once (the router writes {@code offline}).
 */
public final class DownlinkDispatcher extends VerticleBase {

  /** Failure code of a deliver whose connection is not on this instance. */
  public static final int NOT_CONNECTED_HERE = 404;
  private static final Logger LOG = LoggerFactory.getLogger(DownlinkDispatcher.class);

  private final String instanceId;
  private final SessionRegistry registry;
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
          session.deliver(DownlinkMessage.from(message.headers(), message.body()))
              .onComplete((ok, failure) -> message.reply(null));
        } else {
          message.fail(NOT_CONNECTED_HERE, "connection " + connectionId + " is not on instance " + instanceId);
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
}
