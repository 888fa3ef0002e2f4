package io.mqttkafka.bridge.downlink;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import java.nio.charset.StandardCharsets;

/**
 * The event-bus codec of {@link DownlinkMessage}, the default codec for that class. Within one
 * instance (the router and the device's connection in the same process) the message object itself
 * is handed over: no headers to build and copy, no payload copy ({@link DownlinkMessage} is
 * immutable and its payload is never written to). Between instances it is one frame: the fields,
 * then the payload.
 */
public final class DownlinkMessageCodec implements MessageCodec<DownlinkMessage, DownlinkMessage> {

  static final String NAME = "mqtt-bridge-downlink";
  private static final int NO_STRING = -1;
  private static final Object REGISTERING = new Object();

  /** Registers the codec on this event bus unless it is already (the router and the dispatcher both need it). */
  public static void register(EventBus bus) {
    synchronized (REGISTERING) {
      try {
        bus.registerDefaultCodec(DownlinkMessage.class, new DownlinkMessageCodec());
      } catch (IllegalStateException alreadyRegistered) {
        // One per event bus: the other verticle registered it.
      }
    }
  }

  @Override
  public void encodeToWire(Buffer buffer, DownlinkMessage m) {
    writeString(buffer, m.clientId());
    writeString(buffer, m.connectionId());
    writeString(buffer, m.mqttTopic());
    writeString(buffer, m.correlationId());
    buffer.appendByte((byte) m.qos()).appendInt(m.partition()).appendLong(m.offset()).appendLong(m.timestamp());
    buffer.appendInt(m.payload().length()).appendBuffer(m.payload());
  }

  @Override
  public DownlinkMessage decodeFromWire(int pos, Buffer buffer) {
    int[] at = {pos};
    String clientId = readString(buffer, at);
    String connectionId = readString(buffer, at);
    String mqttTopic = readString(buffer, at);
    String correlationId = readString(buffer, at);
    int p = at[0];
    int qos = buffer.getByte(p);
    int partition = buffer.getInt(p + 1);
    long offset = buffer.getLong(p + 5);
    long timestamp = buffer.getLong(p + 13);
    int length = buffer.getInt(p + 21);
    Buffer payload = buffer.getBuffer(p + 25, p + 25 + length);
    return new DownlinkMessage(clientId, connectionId, mqttTopic, qos, correlationId, partition, offset, timestamp,
        payload);
  }

  @Override
  public DownlinkMessage transform(DownlinkMessage message) {
    return message;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }

  private static void writeString(Buffer buffer, String value) {
    if (value == null) {
      buffer.appendInt(NO_STRING);
      return;
    }
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    buffer.appendInt(bytes.length).appendBytes(bytes);
  }

  private static String readString(Buffer buffer, int[] at) {
    int length = buffer.getInt(at[0]);
    at[0] += 4;
    if (length == NO_STRING) {
      return null;
    }
    String value = buffer.getString(at[0], at[0] + length, "UTF-8");
    at[0] += length;
    return value;
  }
}
