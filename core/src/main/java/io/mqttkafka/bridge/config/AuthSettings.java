package io.mqttkafka.bridge.config;

import static io.mqttkafka.bridge.config.ConfigValue.at;

import com.fasterxml.jackson.databind.JsonNode;
import io.mqttkafka.bridge.config.MqttSettings.ClientAuth;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The {@code auth} section: who may connect. {@code allowAnonymous}: accept a CONNECT that brings no
 * credentials (configured, or by default true exactly when no method below is on). {@code failureDelay}:
 * a refused CONNECT is answered this long after it arrived, whatever was wrong. Methods: a password file
 * ({@code passwordFile}, re-read when it changes, checked every {@code passwordFilePollInterval}), a JWT
 * in the password field ({@link Jwt}), the TLS client certificate ({@link CertificateAuth}).
 * {@code disconnectRevoked}: close at once the connections of a user the password file no longer has, or
 * whose password it changed (otherwise they stay until they reconnect).
 */
public record AuthSettings(boolean allowAnonymous, Duration failureDelay, Optional<Path> passwordFile,
                           Duration passwordFilePollInterval, Jwt jwt, CertificateAuth certificate,
                           boolean disconnectRevoked) {

  /** A longer delay only holds sockets open; a client's CONNACK timeout is often 30 s. */
  private static final Duration MAX_FAILURE_DELAY = Duration.ofSeconds(10);

  /** True when at least one authentication method is configured. */
  public boolean anyMethod() {
    return passwordFile.isPresent() || jwt.enabled() || certificate.enabled();
  }

  /** The keys of the configured authentication methods, for messages. */
  String methodKeys() {
    List<String> keys = new ArrayList<>();
    passwordFile.ifPresent(f -> keys.add("auth.passwordFile"));
    jwt.jwksFile().ifPresent(f -> keys.add("auth.jwt.jwksFile"));
    jwt.publicKeyFile().ifPresent(f -> keys.add("auth.jwt.publicKeyFile"));
    if (certificate.enabled()) {
      keys.add("auth.certificate.enabled");
    }
    return String.join(", ", keys);
  }

  /**
   * JWT in the MQTT password field, verified with the keys of {@code jwksFile} or {@code publicKeyFile}
   * (exactly one is set when enabled). {@code issuer}, {@code audience}: checked when present. The
   * claim {@code clientIdClaim} must equal the MQTT client id. {@code leeway}: clock skew allowed on
   * {@code exp}, {@code nbf} and {@code iat} (whole seconds). {@code reloadInterval}: how often the key
   * file is checked for changes (and read again when it changed).
   */
  public record Jwt(Optional<Path> jwksFile, Optional<Path> publicKeyFile, Optional<String> issuer,
                    Optional<String> audience, String clientIdClaim, Duration leeway, Duration reloadInterval) {

    /** The built-in {@code auth.jwt.reloadInterval}. */
    public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(5);

    /** With the default {@link #reloadInterval}. */
    public Jwt(Optional<Path> jwksFile, Optional<Path> publicKeyFile, Optional<String> issuer,
               Optional<String> audience, String clientIdClaim, Duration leeway) {
      this(jwksFile, publicKeyFile, issuer, audience, clientIdClaim, leeway, DEFAULT_RELOAD_INTERVAL);
    }

    /** The key file, JWKS or PEM, when enabled. */
    public Optional<Path> keyFile() {
      return jwksFile.isPresent() ? jwksFile : publicKeyFile;
    }

    public boolean enabled() {
      return jwksFile.isPresent() || publicKeyFile.isPresent();
    }
  }

  /** The TLS client certificate names the client: {@code identity} says where, and it must equal the client id. */
  public record CertificateAuth(boolean enabled, CertificateIdentity identity) {}

  /** Where a client certificate carries the identity: subject CN, or a subjectAltName of one kind. */
  public enum CertificateIdentity {
    CN("cn"), SAN_DNS("san-dns"), SAN_URI("san-uri"), SAN_EMAIL("san-email");

    private final String configName;

    CertificateIdentity(String configName) {
      this.configName = configName;
    }

    /** The value in the configuration, such as {@code san-dns}. */
    public String configName() {
      return configName;
    }
  }

  /**
   * Reads and validates {@code auth.*} from a tree that holds every key of the defaults; checks that the
   * files it names exist. {@code mqtt} tells whether a listener asks for client certificates.
   */
  static AuthSettings parse(JsonNode t, MqttSettings mqtt) throws ConfigException {
    Duration failureDelay = at(t, "auth.failureDelay").duration();
    if (failureDelay.compareTo(MAX_FAILURE_DELAY) > 0) {
      throw at(t, "auth.failureDelay").wrong("must be at most " + MAX_FAILURE_DELAY.toSeconds() + "s");
    }
    Optional<Path> passwordFile = readableFile(at(t, "auth.passwordFile"));
    Duration poll = at(t, "auth.passwordFilePollInterval").duration();
    Jwt jwt = jwt(t);
    ConfigValue certificateEnabled = at(t, "auth.certificate.enabled");
    CertificateAuth certificate = new CertificateAuth(certificateEnabled.bool(),
        certificateIdentity(at(t, "auth.certificate.identity")));
    if (certificate.enabled() && (!mqtt.tlsNeeded() || mqtt.tls().clientAuth() == ClientAuth.NONE)) {
      throw certificateEnabled.fail("is true, but no listener asks for client certificates: it needs mqtt.tls.enabled"
          + " (or mqtt.websocket.tls.enabled) with mqtt.tls.clientAuth request or required");
    }
    boolean anyMethod = passwordFile.isPresent() || jwt.enabled() || certificate.enabled();
    ConfigValue anonymous = at(t, "auth.allowAnonymous");
    boolean allowAnonymous = anonymous.absent() ? !anyMethod : anonymous.bool();
    if (!allowAnonymous && !anyMethod) {
      throw anonymous.fail("is false, but no authentication is configured (auth.passwordFile, auth.jwt.jwksFile,"
          + " auth.jwt.publicKeyFile or auth.certificate.enabled), so no client could connect");
    }
    return new AuthSettings(allowAnonymous, failureDelay, passwordFile, poll, jwt, certificate,
        at(t, "auth.disconnectRevoked").bool());
  }

  private static Jwt jwt(JsonNode t) throws ConfigException {
    Optional<Path> jwks = readableFile(at(t, "auth.jwt.jwksFile"));
    Optional<Path> publicKey = readableFile(at(t, "auth.jwt.publicKeyFile"));
    if (jwks.isPresent() && publicKey.isPresent()) {
      throw at(t, "auth.jwt.publicKeyFile").fail("must not be set together with auth.jwt.jwksFile (use one key source)");
    }
    Optional<String> issuer = at(t, "auth.jwt.issuer").optionalString();
    Optional<String> audience = at(t, "auth.jwt.audience").optionalString();
    Jwt jwt = new Jwt(jwks, publicKey, issuer, audience, at(t, "auth.jwt.clientIdClaim").nonBlank().strip(),
        at(t, "auth.jwt.leeway").nonNegativeDuration(), at(t, "auth.jwt.reloadInterval").duration());
    if (!jwt.enabled() && (issuer.isPresent() || audience.isPresent())) {
      throw at(t, issuer.isPresent() ? "auth.jwt.issuer" : "auth.jwt.audience")
          .fail("needs auth.jwt.jwksFile or auth.jwt.publicKeyFile (the keys that verify the tokens)");
    }
    return jwt;
  }

  private static CertificateIdentity certificateIdentity(ConfigValue v) throws ConfigException {
    String name = v.string().strip().toLowerCase(Locale.ROOT);
    for (CertificateIdentity identity : CertificateIdentity.values()) {
      if (identity.configName().equals(name)) {
        return identity;
      }
    }
    throw v.wrong("must be one of cn, san-dns, san-uri, san-email");
  }

  /** Empty: not set. Otherwise a regular file this process can read. */
  static Optional<Path> readableFile(ConfigValue v) throws ConfigException {
    if (v.string().isBlank()) {
      return Optional.empty();
    }
    Path file = v.path();
    if (!Files.exists(file)) {
      throw v.fail(file + ": no such file");
    }
    if (!Files.isRegularFile(file)) {
      throw v.fail(file + ": not a regular file");
    }
    if (!Files.isReadable(file)) {
      throw v.fail(file + ": permission denied");
    }
    return Optional.of(file);
  }
}
