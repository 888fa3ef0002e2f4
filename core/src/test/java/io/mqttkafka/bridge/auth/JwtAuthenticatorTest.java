package io.mqttkafka.bridge.auth;

import static io.mqttkafka.bridge.auth.Outcomes.identity;
import static io.mqttkafka.bridge.auth.Outcomes.refusal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.mqttkafka.bridge.auth.AuthenticationException.Reason;
import io.mqttkafka.bridge.config.AuthSettings;
import io.mqttkafka.bridge.config.ConfigException;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.jwt.JWTAuth;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * JWT in the password field, verified with keys from a PEM file or a JWKS file. The keys are made in
 * the test and the tokens signed with the JDK, as an identity provider would.
 */
class JwtAuthenticatorTest {

  private static final String ISSUER = "https://idp.fleet.example";
  private static final String AUDIENCE = "mqtt-bridge";

  @TempDir
  static Path dir;
  private static Vertx vertx;
  private static KeyPair rsa;
  private static KeyPair ec;
  private static KeyPair stranger;
  private static JwtAuthenticator pem;
  private static JwtAuthenticator jwks;

  @BeforeAll
  static void keys() throws Exception {
    vertx = Vertx.vertx();
    rsa = TestKeys.rsa();
    ec = TestKeys.ec256();
    stranger = TestKeys.rsa();
    pem = authenticator(new AuthSettings.Jwt(Optional.empty(),
        Optional.of(TestKeys.publicKeyPem(rsa, dir.resolve("rsa.pem"))), Optional.of(ISSUER), Optional.of(AUDIENCE),
        "sub", Duration.ZERO));
    jwks = authenticator(new AuthSettings.Jwt(
        Optional.of(TestKeys.jwks(rsa, "rsa-1", ec, "ec-1", dir.resolve("jwks.json"))), Optional.empty(),
        Optional.empty(), Optional.empty(), "client_id", Duration.ofSeconds(30)));
  }

  @AfterAll
  static void close() {
    vertx.close();
  }

  private static JwtAuthenticator authenticator(AuthSettings.Jwt config) throws ConfigException {
    return new JwtAuthenticator(JWTAuth.create(vertx, Authenticators.jwtOptions(config)), config.clientIdClaim());
  }

  private static JsonObject claims(Object... pairs) {
    JsonObject extra = new JsonObject().put("iss", ISSUER).put("aud", AUDIENCE);
    for (int i = 0; i < pairs.length; i += 2) {
      extra.put((String) pairs[i], pairs[i + 1]);
    }
    return TestKeys.claims(extra.getMap());
  }

  private static ConnectInfo connect(String clientId, String password) {
    return new ConnectInfo(clientId, "any-user-name", password, List.of());
  }

  @Test
  void validTokenWhoseSubjectIsTheClientIdLetsTheClientIn() throws Exception {
    String token = TestKeys.sign(rsa, null, claims("sub", "car1"));

    assertThat(identity(pem.authenticate(connect("car1", token)))).isEqualTo(new Identity("car1", "car1"));
  }

  @Test
  void tokenForAnotherClientIdIsRefusedAsMismatch() throws Exception {
    String token = TestKeys.sign(rsa, null, claims("sub", "car2"));

    assertThat(refusal(pem.authenticate(connect("car1", token))).reason()).isEqualTo(Reason.CLIENT_ID_MISMATCH);
  }

  @Test
  void tokenWithoutTheClaimIsRefusedAsMismatch() throws Exception {
    String token = TestKeys.sign(rsa, null, claims());

    assertThat(refusal(pem.authenticate(connect("car1", token))).reason()).isEqualTo(Reason.CLIENT_ID_MISMATCH);
  }

  @Test
  void tokenSignedByAnotherKeyIsInvalid() throws Exception {
    String token = TestKeys.sign(stranger, null, claims("sub", "car1"));

    assertThat(refusal(pem.authenticate(connect("car1", token))).reason()).isEqualTo(Reason.INVALID_TOKEN);
  }

  @Test
  void tamperedClaimsAreInvalid() throws Exception {
    String[] parts = TestKeys.sign(rsa, null, claims("sub", "car2")).split("\\.");
    String forged = parts[0] + "." + TestKeys.encode(claims("sub", "car1")) + "." + parts[2];

    assertThat(refusal(pem.authenticate(connect("car1", forged))).reason()).isEqualTo(Reason.INVALID_TOKEN);
  }

  @Test
  void unsignedTokenIsInvalid() throws Exception {
    String token = TestKeys.unsigned(claims("sub", "car1"));

    assertThat(refusal(pem.authenticate(connect("car1", token))).reason()).isEqualTo(Reason.INVALID_TOKEN);
  }

  @Test
  void expiredTokenIsInvalid() throws Exception {
    long now = Instant.now().getEpochSecond();
    String token = TestKeys.sign(rsa, null, claims("sub", "car1", "iat", now - 7200, "exp", now - 60));

    assertThat(refusal(pem.authenticate(connect("car1", token))).reason()).isEqualTo(Reason.INVALID_TOKEN);
  }

