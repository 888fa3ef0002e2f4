package io.mqttkafka.bridge.vertx;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.testkit.MqttPackets;
import io.mqttkafka.bridge.testkit.RawMqttClient;
import io.netty.channel.Channel;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.impl.NetServerInternal;
import io.vertx.mqtt.MqttServer;
import java.lang.reflect.Field;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Everything the bridge relies on inside Vert.x that is not public API, checked against the Vert.x
 * on the class path: after an upgrade that moves a field, renames a pipeline handler or changes a
 * failure's origin, this fails the build instead of the bridge losing its connection guard, read
 * pausing, hard closes or keep-alive bounds at run time.
 */
class VertxInternalsTest {

  private Vertx vertx;

  @BeforeEach
  void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void closeVertx() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void thePrivateFieldsReadByReflectionExistWithTheirTypes() throws Exception {
    Field conn = Class.forName(EndpointChannel.CONN_CLASS).getDeclaredField(EndpointChannel.CONN_FIELD);
    assertThat(NetSocketInternal.class.isAssignableFrom(conn.getType())
        || conn.getType().isAssignableFrom(NetSocketInternal.class)).as("type of MqttEndpointImpl.conn").isTrue();
    Field server = Class.forName("io.vertx.mqtt.impl.MqttServerImpl").getDeclaredField(ServerConnections.SERVER_FIELD);
    assertThat(server.getType()).as("type of MqttServerImpl.server").isAssignableFrom(NetServerInternal.class);
  }

  @Test
  void theConnectionHookSeesTheDecoderAndTheEndpointsChannelHasTheKeepAliveHandlers() throws Exception {
    CompletableFuture<List<String>> atConnection = new CompletableFuture<>();
    CompletableFuture<List<String>> atConnect = new CompletableFuture<>();
    CompletableFuture<Boolean> replaced = new CompletableFuture<>();
    MqttServer server = MqttServer.create(vertx);
    ServerConnections.install(server, socket -> { }, (socket, pipeline) -> atConnection.complete(pipeline.names()));
    server.endpointHandler(endpoint -> {
      Channel channel = EndpointChannel.of(endpoint);
      atConnect.complete(channel == null ? List.of() : channel.pipeline().names());
      replaced.complete(EndpointChannel.setKeepAliveTimeout(endpoint, 7));
      endpoint.accept(false);
    });
    int port = listen(server);
    try (RawMqttClient raw = new RawMqttClient(port)) {
      raw.connected("car-internals");
      assertThat(atConnection.get(10, TimeUnit.SECONDS)).contains(ServerConnections.DECODER);
      // Keep-alive 60 s in the raw CONNECT: vert.x adds its idle and keep-alive handlers before its own.
      assertThat(atConnect.get(10, TimeUnit.SECONDS))
          .contains(EndpointChannel.IDLE, EndpointChannel.KEEP_ALIVE, EndpointChannel.VERTX_HANDLER);
      assertThat(replaced.get(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void aPacketBeforeConnectIsVertxMqttsIllegalArgumentException() throws Exception {
    CompletableFuture<Throwable> reported = new CompletableFuture<>();
    vertx.exceptionHandler(reported::complete);
    MqttServer server = MqttServer.create(vertx).endpointHandler(endpoint -> endpoint.accept(false));
    int port = listen(server);
    try (RawMqttClient raw = new RawMqttClient(port)) {
      raw.send(MqttPackets.publish("UL/early", new byte[] {1}, 0, 0, false));
      Throwable failure = reported.get(10, TimeUnit.SECONDS);
      assertThat(MqttFailures.isPacketBeforeConnack(failure)).as("%s", failure).isTrue();
      assertThat(raw.closedByPeer()).isTrue();
    }
    assertThat(MqttFailures.isPacketBeforeConnack(new IllegalArgumentException("ours"))).isFalse();
  }

  @Test
  void buffersShareTheirBytes() {
    byte[] bytes = {1, 2, 3};
    Buffer wrapped = Buffers.wrap(bytes);
    assertThat(Buffers.byteBuf(wrapped).array()).isSameAs(bytes);
    assertThat(Buffers.byteBuf(Buffer.buffer("abc")).readableBytes()).isEqualTo(3);
  }

  @Test
  void aTaskDispatchedOnAContextRunsAsItsEvent() {
    Context context = Contexts.newEventLoopContext(vertx);
    Context[] seen = new Context[1];
    Contexts.dispatch(context, () -> seen[0] = Vertx.currentContext());
    assertThat(seen[0]).isSameAs(context);
    assertThat(context.isEventLoopContext()).isTrue();
  }

  @Test
  void aJsonWebKeyIsCheckedByVertxsOwnParser() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    RSAPublicKey key = (RSAPublicKey) generator.generateKeyPair().getPublic();
    Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
    JsonObject jwk = new JsonObject().put("kty", "RSA").put("alg", "RS256").put("kid", "k1")
        .put("n", url.encodeToString(unsigned(key.getModulus().toByteArray())))
        .put("e", url.encodeToString(unsigned(key.getPublicExponent().toByteArray())));
    assertThat(Jwks.problem(jwk)).isNull();
  }

  private int listen(MqttServer server) throws Exception {
    return server.listen(0).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
  }

  private static byte[] unsigned(byte[] twosComplement) {
    return twosComplement[0] == 0 ? java.util.Arrays.copyOfRange(twosComplement, 1, twosComplement.length)
        : twosComplement;
  }


  @Test
  void theHandshakeGateFindsTheServersListeningChannel() throws Exception {
    NetServerInternal server = (NetServerInternal) vertx.createNetServer().connectHandler(socket -> { });
    server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

    HandshakeGate gate = HandshakeGate.install(server, () -> 1);

    assertThat(HandshakeGate.install(server, () -> 1)).as("one gate per listening channel").isSameAs(gate);
    assertThat(HandshakeGate.listeningChannel(server).isActive()).isTrue();
    assertThat(gate.pending()).isZero();
  }
}
