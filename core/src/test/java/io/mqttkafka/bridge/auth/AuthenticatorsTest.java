package io.mqttkafka.bridge.auth;

import static io.mqttkafka.bridge.auth.Outcomes.identity;
import static io.mqttkafka.bridge.auth.Outcomes.refusal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttkafka.bridge.auth.AuthenticationException.Reason;
import io.mqttkafka.bridge.config.AuthSettings;
import io.mqttkafka.bridge.config.ConfigException;
import io.mqttkafka.bridge.config.ConfigLoader;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The authenticator a deployment gets from auth.*: which method decides, when anonymous applies, and
 * that every refusal is counted and answered after the same delay.
 */
class AuthenticatorsTest {

  private static final Path FIXTURES = Path.of("src/test/resources/auth");
  private static final long DELAY_MS = 300;

  @TempDir
  static Path dir;
  private static KeyPair rsa;
  private static Path publicKey;
  private Vertx vertx;
  private SimpleMeterRegistry registry;
  private final List<Authenticator> opened = new ArrayList<>();

  @BeforeAll
  static void keys() throws Exception {
    rsa = TestKeys.rsa();
    publicKey = TestKeys.publicKeyPem(rsa, dir.resolve("rsa.pem"));
  }

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    registry = new SimpleMeterRegistry();
  }

  @AfterEach
  void stop() {
    opened.forEach(Authenticator::close);
    vertx.close();
  }

  private Authenticator fromYaml(String yaml) throws Exception {
    Path file = Files.writeString(dir.resolve("bridge.yaml"), "auth:\n  failureDelay: " + DELAY_MS + "ms\n"
        + yaml.replace("FIXTURES", FIXTURES.toString()).replace("PUBLIC_KEY", publicKey.toString()).indent(2));
    Authenticator authenticator = Authenticators.fromConfig(vertx, ConfigLoader.load(file, Map.of()).auth(),
        new BridgeMetrics(registry));
    opened.add(authenticator);
    return authenticator;
  }

  private double failures(String reason) {
    return registry.counter("mqtt.bridge.auth.failures", "reason", reason).count();
  }

  private static ConnectInfo connect(String clientId, String user, String password) {
    return new ConnectInfo(clientId, user, password, List.of());
  }

  private static String token(String subject) throws Exception {
    return TestKeys.sign(rsa, null, TestKeys.claims(Map.of("sub", subject)));
  }

  @Test
  void withoutConfigurationEveryClientIsAnonymous() throws Exception {
    Authenticator auth = fromYaml("");

    assertThat(identity(auth.authenticate(connect("car1", null, null)))).isEqualTo(Identity.anonymous("car1"));
    // Credentials nobody checks are not taken as a user name either.
    assertThat(identity(auth.authenticate(connect("car1", "alice", "x"))).username()).isNull();
  }

  @Test
  void noCredentialsWhenAnonymousIsOffIsNotAuthorizedAndCounted() throws Exception {
    Authenticator auth = fromYaml("passwordFile: FIXTURES/htpasswd");

    assertThat(refusal(auth.authenticate(connect("car1", null, null))).reason()).isEqualTo(Reason.NO_CREDENTIALS);
    assertThat(failures("no_credentials")).isEqualTo(1);
  }

  @Test
  void passwordFileAndJwtLiveSideBySide() throws Exception {
    Authenticator auth = fromYaml("passwordFile: FIXTURES/htpasswd\njwt: { publicKeyFile: PUBLIC_KEY }");

    assertThat(identity(auth.authenticate(connect("car1", "dave", "dave-secret"))).username()).isEqualTo("dave");
    assertThat(identity(auth.authenticate(connect("car2", "ignored", token("car2")))).username()).isEqualTo("car2");
    assertThat(refusal(auth.authenticate(connect("car2", "ignored", token("car9")))).reason())
        .isEqualTo(Reason.CLIENT_ID_MISMATCH);
    assertThat(refusal(auth.authenticate(connect("car1", "dave", "wrong"))).reason())
        .isEqualTo(Reason.BAD_CREDENTIALS);
  }

  @Test
  void passwordNoMethodChecksIsBadCredentials() throws Exception {
    Authenticator auth = fromYaml("jwt: { publicKeyFile: PUBLIC_KEY }");

    assertThat(refusal(auth.authenticate(connect("car1", "alice", "not-a-token"))).reason())
        .isEqualTo(Reason.BAD_CREDENTIALS);
  }

  @Test
  void wrongCredentialsNeverFallBackToAnonymous() throws Exception {
    Authenticator auth = fromYaml("passwordFile: FIXTURES/htpasswd\nallowAnonymous: true\n"
        + "jwt: { publicKeyFile: PUBLIC_KEY }");

    assertThat(identity(auth.authenticate(connect("car1", null, null)))).isEqualTo(Identity.anonymous("car1"));
    assertThat(refusal(auth.authenticate(connect("car1", "dave", "wrong"))).reason())
        .isEqualTo(Reason.BAD_CREDENTIALS);
    assertThat(refusal(auth.authenticate(connect("car1", "x", token("car2")))).reason())
        .isEqualTo(Reason.CLIENT_ID_MISMATCH);
  }

  @Test
  void unknownUserAndWrongPasswordAreAnsweredAtTheSameDelay() throws Exception {
    Authenticator auth = fromYaml("passwordFile: FIXTURES/htpasswd");

    long unknownStart = System.nanoTime();
    AuthenticationException unknown = refusal(auth.authenticate(connect("car1", "mallory", "dave-secret")));
    long unknownMs = (System.nanoTime() - unknownStart) / 1_000_000;
    long wrongStart = System.nanoTime();
    AuthenticationException wrong = refusal(auth.authenticate(connect("car1", "erin", "guess")));
    long wrongMs = (System.nanoTime() - wrongStart) / 1_000_000;

    assertThat(unknown.reason()).isEqualTo(wrong.reason()).isEqualTo(Reason.BAD_CREDENTIALS);
    // Both wait for the delay, counted from the CONNECT, whether a (cost 10) hash was checked or not.
    assertThat(unknownMs).isGreaterThanOrEqualTo(DELAY_MS);
    assertThat(wrongMs).isGreaterThanOrEqualTo(DELAY_MS);
    assertThat(failures("bad_credentials")).isEqualTo(2);
  }

  @Test
  void successIsNotDelayed() throws Exception {
    Authenticator auth = fromYaml("jwt: { publicKeyFile: PUBLIC_KEY }");

    Future<Identity> outcome = auth.authenticate(connect("car1", "x", token("car1")));

    // The JWT check is synchronous: the CONNACK can go out in the same event-loop turn.
    assertThat(outcome.isComplete()).isTrue();
    assertThat(identity(outcome).clientId()).isEqualTo("car1");
    assertThat(registry.find("mqtt.bridge.auth.failures").counters()).isEmpty();
  }

  @Test
  void failureOfTheBridgeIsCountedAsErrorAndNotAnAuthenticationFailure() throws Exception {
    Authenticator broken = new DelayedRefusals(vertx, info -> {
      throw new IllegalStateException("boom");
    }, java.time.Duration.ofMillis(10), new BridgeMetrics(registry), () -> { });

    Throwable failure = Outcomes.failure(broken.authenticate(connect("car1", null, null)));

    assertThat(failure).isInstanceOf(IllegalStateException.class);
    assertThat(failures("error")).isEqualTo(1);
  }

  @Test
  void checkRejectsABadPasswordFileNamingTheKey() throws Exception {
    AuthSettings config = ConfigLoader.load(null,
        Map.of("MQTT_BRIDGE_AUTH_PASSWORD_FILE", FIXTURES.resolve("htpasswd-md5").toString())).auth();

    ConfigException e = catchThrowableOfType(ConfigException.class, () -> Authenticators.check(config));

    assertThat(e.key()).isEqualTo("auth.passwordFile");
    assertThat(e).hasMessageContaining("line 1 (user \"frank\"): unsupported password hash ($apr1$)");
    assertThat(catchThrowableOfType(ConfigException.class,
        () -> Authenticators.fromConfig(vertx, config, new BridgeMetrics(registry)))).hasMessage(e.getMessage());
  }
}
