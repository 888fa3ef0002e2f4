package io.mqttkafka.bridge.testkit;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * MQTT packets as raw bytes on a socket, for what no client library will send: duplicates on
 * demand, malformed packets, protocol violations. Only what the tests need.
 */
public final class RawMqttClient implements AutoCloseable {

  public static final int CONNACK = 2;
  public static final int PUBACK = 4;
  public static final int PUBREC = 5;
  public static final int PUBCOMP = 7;
  public static final int SUBACK = 9;
  public static final int DISCONNECT = 14;

  /** A received packet: type (high nibble of the first byte), flags, and the rest. */
  public record Packet(int type, int flags, byte[] body) {
    public int packetId() {
      return ((body[0] & 0xFF) << 8) | (body[1] & 0xFF);
    }
  }

  private final Socket socket;
  private final OutputStream out;
  private final DataInputStream in;

  public RawMqttClient(int port) throws IOException {
    this(port, 0);
  }

  /** @param receiveBufferBytes the socket's receive buffer (0: the system default), small to fill it fast */
  public RawMqttClient(int port, int receiveBufferBytes) throws IOException {
    socket = new Socket();
    if (receiveBufferBytes > 0) {
      socket.setReceiveBufferSize(receiveBufferBytes);
    }
    socket.connect(new java.net.InetSocketAddress("127.0.0.1", port));
    socket.setSoTimeout(10_000);
    socket.setTcpNoDelay(true);
    out = socket.getOutputStream();
    in = new DataInputStream(socket.getInputStream());
  }

  public static byte[] string(String s) {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    return concat(new byte[] {(byte) (utf8.length >> 8), (byte) utf8.length}, utf8);
  }

  public static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      b.writeBytes(p);
    }
    return b.toByteArray();
  }

  /** A whole packet: first byte, remaining length (variable byte integer), body. */
  public static byte[] packet(int firstByte, byte[] body) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(firstByte);
    int length = body.length;
    do {
      int digit = length % 128;
      length /= 128;
      b.write(length > 0 ? digit | 0x80 : digit);
    } while (length > 0);
    b.writeBytes(body);
    return b.toByteArray();
  }

  /** CONNECT for MQTT 3.1.1 (level 4), clean session, keep-alive 60 s. */
  public static byte[] connect(String clientId) {
    return connect(clientId, 4, null, null, 0, false);
  }

  /** CONNECT for MQTT 3.1.1, clean session, with the given keep-alive. */
  public static byte[] connect(String clientId, int keepAliveSeconds) {
    return connect(clientId, 4, null, null, 0, false, keepAliveSeconds);
  }

  /** CONNECT with an optional Will and keep-alive 60 s; level 5 adds empty property lists. */
  public static byte[] connect(String clientId, int level, String willTopic, byte[] willPayload, int willQos,
                               boolean willRetain) {
    return connect(clientId, level, willTopic, willPayload, willQos, willRetain, 60);
  }

  /** CONNECT with everything chosen: protocol level, optional Will (null topic: none), keep-alive. */
  public static byte[] connect(String clientId, int level, String willTopic, byte[] willPayload, int willQos,
                               boolean willRetain, int keepAliveSeconds) {
    int flags = 0x02;
    if (willTopic != null) {
      flags |= 0x04 | (willQos << 3) | (willRetain ? 0x20 : 0);
    }
    byte[] props = level == 5 ? new byte[] {0} : new byte[0];
    byte[] variable = concat(string(level == 3 ? "MQIsdp" : "MQTT"), new byte[] {(byte) level, (byte) flags,
        (byte) (keepAliveSeconds >> 8), (byte) keepAliveSeconds},
        props);
    byte[] payload = string(clientId);
    if (willTopic != null) {
      payload = concat(payload, props, string(willTopic), new byte[] {(byte) (willPayload.length >> 8),
          (byte) willPayload.length}, willPayload);
    }
    return packet(0x10, concat(variable, payload));
  }

  public static byte[] publish(String topic, byte[] payload, int qos, int packetId, boolean dup) {
    byte[] id = qos > 0 ? new byte[] {(byte) (packetId >> 8), (byte) packetId} : new byte[0];
    return packet(0x30 | (dup ? 0x08 : 0) | (qos << 1), concat(string(topic), id, payload));
  }

  public static byte[] pubrel(int packetId) {
    return packet(0x62, new byte[] {(byte) (packetId >> 8), (byte) packetId});
  }

  public static byte[] disconnect() {
    return new byte[] {(byte) 0xE0, 0};
  }

  public RawMqttClient send(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
    return this;
  }

  /** Sends CONNECT and expects CONNACK with return code 0. */
  public RawMqttClient connected(String clientId) throws IOException {
    send(connect(clientId));
    Packet connack = read();
    if (connack.type() != CONNACK || connack.body()[1] != 0) {
      throw new IOException("not connected: " + connack);
    }
    return this;
  }

  /** Reads the next packet; EOFException when the bridge closed the connection. */
  public Packet read() throws IOException {
    int first = in.readUnsignedByte();
    int length = 0;
    int multiplier = 1;
    int digit;
    do {
      digit = in.readUnsignedByte();
      length += (digit & 0x7F) * multiplier;
      multiplier *= 128;
    } while ((digit & 0x80) != 0);
    byte[] body = new byte[length];
    in.readFully(body);
    return new Packet(first >> 4, first & 0x0F, body);
  }

  /** True when the bridge closes the connection within the socket timeout, reading past any packets. */
  public boolean closedByPeer() throws IOException {
    try {
      while (true) {
        read();
      }
    } catch (EOFException | java.net.SocketException e) {
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    }
  }

  public void setTimeoutMillis(int millis) throws IOException {
    socket.setSoTimeout(millis);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
