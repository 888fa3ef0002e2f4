package io.mqttkafka.bridge.vertx;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.mqtt.MqttEndpoint;
import java.lang.reflect.Field;

/**
 * The Netty channel under a vert.x MQTT endpoint, which vertx-mqtt 5.0.8 does not expose (the socket
 * is the private field {@code conn} of MqttEndpointImpl, and MqttEndpoint has no pause). Needed where
 * the endpoint's API falls short: {@code close()} flushes pending writes first, which never finishes
 * when the device stops reading; the channel can be closed at once. Reading can be paused (the
 * endpoint has no pause), and the keep-alive timeout that vert.x derives from CONNECT replaced.
 */
public final class EndpointChannel {

  static final String CONN_CLASS = "io.vertx.mqtt.impl.MqttEndpointImpl";
  static final String CONN_FIELD = "conn";
  private static final Field CONN = connField();
  /** The names vertx-mqtt 5.0.8 gives its keep-alive handlers (MqttServerConnection.handleConnect). */
  static final String IDLE = "idle";
  static final String KEEP_ALIVE = "keepAliveHandler";
  static final String VERTX_HANDLER = "handler";
  private static final String FLUSH_CONSOLIDATION = "flushConsolidation";
  /** Flush at once after this many writes were flushed in one go, so that no batch grows unbounded. */
  private static final int FLUSH_AT_MOST_EVERY = 256;

  private EndpointChannel() {
  }

  /**
   * Closes the connection at once, discarding unwritten data. A plain {@code channel.close()} would
   * pass vert.x's handler, which closes only after flushing; closing from the pipeline's first handler
   * goes straight to the transport. False when the channel cannot be reached (then use close()).
   */
  public static boolean closeNow(MqttEndpoint endpoint) {
    Channel channel = of(endpoint);
    if (channel == null || channel.pipeline().firstContext() == null) {
      return false;
    }
    channel.pipeline().firstContext().close();
    return true;
  }

  /**
   * Stops or restarts reading from the socket (Netty autoRead): while off, nothing more is read, so the
   * client's TCP window fills and it is slowed down. Packets already read are still delivered. Not
   * vert.x's NetSocket.pause(): that queues decoded packets, which are never released if the connection
   * closes while paused. False when the channel cannot be reached.
   */
  public static boolean setAutoRead(MqttEndpoint endpoint, boolean autoRead) {
    Channel channel = of(endpoint);
    if (channel == null) {
      return false;
    }
    channel.config().setAutoRead(autoRead);
    return true;
  }

  /**
   * Replaces the keep-alive timeout vert.x set from the CONNECT's keep-alive (1.5 times it; none for 0)
   * by {@code timeoutSeconds}: the connection is closed when nothing was read for that long. False when
   * the channel cannot be reached.
   */
  public static boolean setKeepAliveTimeout(MqttEndpoint endpoint, int timeoutSeconds) {
    Channel channel = of(endpoint);
    if (channel == null) {
      return false;
    }
    ChannelPipeline pipeline = channel.pipeline();
    IdleStateHandler idle = new IdleStateHandler(timeoutSeconds, 0, 0);
    if (pipeline.get(IDLE) != null) {
      pipeline.replace(IDLE, IDLE, idle);
    } else if (pipeline.get(VERTX_HANDLER) != null) {
      // Keep-alive 0: vert.x added no timeout. Close like vert.x's own handler does.
      pipeline.addBefore(VERTX_HANDLER, IDLE, idle);
      if (pipeline.get(KEEP_ALIVE) == null) {
        pipeline.addBefore(VERTX_HANDLER, KEEP_ALIVE, new ChannelDuplexHandler() {
          @Override
          public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent e && e.state() == IdleState.READER_IDLE) {
              ctx.channel().close();
            } else {
              super.userEventTriggered(ctx, evt);
            }
          }
        });
      }
    } else {
      return false;
    }
    return true;
  }

  /**
   * Makes the connection write its packets with one system call per batch instead of one per packet.
   * vert.x flushes every write made outside a read at once; PUBACKs (completed by Kafka) and routed
   * downlink PUBLISHes are all such writes, so without this each costs a write(2) of a few bytes.
   * Netty's FlushConsolidationHandler, first in the pipeline, turns those flushes into one flush
   * task on the connection's event loop, run after the tasks already queued there (typically the
   * other Kafka completions of the same batch): latency grows by at most that queue, and at most
   * {@value #FLUSH_AT_MOST_EVERY} packets wait for a flush. False when the channel cannot be reached.
   */
  public static boolean consolidateFlushes(MqttEndpoint endpoint) {
    Channel channel = of(endpoint);
    if (channel == null) {
      return false;
    }
    if (channel.pipeline().get(FLUSH_CONSOLIDATION) == null) {
      channel.pipeline().addFirst(FLUSH_CONSOLIDATION, new FlushConsolidationHandler(FLUSH_AT_MOST_EVERY, true));
    }
    return true;
  }

  /** The endpoint's channel, or null when this vertx-mqtt version keeps it elsewhere. */
  public static Channel of(MqttEndpoint endpoint) {
    if (CONN == null) {
      return null;
    }
    try {
      return ((NetSocketInternal) CONN.get(endpoint)).channelHandlerContext().channel();
    } catch (IllegalAccessException | IllegalArgumentException | ClassCastException e) {
      // Not vert.x's own endpoint (a test double): no channel to reach.
      return null;
    }
  }

  private static Field connField() {
    try {
      Field field = Class.forName(CONN_CLASS).getDeclaredField(CONN_FIELD);
      field.setAccessible(true);
      return field;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }
}
