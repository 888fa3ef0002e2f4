package io.mqttkafka.bridge.testsupport;

import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.SocketAddress;
import io.vertx.mqtt.MqttAuth;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.MqttWill;
import io.vertx.mqtt.messages.MqttAuthenticationExchangeMessage;
import io.vertx.mqtt.messages.MqttDisconnectMessage;
import io.vertx.mqtt.messages.MqttPubAckMessage;
import io.vertx.mqtt.messages.MqttPubCompMessage;
import io.vertx.mqtt.messages.MqttPubRecMessage;
import io.vertx.mqtt.messages.MqttPubRelMessage;
import io.vertx.mqtt.messages.MqttPublishMessage;
import io.vertx.mqtt.messages.MqttSubscribeMessage;
import io.vertx.mqtt.messages.MqttUnsubscribeMessage;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubAckReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubCompReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubRecReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubRelReasonCode;
import io.vertx.mqtt.messages.codes.MqttSubAckReasonCode;
import io.vertx.mqtt.messages.codes.MqttUnsubAckReasonCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLSession;

/**
 * A test double of vert.x's {@link MqttEndpoint}, for unit tests of what the bridge does on one
 * connection without a socket. It records every packet the bridge sends, as a short line
 * ({@code "PUBACK 1"}, {@code "PUBACK 2 NOT_AUTHORIZED"}, {@code "SUBACK 5 [GRANTED_QOS1]"},
 * {@code "DISCONNECT RECEIVE_MAXIMUM_EXCEEDED"}, {@code "CLOSE"}), and hands the client's packets to
 * the handlers the bridge installed ({@code receive...}). It closes as vert.x 5.0.8 does:
 * {@link #disconnect} sends DISCONNECT only to an MQTT 5 client, then closes; the endpoint is no
 * longer connected at once, and its close handler runs later, as a task on the current context.
 * Writing to it after that throws, as writing to a closed vert.x endpoint does.
 *
 * <p>Downlink PUBLISH packets are recorded as {@code "PUBLISH <topic> qos=<q> id=<packet id>"}; their
 * write completes at once, unless {@link #holdWrites()} keeps them pending (a device that does not
 * read) until {@link #completeWrites()}.
 */
public final class FakeMqttEndpoint implements MqttEndpoint {

  private final String clientId;
  private final int protocolVersion;
  private final MqttWill will;
  private final MqttProperties connectProperties;
  private final List<String> sent = new CopyOnWriteArrayList<>();
  private final List<MqttProperties> publishedProperties = new CopyOnWriteArrayList<>();
  private final List<Promise<Integer>> heldWrites = new ArrayList<>();
  private boolean holdWrites;
  private int nextPacketId = 1;
  private boolean connected = true;
  private boolean closeHandled;
  private boolean publishAutoAck = true;

  private Handler<MqttPublishMessage> publishHandler;
  private Handler<Integer> publishReleaseHandler;
  private Handler<Integer> publishAcknowledgeHandler;
  private Handler<MqttSubscribeMessage> subscribeHandler;
  private Handler<MqttUnsubscribeMessage> unsubscribeHandler;
  private Handler<MqttDisconnectMessage> disconnectMessageHandler;
  private Handler<Throwable> exceptionHandler;
  private Handler<Void> closeHandler;

  /**
   * @param protocolVersion   4 (MQTT 3.1.1) or 5
   * @param will              the CONNECT's Will, or null
   * @param connectProperties the CONNECT's properties (MQTT 5), or null
   */
  public FakeMqttEndpoint(String clientId, int protocolVersion, MqttWill will, MqttProperties connectProperties) {
    this.clientId = clientId;
    this.protocolVersion = protocolVersion;
    this.will = will;
    this.connectProperties = connectProperties;
  }

  public FakeMqttEndpoint(String clientId, int protocolVersion) {
    this(clientId, protocolVersion, null, null);
  }

