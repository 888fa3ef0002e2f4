package io.mqttkafka.bridge.bus;

import io.mqttkafka.bridge.records.DownlinkProperties;
import io.mqttkafka.bridge.records.TraceHeaders;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import java.util.ArrayList;
import java.util.List;

/**
 * The event-bus codec of {@link DownlinkMessage}, the default codec for that class. Within one
 * instance (the router and the device's connection in the same process) the message object itself
 * is handed over: no headers to build and copy, no payload copy ({@link DownlinkMessage} is
 * immutable and its payload is never written to). Between instances it is one frame: the fields,
 * the payload, the MQTT 5 properties, whether the record is kept, then the trace context headers.
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
    writeProperties(buffer, m.properties());
    buffer.appendByte((byte) (m.kept() ? 1 : 0));
    ProtocolCodecs.writeString(buffer, m.trace().traceparent());
    ProtocolCodecs.writeString(buffer, m.trace().tracestate());
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
    at[0] = p + 41 + length;
    DownlinkProperties properties = readProperties(buffer, at);
    boolean kept = buffer.getByte(at[0]) == 1;
    at[0] += 1;
    String traceparent = ProtocolCodecs.readString(buffer, at);
    TraceHeaders trace = TraceHeaders.of(traceparent, ProtocolCodecs.readString(buffer, at));
    return new DownlinkMessage(clientId, connectionId, mqttTopic, qos, correlationId, partition, offset,
        originPartition, originOffset, timestamp, payload, properties, sent, kept, trace);
  }

  /** TTL, format, the strings, the correlation data (length -1: none), then the user properties. */
  private static void writeProperties(Buffer buffer, DownlinkProperties p) {
    buffer.appendLong(p.ttlMs()).appendByte((byte) p.payloadFormat());
    ProtocolCodecs.writeString(buffer, p.contentType());
    ProtocolCodecs.writeString(buffer, p.responseTopic());
    if (p.correlationData() == null) {
      buffer.appendInt(-1);
    } else {
      buffer.appendInt(p.correlationData().length).appendBytes(p.correlationData());
    }
    buffer.appendInt(p.userProperties().size());
    for (DownlinkProperties.UserProperty property : p.userProperties()) {
      ProtocolCodecs.writeString(buffer, property.name());
      ProtocolCodecs.writeString(buffer, property.value());
    }
  }

  private static DownlinkProperties readProperties(Buffer buffer, int[] at) {
    long ttlMs = buffer.getLong(at[0]);
    int payloadFormat = buffer.getByte(at[0] + 8);
    at[0] += 9;
    String contentType = ProtocolCodecs.readString(buffer, at);
    String responseTopic = ProtocolCodecs.readString(buffer, at);
    int length = buffer.getInt(at[0]);
    at[0] += 4;
    byte[] correlationData = null;
    if (length >= 0) {
      correlationData = buffer.getBytes(at[0], at[0] + length);
      at[0] += length;
    }
    int count = buffer.getInt(at[0]);
    at[0] += 4;
    if (count == 0 && contentType == null && responseTopic == null && correlationData == null
        && payloadFormat == DownlinkProperties.NO_FORMAT) {
      return DownlinkProperties.ttlOnly(ttlMs);
    }
    List<DownlinkProperties.UserProperty> userProperties = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String name = ProtocolCodecs.readString(buffer, at);
      userProperties.add(new DownlinkProperties.UserProperty(name, ProtocolCodecs.readString(buffer, at)));
    }
    return new DownlinkProperties(contentType, payloadFormat, responseTopic, correlationData, userProperties, ttlMs);
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