  @Test
  void leewayAcceptsATokenIssuedSlightlyInTheFuture() throws Exception {
    long now = Instant.now().getEpochSecond();
    String token = TestKeys.sign(rsa, "rsa-1", TestKeys.claims(Map.of("client_id", "car1", "iat", now + 10)));

    assertThat(identity(jwks.authenticate(connect("car1", token))).clientId()).isEqualTo("car1");
    // Without leeway (the PEM authenticator), the same clock skew is refused.
    String strict = TestKeys.sign(rsa, null, claims("sub", "car1", "iat", now + 10));
    assertThat(refusal(pem.authenticate(connect("car1", strict))).reason()).isEqualTo(Reason.INVALID_TOKEN);
  }

  @Test
  void malformedExpiryIsInvalidNotAnError() throws Exception {
    String token = TestKeys.sign(rsa, null, claims("sub", "car1", "exp", "tomorrow"));

    assertThat(refusal(pem.authenticate(connect("car1", token))).reason()).isEqualTo(Reason.INVALID_TOKEN);
  }

  @Test
  void wrongIssuerOrAudienceIsInvalid() throws Exception {
    String otherIssuer = TestKeys.sign(rsa, null, claims("sub", "car1", "iss", "https://evil.example"));
    String otherAudience = TestKeys.sign(rsa, null, claims("sub", "car1", "aud", "other-service"));
    String audienceList = TestKeys.sign(rsa, null, claims("sub", "car1", "aud", List.of("x", AUDIENCE)));

    assertThat(refusal(pem.authenticate(connect("car1", otherIssuer))).reason()).isEqualTo(Reason.INVALID_TOKEN);
    assertThat(refusal(pem.authenticate(connect("car1", otherAudience))).reason()).isEqualTo(Reason.INVALID_TOKEN);
    assertThat(identity(pem.authenticate(connect("car1", audienceList))).clientId()).isEqualTo("car1");
  }

  @Test
  void jwksVerifiesRsaAndEcTokensByKeyIdWithTheConfiguredClaim() throws Exception {
    String rs256 = TestKeys.sign(rsa, "rsa-1", TestKeys.claims(Map.of("client_id", "car1", "sub", "owner-7")));
    String es256 = TestKeys.sign(ec, "ec-1", TestKeys.claims(Map.of("client_id", "car2")));
    String wrongKid = TestKeys.sign(ec, "rsa-1", TestKeys.claims(Map.of("client_id", "car2")));

    assertThat(identity(jwks.authenticate(connect("car1", rs256)))).isEqualTo(new Identity("car1", "owner-7"));
    assertThat(identity(jwks.authenticate(connect("car2", es256)))).isEqualTo(new Identity("car2", "car2"));
    assertThat(refusal(jwks.authenticate(connect("car2", wrongKid))).reason()).isEqualTo(Reason.INVALID_TOKEN);
  }

  @Test
  void passwordThatIsNoJwtIsLeftToOtherMethods() throws Exception {
    assertThat(refusal(pem.authenticate(connect("car1", "plain-password"))).reason()).isEqualTo(Reason.NO_CREDENTIALS);
    assertThat(refusal(pem.authenticate(connect("car1", null))).reason()).isEqualTo(Reason.NO_CREDENTIALS);
  }

  @Test
  void certificatePemWorksAsPublicKeyFile() throws Exception {
    // Only the key of the certificate is used; a file with a comment before the block is fine.
    Path file = Files.writeString(dir.resolve("with-comment.pem"),
        "# the fleet IdP's signing key\n" + Files.readString(dir.resolve("rsa.pem")));
    JwtAuthenticator fromFile = authenticator(new AuthSettings.Jwt(Optional.empty(), Optional.of(file),
        Optional.empty(), Optional.empty(), "sub", Duration.ZERO));

    String token = TestKeys.sign(rsa, null, TestKeys.claims(Map.of("sub", "car1")));
    assertThat(identity(fromFile.authenticate(connect("car1", token))).clientId()).isEqualTo("car1");
  }

  @Test
  void unusableKeyFilesStopStartUpNamingTheKey() throws Exception {
    Path privateKey = Files.writeString(dir.resolve("private.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n"
        + "-----END PRIVATE KEY-----\n");
    Path garbage = Files.writeString(dir.resolve("garbage.json"), "{\"keys\": ");
    Path badJwk = Files.writeString(dir.resolve("bad.json"), "{\"keys\": [{\"kty\": \"RSA\", \"kid\": \"k1\"}]}");
    Path empty = Files.writeString(dir.resolve("empty.json"), "{\"keys\": []}");

    assertThat(keyProblem(Optional.empty(), Optional.of(privateKey))).hasMessageStartingWith(
        "auth.jwt.publicKeyFile: " + privateKey + ": has no PEM block \"PUBLIC KEY\" or \"CERTIFICATE\"");
    assertThat(keyProblem(Optional.of(garbage), Optional.empty()))
        .hasMessageStartingWith("auth.jwt.jwksFile: " + garbage + ": not a JSON object");
    assertThat(keyProblem(Optional.of(badJwk), Optional.empty()))
        .hasMessageStartingWith("auth.jwt.jwksFile: " + badJwk + ": keys[0] (kid k1) is not a usable key");
    assertThat(keyProblem(Optional.of(empty), Optional.empty()))
        .hasMessageContaining("has no \"keys\" list with at least one key");
  }

  private static ConfigException keyProblem(Optional<Path> jwksFile, Optional<Path> pemFile) {
    return catchThrowableOfType(ConfigException.class, () -> Authenticators.jwtOptions(
        new AuthSettings.Jwt(jwksFile, pemFile, Optional.empty(), Optional.empty(), "sub", Duration.ZERO)));
  }
}
