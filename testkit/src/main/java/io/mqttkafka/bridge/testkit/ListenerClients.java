package io.mqttkafka.bridge.testkit;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/** Clients for the TLS and WebSocket listeners: Paho on any URI, raw TLS sockets, port probes. */
public final class ListenerClients {

  private static final long TIMEOUT_MS = 10_000;

  private ListenerClients() {
  }

  /**
   * A connected Paho MQTT 3.1.1 client.
   *
   * @param uri           {@code tcp://}, {@code ssl://}, {@code ws://host:port/mqtt} or {@code wss://...}
   * @param socketFactory for ssl and wss (trusting the test CA, maybe with a client certificate); may be null
   */
  public static MqttAsyncClient connect(String uri, String clientId, SSLSocketFactory socketFactory)
      throws MqttException {
    MqttAsyncClient client = new MqttAsyncClient(uri, clientId, new MemoryPersistence());
    MqttConnectOptions options = new MqttConnectOptions();
    options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    options.setCleanSession(true);
    options.setAutomaticReconnect(false);
    options.setConnectionTimeout(10);
    if (socketFactory != null) {
      options.setSocketFactory(socketFactory);
      options.setHttpsHostnameVerificationEnabled(true);
    }
    try {
      client.connect(options).waitForCompletion(TIMEOUT_MS);
    } catch (MqttException e) {
      client.close(true);
      throw e;
    }
    return client;
  }

  /** DISCONNECT, then release the client's threads. */
  public static void disconnect(MqttAsyncClient client) throws MqttException {
    client.disconnect().waitForCompletion(TIMEOUT_MS);
    client.close();
  }

  /** Completes a TLS handshake with 127.0.0.1:port and returns the certificate the server presented. */
  public static X509Certificate serverCertificate(int port, SSLContext context) throws IOException {
    try (SSLSocket socket = tlsSocket(port, context)) {
      socket.startHandshake();
      return (X509Certificate) socket.getSession().getPeerCertificates()[0];
    }
  }

  /** A TLS socket to 127.0.0.1:port, connected, handshake not started, 5 s read timeout. */
  public static SSLSocket tlsSocket(int port, SSLContext context) throws IOException {
    SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    socket.setSoTimeout(5_000);
    return socket;
  }

  /** Whether something accepts TCP connections on 127.0.0.1:port. */
  public static boolean listening(int port) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
      return true;
    } catch (ConnectException e) {
      return false;
    }
  }

  /** A port that was free a moment ago. */
  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
