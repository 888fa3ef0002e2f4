package io.mqttkafka.bridge.testkit;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;

/**
 * MQTT packets as raw bytes on a blocking socket, for what no client library will send: duplicates
 * on demand, malformed packets, protocol violations. {@link MqttPackets} encodes what it sends; it
 * reads whole packets. Only what the tests need.
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

  public RawMqttClient send(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
    return this;
  }

  /** Sends CONNECT and expects CONNACK with return code 0. */
  public RawMqttClient connected(String clientId) throws IOException {
    send(MqttPackets.connect(clientId));
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
