package io.mqttkafka.bridge.vertx;

import io.netty.channel.ChannelPipeline;
import io.vertx.core.Handler;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.NetServerInternal;
import io.vertx.mqtt.MqttServer;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.function.BiConsumer;
import java.util.function.IntSupplier;

/**
 * A hook at connection time, which vertx-mqtt 5.0.8 does not offer: the MqttServer's NetServer is
 * the private field {@code server} of MqttServerImpl; it is replaced by a proxy that wraps the
 * connect handler vertx-mqtt sets on it when the server starts listening.
 */
public final class ServerConnections {

  static final String SERVER_FIELD = "server";
  /** The name vertx-mqtt 5.0.8 gives Netty's MQTT decoder in a connection's pipeline. */
  public static final String DECODER = "mqttDecoder";

  private ServerConnections() {
  }

  /**
   * Calls {@code onConnection} for each new connection of {@code server}, with the socket and its
   * pipeline, after vertx-mqtt set the connection up (its decoder and handlers are in the pipeline;
   * no packet has been read yet). Call before {@code listen()}.
   *
   * @param beforeSetUp called first, before vertx-mqtt sets the connection up (e.g. to set an
   *     exception handler that vertx-mqtt replaces once CONNECT arrives)
   * @throws IllegalStateException when this vertx-mqtt keeps its NetServer elsewhere: the bridge does
   *     not run with its connection guard silently missing (VertxInternalsTest fails the build first)
   */
  public static Hook install(MqttServer server, Handler<NetSocket> beforeSetUp,
                            BiConsumer<NetSocket, ChannelPipeline> onConnection) {
    try {
      Field field = server.getClass().getDeclaredField(SERVER_FIELD);
      field.setAccessible(true);
      NetServerInternal netServer = (NetServerInternal) field.get(server);
      field.set(server, Proxy.newProxyInstance(ServerConnections.class.getClassLoader(),
          new Class<?>[] {NetServerInternal.class}, (proxy, method, args) -> {
            Object[] call = args;
            if ("connectHandler".equals(method.getName()) && args != null && args.length == 1 && args[0] != null) {
              @SuppressWarnings("unchecked")
              Handler<NetSocket> original = (Handler<NetSocket>) args[0];
              call = new Object[] {(Handler<NetSocket>) socket -> {
                beforeSetUp.handle(socket);
                original.handle(socket);
                onConnection.accept(socket, pipeline(socket));
              }};
            }
            try {
              Object result = method.invoke(netServer, call);
              return result == netServer ? proxy : result;
            } catch (InvocationTargetException e) {
              throw e.getCause();
            }
          }));
      return new Hook(netServer);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException("cannot hook into vert.x-mqtt's connections (its internals changed?): " + e, e);
    }
  }

  /** vert.x's own server behind the hook, for what needs it once the server listens. */
  public static final class Hook {
    private final NetServerInternal server;

    private Hook(NetServerInternal server) {
      this.server = server;
    }

    /** Puts a {@link HandshakeGate} on the server's listening channel; call once it listens. */
    public HandshakeGate gateHandshakes(IntSupplier max) {
      return HandshakeGate.install(server, max);
    }
  }

  /** The Netty pipeline of a vert.x socket. */
  public static ChannelPipeline pipeline(NetSocket socket) {
    return ((NetSocketInternal) socket).channelHandlerContext().pipeline();
  }
}
