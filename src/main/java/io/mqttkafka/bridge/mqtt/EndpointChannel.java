package io.mqttkafka.bridge.mqtt;

import io.netty.channel.Channel;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.mqtt.MqttEndpoint;
import java.lang.reflect.Field;

/**
 * The Netty channel under a vert.x MQTT endpoint, which vertx-mqtt 5.0.8 does not expose
 * (VERTX-FACTS row 1: the socket is the private field {@code conn} of MqttEndpointImpl). Needed where
 * the endpoint's API falls short: {@code close()} flushes pending writes first, which never finishes
 * when the device stops reading; the channel can be closed at once.
 */
final class EndpointChannel {

  private static final Field CONN = connField();

  private EndpointChannel() {
  }

  /**
   * Closes the connection at once, discarding unwritten data. A plain {@code channel.close()} would
   * pass vert.x's handler, which closes only after flushing; closing from the pipeline's first handler
   * goes straight to the transport. False when the channel cannot be reached (then use close()).
   */
  static boolean closeNow(MqttEndpoint endpoint) {
    Channel channel = of(endpoint);
    if (channel == null || channel.pipeline().firstContext() == null) {
      return false;
    }
    channel.pipeline().firstContext().close();
    return true;
  }

  /** The endpoint's channel, or null when this vertx-mqtt version keeps it elsewhere. */
  private static Channel of(MqttEndpoint endpoint) {
    if (CONN == null) {
      return null;
    }
    try {
      return ((NetSocketInternal) CONN.get(endpoint)).channelHandlerContext().channel();
    } catch (IllegalAccessException | ClassCastException e) {
      return null;
    }
  }

  private static Field connField() {
    try {
      Field field = Class.forName("io.vertx.mqtt.impl.MqttEndpointImpl").getDeclaredField("conn");
      field.setAccessible(true);
      return field;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }
}
