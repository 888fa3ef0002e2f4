package io.mqttkafka.bridge.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

/**
 * The event-bus codec of {@link DownlinkMessage}, the default codec for that class. Within one
 * instance (the router and the device's connection in the same process) the message object itself
 * is handed over: no headers to build and copy, no payload copy ({@link DownlinkMessage} is
 * immutable and its payload is never written to). Between instances it is one frame: the fields,
 * then the payload.
 */
final class DownlinkMessageCodec implements MessageCodec<DownlinkMessage, DownlinkMessage> {

  static final String NAME = "mqtt-bridge-downlink";

  @Override
  public void encodeToWire(Buffer buffer, DownlinkMessage m) {
    ProtocolCodecs.writeString(buffer, m.clientId());
    ProtocolCodecs.writeString(buffer, m.connectionId());
    ProtocolCodecs.writeString(buffer, m.mqttTopic());
    ProtocolCodecs.writeString(buffer, m.correlationId());
    buffer.appendByte((byte) m.qos()).appendInt(m.partition()).appendLong(m.offset())
        .appendInt(m.originPartition()).appendLong(m.originOffset()).appendLong(m.timestamp());
    buffer.appendInt(m.sent());
    buffer.appendInt(m.payload().length()).appendBuffer(m.payload());
  }

  @Override
  public DownlinkMessage decodeFromWire(int pos, Buffer buffer) {
    int[] at = {pos};
    String clientId = ProtocolCodecs.readString(buffer, at);
    String connectionId = ProtocolCodecs.readString(buffer, at);
    String mqttTopic = ProtocolCodecs.readString(buffer, at);
    String correlationId = ProtocolCodecs.readString(buffer, at);
    int p = at[0];
    int qos = buffer.getByte(p);
    int partition = buffer.getInt(p + 1);
    long offset = buffer.getLong(p + 5);
    int originPartition = buffer.getInt(p + 13);
    long originOffset = buffer.getLong(p + 17);
    long timestamp = buffer.getLong(p + 25);
    int sent = buffer.getInt(p + 33);
    int length = buffer.getInt(p + 37);
    Buffer payload = buffer.getBuffer(p + 41, p + 41 + length);
    return new DownlinkMessage(clientId, connectionId, mqttTopic, qos, correlationId, partition, offset,
        originPartition, originOffset, timestamp, payload, sent);
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
}