  /** Every packet sent to the client so far, in order. */
  public List<String> sent() {
    return List.copyOf(sent);
  }

  /** Whether the bridge asked for the connection to be closed (DISCONNECT or close). */
  public boolean closing() {
    return !connected;
  }

  /** Whether the close handler ran. */
  public boolean closed() {
    return closeHandled;
  }

  // ---- the client's side: packets arriving, the connection ending --------------------------------

  public void receivePublish(MqttPublishMessage message) {
    publishHandler.handle(message);
  }

  public void receivePubrel(int packetId) {
    publishReleaseHandler.handle(packetId);
  }

  public void receivePuback(int packetId) {
    publishAcknowledgeHandler.handle(packetId);
  }

  public void receiveSubscribe(MqttSubscribeMessage message) {
    subscribeHandler.handle(message);
  }

  public void receiveUnsubscribe(MqttUnsubscribeMessage message) {
    unsubscribeHandler.handle(message);
  }

  /** The client sends DISCONNECT; vert.x then closes the connection. */
  public void receiveDisconnect(MqttDisconnectReasonCode code) {
    disconnectMessageHandler.handle(MqttDisconnectMessage.create(code, MqttProperties.NO_PROPERTIES));
    close();
  }

  /** The decoder failed; vert.x then closes the connection. */
  public void decoderFails(Throwable failure) {
    exceptionHandler.handle(failure);
    close();
  }

  /** The network dropped the connection: the close handler runs now. */
  public void connectionLost() {
    connected = false;
    handleClose();
  }

  /** Keeps downlink PUBLISH writes pending: the device does not read. */
  public void holdWrites() {
    holdWrites = true;
  }

  /** Completes the held downlink PUBLISH writes, and writes the next ones at once. */
  public void completeWrites() {
    holdWrites = false;
    List<Promise<Integer>> held = List.copyOf(heldWrites);
    heldWrites.clear();
    held.forEach(p -> p.complete(null));
  }

  // ---- MqttEndpoint: what the bridge uses ---------------------------------------------------------

  @Override
  public String clientIdentifier() {
    return clientId;
  }

  @Override
  public int protocolVersion() {
    return protocolVersion;
  }

  @Override
  public MqttWill will() {
    return will;
  }

  @Override
  public MqttProperties connectProperties() {
    return connectProperties;
  }

  @Override
  public boolean isConnected() {
    return connected;
  }

  @Override
  public MqttEndpoint publishAutoAck(boolean isPublishAutoAck) {
    publishAutoAck = isPublishAutoAck;
    return this;
  }

  @Override
  public boolean isPublishAutoAck() {
    return publishAutoAck;
  }

  @Override
  public MqttEndpoint publishHandler(Handler<MqttPublishMessage> handler) {
    publishHandler = handler;
    return this;
  }

  @Override
  public MqttEndpoint publishReleaseHandler(Handler<Integer> handler) {
    publishReleaseHandler = handler;
    return this;
  }

  @Override
  public MqttEndpoint publishAcknowledgeHandler(Handler<Integer> handler) {
    publishAcknowledgeHandler = handler;
    return this;
  }

  @Override
  public MqttEndpoint subscribeHandler(Handler<MqttSubscribeMessage> handler) {
    subscribeHandler = handler;
    return this;
  }

  @Override
  public MqttEndpoint unsubscribeHandler(Handler<MqttUnsubscribeMessage> handler) {
    unsubscribeHandler = handler;
    return this;
  }

  @Override
  public MqttEndpoint disconnectMessageHandler(Handler<MqttDisconnectMessage> handler) {
    disconnectMessageHandler = handler;
    return this;
  }

  @Override
  public MqttEndpoint exceptionHandler(Handler<Throwable> handler) {
    exceptionHandler = handler;
    return this;
  }

  @Override
  public MqttEndpoint closeHandler(Handler<Void> handler) {
    closeHandler = handler;
    return this;
  }

