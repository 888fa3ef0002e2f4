package io.mqttkafka.bridge.auth;

import io.vertx.mqtt.MqttAuth;
import io.vertx.mqtt.MqttEndpoint;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * What a CONNECT brings to authenticate with. {@code username} and {@code password} are null when
 * absent: vert.x 5.0.8 reports them only when both are sent ({@code MqttEndpoint.auth()} is null for a
 * username-only CONNECT, fixed in 5.1.0), so a username alone counts as no credentials.
 * {@code peerCertificates}: the TLS client's chain, leaf first; empty without TLS or client certificate.
 */
public record ConnectInfo(String clientId, String username, String password,
                          List<X509Certificate> peerCertificates) {

  public ConnectInfo {
    Objects.requireNonNull(clientId, "clientId");
    peerCertificates = List.copyOf(peerCertificates);
  }

  /** Reads the CONNECT of an endpoint that has not been accepted yet. */
  public static ConnectInfo of(MqttEndpoint endpoint) {
    MqttAuth auth = endpoint.auth();
    return new ConnectInfo(endpoint.clientIdentifier(), auth == null ? null : auth.getUsername(),
        auth == null ? null : auth.getPassword(), peerCertificates(endpoint));
  }

  private static List<X509Certificate> peerCertificates(MqttEndpoint endpoint) {
    if (!endpoint.isSsl()) {
      return List.of();
    }
    SSLSession session = endpoint.sslSession();
    if (session == null) {
      return List.of();
    }
    try {
      List<X509Certificate> chain = new ArrayList<>();
      for (Certificate certificate : session.getPeerCertificates()) {
        if (certificate instanceof X509Certificate x509) {
          chain.add(x509);
        }
      }
      return chain;
    } catch (SSLPeerUnverifiedException e) {
      return List.of(); // TLS without a client certificate
    }
  }

  /** Never shows the password. */
  @Override
  public String toString() {
    return "ConnectInfo[clientId=" + clientId + ", username=" + username + ", password="
        + (password == null ? "none" : "****") + ", peerCertificates=" + peerCertificates.size() + "]";
  }
}
