package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.vertx.EndpointChannel;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.metrics.MetricTags.ProtocolError;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle of one connection, every transition in one place: its {@link SessionState}, why it
 * closes ({@link CloseReason}) and whether its Will is published. {@link DeviceSession} drives it
 * (takeover, shutdown, DISCONNECT, bad input, close); the flows ({@link UplinkFlow},
 * {@link SubscriptionFlow}) ask it whether the connection is closed or draining, and have it close
 * the connection. Event loop only.
 */
final class SessionLifecycle {

  private static final Logger LOG = LoggerFactory.getLogger(SessionLifecycle.class);

  private final MqttEndpoint endpoint;
  private final BridgeMetrics metrics;
  private final String clientId;
  private SessionState state = SessionState.OPEN;
  /** Why the connection closes, once a close has begun; null until then (then the network ended it). */
  private CloseReason closeReason;
  /**
   * True once the close needs no Will: a normal DISCONNECT, a takeover or a server shutdown. Decided
   * by what happened, apart from the close reason, because the two disagree: a DISCONNECT with reason
   * 0x04 keeps the Will although it closes like any DISCONNECT, and a takeover or shutdown cancels it
   * even when the network drops the connection before the bridge closes it.
   */
  private boolean willCancelled;

  SessionLifecycle(MqttEndpoint endpoint, BridgeMetrics metrics, String clientId) {
    this.endpoint = endpoint;
    this.metrics = metrics;
    this.clientId = clientId;
  }

  SessionState state() {
    return state;
  }

  boolean isClosed() {
    return state == SessionState.CLOSED;
  }

  /** The bridge is shutting down: see {@link SessionState#DRAINING}. */
  boolean isDraining() {
    return state == SessionState.DRAINING;
  }

  /** Closes the connection (MQTT 5: DISCONNECT with the code first); reason as in BridgeMetrics#connectionClosed. */
  void disconnect(MqttDisconnectReasonCode code, CloseReason reason) {
    if (isClosed() || !endpoint.isConnected()) {
      return;
    }
    closeBegun(reason);
    endpoint.disconnect(code, MqttProperties.NO_PROPERTIES);
  }

  /** The client broke the protocol: counted, then closed with {@code code}. */
  void protocolViolation(ProtocolError type, MqttDisconnectReasonCode code) {
    metrics.protocolError(type);
    LOG.debug("[client-id: {}] protocol violation ({}), closing", clientId, type);
    disconnect(code, CloseReason.PROTOCOL_ERROR);
  }

  /** Closes this connection because the same client id connected again [MQTT-3.1.4-3]. */
  void takeOver() {
    willCancelled = true;
    disconnect(MqttDisconnectReasonCode.SESSION_TAKEN_OVER, CloseReason.TAKEOVER);
  }

  /** The bridge is shutting down: the connection drains ({@link SessionState#DRAINING}), without a Will. */
  void drain() {
    willCancelled = true;
    state = state.shutdownBegun();
  }

  /** Closes a draining connection: its acknowledgements are out, or it waited long enough (MQTT 5: DISCONNECT 0x8B). */
  void endDrain() {
    disconnect(MqttDisconnectReasonCode.SERVER_SHUTTING_DOWN, CloseReason.SHUTDOWN);
  }

  /** The client sent DISCONNECT; vert.x closes the connection after it. */
  void clientDisconnected(MqttDisconnectReasonCode code) {
    // A DISCONNECT discards the Will [MQTT-3.14.4-3], unless MQTT 5 asks for it with 0x04.
    willCancelled = code != MqttDisconnectReasonCode.WITH_WILL_MESSAGE;
    closeBegun(CloseReason.DISCONNECT);
  }

  /** The decoder failed on the client's input; vert.x closes the connection after it. */
  void badInput() {
    closeBegun(CloseReason.BAD_INPUT);
  }

  /**
   * The device stopped reading its downlink: close the channel at once, dropping what is buffered
   * for it (a DISCONNECT could not reach it anyway, and a graceful close would wait for the buffer).
   */
  void closeSlowConsumer() {
    if (isClosed()) {
      return;
    }
    closeBegun(CloseReason.SLOW_CONSUMER);
    LOG.debug("[client-id: {}] does not read its downlink, closing", clientId);
    if (!EndpointChannel.closeNow(endpoint)) {
      endpoint.close();
    }
  }

  /**
   * The close handler ran: the connection is CLOSED. Returns why it closed ({@link CloseReason#LOST}
   * when nothing closed it on purpose), or null when it was closed already.
   */
  CloseReason closed() {
    if (isClosed()) {
      return null;
    }
    state = SessionState.CLOSED;
    return closeReason == null ? CloseReason.LOST : closeReason;
  }

  /** Whether the Will is to be published now that the connection closed [MQTT-3.1.2-8]. */
  boolean publishesWill() {
    return !willCancelled;
  }

  /** A close began, for {@code reason}: the last one recorded before the close handler runs counts. */
  private void closeBegun(CloseReason reason) {
    if (isClosed()) {
      return;
    }
    closeReason = reason;
    state = state.closeBegun();
  }
}