  @Override
  public MqttEndpoint publishAcknowledge(int packetId) {
    return write("PUBACK " + packetId);
  }

  @Override
  public MqttEndpoint publishAcknowledge(int packetId, MqttPubAckReasonCode code, MqttProperties properties) {
    return write("PUBACK " + packetId + " " + code);
  }

  @Override
  public MqttEndpoint publishReceived(int packetId) {
    return write("PUBREC " + packetId);
  }

  @Override
  public MqttEndpoint publishReceived(int packetId, MqttPubRecReasonCode code, MqttProperties properties) {
    return write("PUBREC " + packetId + " " + code);
  }

  @Override
  public MqttEndpoint publishComplete(int packetId) {
    return write("PUBCOMP " + packetId);
  }

  @Override
  public MqttEndpoint publishComplete(int packetId, MqttPubCompReasonCode code, MqttProperties properties) {
    return write("PUBCOMP " + packetId + " " + code);
  }

  @Override
  public MqttEndpoint subscribeAcknowledge(int packetId, List<MqttSubAckReasonCode> codes, MqttProperties properties) {
    return write("SUBACK " + packetId + " " + codes);
  }

  @Override
  public MqttEndpoint unsubscribeAcknowledge(int packetId, List<MqttUnsubAckReasonCode> codes,
                                            MqttProperties properties) {
    return write("UNSUBACK " + packetId + " " + codes);
  }

  @Override
  public Future<Integer> publish(String topic, Buffer payload, MqttQoS qos, boolean isDup, boolean isRetain) {
    return publish(topic, payload, qos, isDup, isRetain, qos == MqttQoS.AT_MOST_ONCE ? 0 : nextPacketId++,
        MqttProperties.NO_PROPERTIES);
  }

  @Override
  public Future<Integer> publish(String topic, Buffer payload, MqttQoS qosLevel, boolean isDup, boolean isRetain,
                                 int messageId, MqttProperties properties) {
    int packetId = qosLevel == MqttQoS.AT_MOST_ONCE ? 0 : messageId;
    write("PUBLISH " + topic + " qos=" + qosLevel.value() + " id=" + packetId + (isDup ? " dup" : ""));
    publishedProperties.add(properties);
    Promise<Integer> written = Promise.promise();
    if (holdWrites) {
      heldWrites.add(written);
      return written.future().map(packetId);
    }
    return Future.succeededFuture(packetId);
  }

  /** The properties of each downlink PUBLISH sent, in order ({@code NO_PROPERTIES} when none). */
  public List<MqttProperties> publishedProperties() {
    return publishedProperties;
  }

  @Override
  public MqttEndpoint disconnect(MqttDisconnectReasonCode code, MqttProperties properties) {
    if (protocolVersion >= 5) {
      write("DISCONNECT " + code);
    }
    close();
    return this;
  }

  @Override
  public void close() {
    checkOpen();
    if (!connected) {
      return;
    }
    connected = false;
    sent.add("CLOSE");
    Context context = Vertx.currentContext();
    if (context != null) {
      context.runOnContext(v -> handleClose());
    } else {
      handleClose();
    }
  }

  private void handleClose() {
    if (closeHandled) {
      return;
    }
    closeHandled = true;
    if (closeHandler != null) {
      closeHandler.handle(null);
    }
  }

  private MqttEndpoint write(String packet) {
    checkOpen();
    sent.add(packet);
    return this;
  }

  private void checkOpen() {
    if (closeHandled) {
      throw new IllegalStateException("MQTT endpoint is closed");
    }
  }

  // ---- MqttEndpoint: not used by the bridge's session -------------------------------------------

  @Override
  public SocketAddress remoteAddress() {
    return null;
  }

  @Override
  public SocketAddress localAddress() {
    return null;
  }

  @Override
  public boolean isSsl() {
    return false;
  }

  @Override
  public MultiMap httpHeaders() {
    return null;
  }

  @Override
  public String httpRequestURI() {
    return null;
  }

