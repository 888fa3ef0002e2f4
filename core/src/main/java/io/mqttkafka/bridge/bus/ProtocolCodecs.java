package io.mqttkafka.bridge.bus;

import io.mqttkafka.bridge.bus.InstanceProtocol.Await;
import io.mqttkafka.bridge.bus.InstanceProtocol.Notice;
import io.mqttkafka.bridge.bus.InstanceProtocol.Outcome;
import io.mqttkafka.bridge.bus.InstanceProtocol.Ping;
import io.mqttkafka.bridge.bus.InstanceProtocol.SessionAnswer;
import io.mqttkafka.bridge.bus.InstanceProtocol.SessionQuery;
import io.mqttkafka.bridge.records.PresenceRecord;
import io.mqttkafka.bridge.records.Receipt;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import java.nio.charset.StandardCharsets;

/**
 * The event-bus codecs of {@link InstanceProtocol}'s small messages. Within one instance the object
 * itself is handed over (they are immutable); between instances each is one frame of its fields.
 */
final class ProtocolCodecs {

  private static final int NO_STRING = -1;
  private static final byte NONE = -1;

  private ProtocolCodecs() {
  }

  /** A codec that hands the object over within the instance. */
  private abstract static class Local<T> implements MessageCodec<T, T> {
    private final String name;

    Local(String name) {
      this.name = name;
    }

    @Override
    public T transform(T value) {
      return value;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }

  static final class AwaitCodec extends Local<Await> {
    AwaitCodec() {
      super("mqtt-bridge-await");
    }

    @Override
    public void encodeToWire(Buffer buffer, Await await) {
      writeString(buffer, await.clientId());
      writeString(buffer, await.connectionId());
      buffer.appendInt(await.partition()).appendLong(await.offset());
    }

    @Override
    public Await decodeFromWire(int pos, Buffer buffer) {
      int[] at = {pos};
      String clientId = readString(buffer, at);
      String connectionId = readString(buffer, at);
      return new Await(clientId, connectionId, buffer.getInt(at[0]), buffer.getLong(at[0] + 4));
    }
  }

  static final class NoticeCodec extends Local<Notice> {
    NoticeCodec() {
      super("mqtt-bridge-notice");
    }

    @Override
    public void encodeToWire(Buffer buffer, Notice notice) {
      buffer.appendByte((byte) notice.action().ordinal());
      writeString(buffer, notice.clientId());
      writeString(buffer, notice.connectionId());
    }

    @Override
    public Notice decodeFromWire(int pos, Buffer buffer) {
      Notice.Action action = Notice.Action.values()[buffer.getByte(pos)];
      int[] at = {pos + 1};
      String clientId = readString(buffer, at);
      return new Notice(action, clientId, readString(buffer, at));
    }
  }

  static final class OutcomeCodec extends Local<Outcome> {
    OutcomeCodec() {
      super("mqtt-bridge-outcome");
    }

    @Override
    public void encodeToWire(Buffer buffer, Outcome outcome) {
      buffer.appendByte((byte) outcome.kind().ordinal())
          .appendByte(outcome.status() == null ? NONE : (byte) outcome.status().ordinal());
      writeString(buffer, outcome.detail());
      buffer.appendInt(outcome.packetId());
    }

    @Override
    public Outcome decodeFromWire(int pos, Buffer buffer) {
      Outcome.Kind kind = Outcome.Kind.values()[buffer.getByte(pos)];
      byte status = buffer.getByte(pos + 1);
      int[] at = {pos + 2};
      String detail = readString(buffer, at);
      return new Outcome(kind, status == NONE ? null : Receipt.Status.values()[status], detail,
          buffer.getInt(at[0]));
    }
  }

  static final class PingCodec extends Local<Ping> {
    PingCodec() {
      super("mqtt-bridge-ping");
    }

    @Override
    public void encodeToWire(Buffer buffer, Ping ping) {
      writeString(buffer, ping.from());
    }

    @Override
    public Ping decodeFromWire(int pos, Buffer buffer) {
      return new Ping(readString(buffer, new int[] {pos}));
    }
  }

  static final class SessionQueryCodec extends Local<SessionQuery> {
    SessionQueryCodec() {
      super("mqtt-bridge-session-query");
    }

    @Override
    public void encodeToWire(Buffer buffer, SessionQuery query) {
      writeString(buffer, query.clientId());
    }

    @Override
    public SessionQuery decodeFromWire(int pos, Buffer buffer) {
      return new SessionQuery(readString(buffer, new int[] {pos}));
    }
  }

  /** The session travels as its presence record's JSON, the contract's own form. */
  static final class SessionAnswerCodec extends Local<SessionAnswer> {
    SessionAnswerCodec() {
      super("mqtt-bridge-session-answer");
    }

    @Override
    public void encodeToWire(Buffer buffer, SessionAnswer answer) {
      buffer.appendByte((byte) answer.kind().ordinal());
      byte[] json = answer.session() == null ? new byte[0] : answer.session().toJson();
      buffer.appendInt(json.length).appendBytes(json);
    }

    @Override
    public SessionAnswer decodeFromWire(int pos, Buffer buffer) {
      SessionAnswer.Kind kind = SessionAnswer.Kind.values()[buffer.getByte(pos)];
      int length = buffer.getInt(pos + 1);
      PresenceRecord session = length == 0 ? null
          : PresenceRecord.fromJson(buffer.getBytes(pos + 5, pos + 5 + length));
      return new SessionAnswer(kind, session);
    }
  }

  static void writeString(Buffer buffer, String value) {
    if (value == null) {
      buffer.appendInt(NO_STRING);
      return;
    }
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    buffer.appendInt(bytes.length).appendBytes(bytes);
  }

  /** Reads the string at {@code at[0]} and moves {@code at[0]} past it. */
  static String readString(Buffer buffer, int[] at) {
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
