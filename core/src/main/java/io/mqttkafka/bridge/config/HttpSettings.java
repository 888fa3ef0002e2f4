package io.mqttkafka.bridge.config;

import static io.mqttkafka.bridge.config.ConfigValue.at;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The {@code http} section: the management port ({@code /metrics}, {@code /health/*}, and the admin API
 * with its console when {@link Admin#enabled}); {@code port} 0 = pick a free port.
 */
public record HttpSettings(String host, int port, Tls tls, Admin admin) {

  /**
   * HTTPS on the management port: {@code certFile} and {@code keyFile} (PEM) when enabled; with
   * {@code caFile}, a client certificate is asked for (not required: probes and scrapers need none) and
   * verified against those CAs.
   */
  public record Tls(boolean enabled, Optional<Path> certFile, Optional<Path> keyFile, Optional<Path> caFile) {
  }

  /**
   * The admin API and console, off by default, and never unprotected: a bearer token from
   * {@code tokenFile} (one token per line; checked for changes every {@code tokenReloadInterval}) and/or,
   * with {@code clientCertificate}, a client certificate signed by a CA of {@code http.tls.caFile}. Both
   * are required when both are configured.
   */
  public record Admin(boolean enabled, Optional<Path> tokenFile, Duration tokenReloadInterval,
                      boolean clientCertificate) {
  }

  /** Plain HTTP with the admin API off: the built-in {@code http.tls} and {@code http.admin}. */
  public HttpSettings(String host, int port) {
    this(host, port, new Tls(false, Optional.empty(), Optional.empty(), Optional.empty()),
        new Admin(false, Optional.empty(), Duration.ofSeconds(5), false));
  }

  /** Reads and validates {@code http.*} from a tree that holds every key of the defaults. */
  static HttpSettings parse(JsonNode t) throws ConfigException {
    Tls tls = tls(t);
    Admin admin = admin(t, tls);
    return new HttpSettings(at(t, "http.host").nonBlank(), at(t, "http.port").integer(0, 65535), tls, admin);
  }

  private static Tls tls(JsonNode t) throws ConfigException {
    ConfigValue enabled = at(t, "http.tls.enabled");
    Tls tls = new Tls(enabled.bool(), AuthSettings.readableFile(at(t, "http.tls.certFile")),
        AuthSettings.readableFile(at(t, "http.tls.keyFile")), AuthSettings.readableFile(at(t, "http.tls.caFile")));
    if (tls.enabled() && tls.certFile().isEmpty()) {
      throw at(t, "http.tls.certFile").fail("is required when http.tls.enabled is true (the server's certificate"
          + " chain, PEM)");
    }
    if (tls.enabled() && tls.keyFile().isEmpty()) {
      throw at(t, "http.tls.keyFile").fail("is required when http.tls.enabled is true (the private key of"
          + " http.tls.certFile, PEM)");
    }
    return tls;
  }

  private static Admin admin(JsonNode t, Tls tls) throws ConfigException {
    ConfigValue enabled = at(t, "http.admin.enabled");
    ConfigValue clientCertificate = at(t, "http.admin.clientCertificate");
    Admin admin = new Admin(enabled.bool(), AuthSettings.readableFile(at(t, "http.admin.tokenFile")),
        at(t, "http.admin.tokenReloadInterval").duration(), clientCertificate.bool());
    if (admin.clientCertificate() && (!tls.enabled() || tls.caFile().isEmpty())) {
      throw clientCertificate.fail("is true, but the management port asks for no client certificate: it needs"
          + " http.tls.enabled with http.tls.caFile (the CAs that sign the admin clients' certificates)");
    }
    if (admin.enabled() && admin.tokenFile().isEmpty() && !admin.clientCertificate()) {
      throw enabled.fail("is true, but nothing protects the admin API: set http.admin.tokenFile (a bearer"
          + " token) and/or http.admin.clientCertificate (mTLS)");
    }
    return admin;
  }
}