  @Override
  public SSLSession sslSession() {
    return null;
  }

  @Override
  public MqttAuth auth() {
    return null;
  }

  @Override
  public String protocolName() {
    return protocolVersion >= 4 ? "MQTT" : "MQIsdp";
  }

  @Override
  public boolean isCleanSession() {
    return true;
  }

  @Override
  public int keepAliveTimeSeconds() {
    return 0;
  }

  @Override
  public int lastMessageId() {
    return nextPacketId - 1;
  }

  @Override
  public void subscriptionAutoAck(boolean isSubscriptionAutoAck) {
    throw unused();
  }

  @Override
  public boolean isSubscriptionAutoAck() {
    return false;
  }

  @Override
  public MqttEndpoint autoKeepAlive(boolean isAutoKeepAlive) {
    throw unused();
  }

  @Override
  public boolean isAutoKeepAlive() {
    return true;
  }

  @Override
  public MqttEndpoint setClientIdentifier(String clientIdentifier) {
    throw unused();
  }

  @Override
  public MqttEndpoint disconnectHandler(Handler<Void> handler) {
    throw unused();
  }

  @Override
  public MqttEndpoint publishAcknowledgeMessageHandler(Handler<MqttPubAckMessage> handler) {
    throw unused();
  }

  @Override
  public MqttEndpoint publishReceivedHandler(Handler<Integer> handler) {
    throw unused();
  }

  @Override
  public MqttEndpoint publishReceivedMessageHandler(Handler<MqttPubRecMessage> handler) {
    throw unused();
  }

  @Override
  public MqttEndpoint publishReleaseMessageHandler(Handler<MqttPubRelMessage> handler) {
    throw unused();
  }

  @Override
  public MqttEndpoint publishCompletionHandler(Handler<Integer> handler) {
    throw unused();
  }

  @Override
  public MqttEndpoint publishCompletionMessageHandler(Handler<MqttPubCompMessage> handler) {
    throw unused();
  }

  @Override
  public MqttEndpoint authenticationExchangeHandler(Handler<MqttAuthenticationExchangeMessage> handler) {
    throw unused();
  }

  @Override
  public MqttEndpoint pingHandler(Handler<Void> handler) {
    throw unused();
  }

  @Override
  public MqttEndpoint accept() {
    throw unused();
  }

  @Override
  public MqttEndpoint accept(boolean sessionPresent) {
    throw unused();
  }

  @Override
  public MqttEndpoint accept(boolean sessionPresent, MqttProperties properties) {
    throw unused();
  }

  @Override
  public MqttEndpoint reject(MqttConnectReturnCode returnCode) {
    throw unused();
  }

  @Override
  public MqttEndpoint reject(MqttConnectReturnCode returnCode, MqttProperties properties) {
    throw unused();
  }

  @Override
  public MqttEndpoint subscribeAcknowledge(int subscribeMessageId, List<MqttQoS> grantedQoSLevels) {
    throw unused();
  }

  @Override
  public MqttEndpoint unsubscribeAcknowledge(int unsubscribeMessageId) {
    throw unused();
  }

  @Override
  public MqttEndpoint publishRelease(int publishMessageId) {
    throw unused();
  }

  @Override
  public MqttEndpoint publishRelease(int publishMessageId, MqttPubRelReasonCode reasonCode,
                                     MqttProperties properties) {
    throw unused();
  }

  @Override
  public Future<Integer> publish(String topic, Buffer payload, MqttQoS qosLevel, boolean isDup, boolean isRetain,
                                 int messageId) {
    throw unused();
  }


  @Override
  public MqttEndpoint authenticationExchange(MqttAuthenticationExchangeMessage message) {
    throw unused();
  }

  @Override
  public MqttEndpoint pong() {
    throw unused();
  }

  private static UnsupportedOperationException unused() {
    return new UnsupportedOperationException("not used by the session; add it to the fake when it is");
  }
}
