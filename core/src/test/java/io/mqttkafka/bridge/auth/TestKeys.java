package io.mqttkafka.bridge.auth;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;

/** Signing keys made in the test (JDK only) and compact JWTs signed with them, the way an IdP would. */
final class TestKeys {

  private static final Base64.Encoder URL = Base64.getUrlEncoder().withoutPadding();

  private TestKeys() {
  }

  static KeyPair rsa() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    return g.generateKeyPair();
  }

  static KeyPair ec256() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  /** The public key as an SPKI PEM file, as {@code openssl pkey -pubout} writes it. */
  static Path publicKeyPem(KeyPair keys, Path file) throws Exception {
    String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(keys.getPublic().getEncoded());
    return Files.writeString(file, "-----BEGIN PUBLIC KEY-----\n" + body + "\n-----END PUBLIC KEY-----\n");
  }

  /** A JWKS document with the RSA key (RS256) and the EC key (ES256), under the given key ids. */
  static Path jwks(KeyPair rsa, String rsaKid, KeyPair ec, String ecKid, Path file) throws Exception {
    RSAPublicKey r = (RSAPublicKey) rsa.getPublic();
    ECPublicKey e = (ECPublicKey) ec.getPublic();
    JsonArray keys = new JsonArray()
        .add(new JsonObject().put("kty", "RSA").put("kid", rsaKid).put("alg", "RS256").put("use", "sig")
            .put("n", unsigned(r.getModulus(), 256)).put("e", unsigned(r.getPublicExponent(), 0)))
        .add(new JsonObject().put("kty", "EC").put("kid", ecKid).put("alg", "ES256").put("crv", "P-256")
            .put("x", unsigned(e.getW().getAffineX(), 32)).put("y", unsigned(e.getW().getAffineY(), 32)));
    return Files.writeString(file, new JsonObject().put("keys", keys).encodePrettily());
  }

  private static String unsigned(BigInteger value, int length) {
    byte[] bytes = value.toByteArray();
    if (bytes.length > 1 && bytes[0] == 0) {
      bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
    }
    if (length > bytes.length) {
      byte[] padded = new byte[length];
      System.arraycopy(bytes, 0, padded, length - bytes.length, bytes.length);
      bytes = padded;
    }
    return URL.encodeToString(bytes);
  }

  /** Claims valid for an hour from now, plus the given ones (which may override exp, iat...). */
  static JsonObject claims(Map<String, Object> extra) {
    long now = Instant.now().getEpochSecond();
    JsonObject claims = new JsonObject().put("iat", now).put("exp", now + 3600);
    extra.forEach(claims::put);
    return claims;
  }

  /** RS256 (RSA key) or ES256 (EC key, JWS's fixed-length r||s signature). */
  static String sign(KeyPair keys, String kid, JsonObject claims) throws GeneralSecurityException {
    boolean ec = keys.getPrivate().getAlgorithm().equals("EC");
    JsonObject header = new JsonObject().put("alg", ec ? "ES256" : "RS256").put("typ", "JWT");
    if (kid != null) {
      header.put("kid", kid);
    }
    String input = encode(header) + "." + encode(claims);
    byte[] signature = signature(keys.getPrivate(), ec ? "SHA256withECDSAinP1363Format" : "SHA256withRSA", input);
    return input + "." + URL.encodeToString(signature);
  }

  /** The unsecured form: {@code alg: none} and a made-up signature. */
  static String unsigned(JsonObject claims) {
    return encode(new JsonObject().put("alg", "none")) + "." + encode(claims) + ".c2lnbmVk";
  }

  static String encode(JsonObject json) {
    return URL.encodeToString(json.encode().getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] signature(PrivateKey key, String algorithm, String input) throws GeneralSecurityException {
    Signature s = Signature.getInstance(algorithm);
    s.initSign(key);
    s.update(input.getBytes(StandardCharsets.US_ASCII));
    return s.sign();
  }
}
