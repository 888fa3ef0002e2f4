package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.metrics.MetricTags.ProtocolError;
import io.mqttkafka.bridge.vertx.MqttFailures;
import io.mqttkafka.bridge.vertx.ServerConnections;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttUnsubscribeMessage;
import io.netty.util.ReferenceCountUtil;
import io.vertx.mqtt.MqttServer;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubAckReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubCompReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubRecReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubRelReasonCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes connections on MQTT packets that Netty's decoder accepts but vert.x-mqtt 5.0.8 mishandles
 * (found by FuzzIT):
 * <ul>
 *   <li>a packet only a server sends (CONNACK, SUBACK, UNSUBACK, PINGRESP) reaches the pipeline tail
 *       with a WARN and a stack trace, and the connection stays open; before CONNECT such packets even
 *       keep resetting the CONNECT timeout, so the connection is never closed;</li>
 *   <li>an MQTT 5 reason code vert.x does not know (PUBACK, PUBREC, PUBREL, PUBCOMP, DISCONNECT)
 *       throws IllegalArgumentException in vert.x's handler, and the connection stays open;</li>
 *   <li>a second CONNECT whose protocol version vert.x refuses makes vert.x replace the connection's
 *       endpoint, so the accepted endpoint never hears that its connection closed: its session stayed
 *       registered (and counted as connected) for ever;</li>
 *   <li>rules of the spec nobody checks: Will flags, empty SUBSCRIBE/UNSUBSCRIBE, and the others in
 *       {@link #violation}; a Will QoS of 3 even failed when the Will was published.</li>
 * </ul>
 * It sits right after the MQTT decoder and turns each of these into the same exception a decoder
 * failure raises, so they take the decoder failures' path: counted, logged at DEBUG, connection
 * closed. Before CONNECT, vert.x-mqtt sets no exception handler on the socket, and vert.x logs every
 * decoder failure at ERROR; the guard installs one that counts and logs at DEBUG instead.
 *
 * <p>vert.x-mqtt offers no hook at connection time: {@link ServerConnections} makes one.
 */
public final class ConnectionGuard extends ChannelInboundHandlerAdapter {

  private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);
  private static final String NAME = "mqttGuard";

  /** A packet that breaks the protocol although it decoded. */
  static final class ProtocolViolationException extends DecoderException {
    private static final long serialVersionUID = 1L;

    ProtocolViolationException(String message) {
      super(message);
    }
  }

  private boolean violated;
  private boolean connectSeen;

  /**
   * Gives each new connection of the server a guard, right after the MQTT decoder. Call before
   * {@code listen()}. Returns the hook, for what needs vert.x's server once it listens.
   *
   * @throws IllegalStateException when vert.x-mqtt's internals changed: see {@link ServerConnections}
   */
  static ServerConnections.Hook install(MqttServer server, BridgeMetrics metrics) {
    // vert.x-mqtt replaces this exception handler with the endpoint's once CONNECT arrives.
    return ServerConnections.install(server, socket -> socket.exceptionHandler(failure -> {
      metrics.protocolError(ProtocolError.MALFORMED_PACKET);
      LOG.debug("Bad input before CONNECT, closing: {}", failure.toString());
    }), (socket, pipeline) -> {
      if (pipeline.get(ServerConnections.DECODER) != null) {
        pipeline.addAfter(ServerConnections.DECODER, NAME, new ConnectionGuard());
      }
    });
  }

  /**
   * For the instance's exception handler: failures no connection handler saw. vert.x reports bad
   * input from a connection that has not completed CONNECT there (a malformed first packet, any packet before CONNECT). The device's fault:
   * counted and logged at DEBUG. Anything else is ours and logged as an error.
   */
  public static void onUnhandled(Throwable failure, BridgeMetrics metrics) {
    if (failure instanceof DecoderException) {
      metrics.protocolError(ProtocolError.MALFORMED_PACKET);
      LOG.debug("Bad input before CONNECT, connection closed: {}", failure.toString());
    } else if (MqttFailures.isPacketBeforeConnack(failure)) {
      metrics.protocolError(ProtocolError.NOT_CONNECTED);
      LOG.debug("Packet from a connection without accepted CONNECT, connection closed: {}", failure.toString());
    } else {
      LOG.error("Unhandled exception", failure);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (violated) {
      ReferenceCountUtil.release(msg); // the connection is closing: nothing after the violation counts
      return;
    }
    if (msg instanceof MqttMessage message) {
      String violation = null;
      if (message.fixedHeader() != null && message.fixedHeader().messageType() == MqttMessageType.CONNECT) {
        // [MQTT-3.1.0-2] A second CONNECT, even one that fails to decode: vert.x would answer one with
        // an unacceptable protocol version by replacing the connection's endpoint with a new one, and
        // the accepted endpoint would never learn that its connection closed.
        violation = connectSeen ? "second CONNECT" : null;
        connectSeen = true;
      }
      if (violation == null && message.decoderResult().isSuccess()) {
        violation = violation(message);
      }
      if (violation != null) {
        violated = true;
        ReferenceCountUtil.release(msg);
        // The decoder failures' path: vert.x calls the socket's exception handler, then closes.
        ctx.fireExceptionCaught(new ProtocolViolationException(violation));
        return;
      }
    }
    ctx.fireChannelRead(msg);
  }

  /** What is wrong with a decoded packet, or null. Package-private for the unit test. */
  static String violation(MqttMessage message) {
    return switch (message.fixedHeader().messageType()) {
      // [MQTT-4.8.0-1] (MQTT 5: a Protocol Error) packets only a server sends.
      case CONNACK, SUBACK, UNSUBACK, PINGRESP -> "client sent " + message.fixedHeader().messageType();
      case AUTH -> "AUTH: enhanced authentication is not supported";
      case CONNECT -> connect((MqttConnectMessage) message);
      case PUBLISH -> publish((MqttPublishMessage) message);
      case SUBSCRIBE -> ((MqttSubscribeMessage) message).payload().topicSubscriptions().isEmpty()
          ? "SUBSCRIBE without a topic filter" // [MQTT-3.8.3-3]
          : message.variableHeader() instanceof io.netty.handler.codec.mqtt.MqttMessageIdAndPropertiesVariableHeader h
              && h.properties().getProperty(MqttProperties.SUBSCRIPTION_IDENTIFIER) != null
              ? "SUBSCRIBE with a Subscription Identifier, which CONNACK said is not available" : null;
      case UNSUBSCRIBE -> ((MqttUnsubscribeMessage) message).payload().topics().isEmpty()
          ? "UNSUBSCRIBE without a topic filter" : null; // [MQTT-3.10.3-2]
      case PUBACK, PUBREC, PUBREL, PUBCOMP -> reasonCode(message);
      case DISCONNECT -> message.variableHeader() instanceof MqttReasonCodeAndPropertiesVariableHeader h
          && !known(() -> MqttDisconnectReasonCode.valueOf(h.reasonCode()))
          ? "DISCONNECT with unknown reason code " + h.reasonCode() : null;
      default -> null;
    };
  }

  private static String connect(MqttConnectMessage connect) {
    MqttConnectVariableHeader header = connect.variableHeader();
    if (header.willQos() == 3) {
      return "CONNECT with Will QoS 3"; // [MQTT-3.1.2-14]
    }
    if (!header.isWillFlag() && (header.willQos() != 0 || header.isWillRetain())) {
      return "CONNECT with Will QoS or Will Retain but no Will"; // [MQTT-3.1.2-13], [MQTT-3.1.2-15]
    }
    if (header.isWillFlag() && hasWildcard(connect.payload().willTopic())) {
      return "CONNECT with a wildcard in the Will topic"; // [MQTT-3.1.3-11]: a topic name
    }
    if (header.version() == 4 && header.hasPassword() && !header.hasUserName()) {
      return "CONNECT with a password but no user name"; // [MQTT-3.1.2-22]
    }
    MqttProperties properties = header.properties();
    if (isZero(properties, MqttProperties.RECEIVE_MAXIMUM)) {
      return "CONNECT with Receive Maximum 0"; // MQTT 5 3.1.2.11.3: a Protocol Error
    }
    if (isZero(properties, MqttProperties.MAXIMUM_PACKET_SIZE)) {
      return "CONNECT with Maximum Packet Size 0"; // MQTT 5 3.1.2.11.4: a Protocol Error
    }
    return null;
  }

  private static String publish(MqttPublishMessage publish) {
    if (publish.fixedHeader().isDup() && publish.fixedHeader().qosLevel().value() == 0) {
      return "PUBLISH QoS 0 with DUP set"; // [MQTT-3.3.1-2]
    }
    MqttProperties properties = publish.variableHeader().properties();
    if (properties.getProperty(MqttProperties.SUBSCRIPTION_IDENTIFIER) != null) {
      return "PUBLISH from a client with a Subscription Identifier"; // [MQTT-3.3.4-6]
    }
    MqttProperties.MqttProperty<?> responseTopic = properties.getProperty(MqttProperties.RESPONSE_TOPIC);
    if (responseTopic != null && hasWildcard((String) responseTopic.value())) {
      return "PUBLISH with a wildcard in the Response Topic"; // [MQTT-3.3.2-14]
    }
    return null;
  }

  /** vert.x 5.0.8 throws on MQTT 5 reason codes it does not know, and leaves the connection open. */
  private static String reasonCode(MqttMessage message) {
    if (!(message.variableHeader() instanceof MqttPubReplyMessageVariableHeader h)) {
      return null;
    }
    byte code = h.reasonCode();
    boolean known = switch (message.fixedHeader().messageType()) {
      case PUBACK -> known(() -> MqttPubAckReasonCode.valueOf(code));
      case PUBREC -> known(() -> MqttPubRecReasonCode.valueOf(code));
      case PUBREL -> known(() -> MqttPubRelReasonCode.valueOf(code));
      default -> known(() -> MqttPubCompReasonCode.valueOf(code));
    };
    return known ? null : message.fixedHeader().messageType() + " with unknown reason code " + code;
  }

  private static boolean known(Runnable lookup) {
    try {
      lookup.run();
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static boolean isZero(MqttProperties properties, int id) {
    MqttProperties.MqttProperty<?> property = properties.getProperty(id);
    return property != null && Integer.valueOf(0).equals(property.value());
  }

  private static boolean hasWildcard(String topic) {
    return topic != null && (topic.indexOf('+') >= 0 || topic.indexOf('#') >= 0);
  }
}
