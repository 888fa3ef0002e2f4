package io.mqttkafka.bridge.auth;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.mqttkafka.bridge.vertx.Jwks;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The keys that verify JWTs, read from a JWKS file or a PEM file, checked here so that a bad key stops
 * start-up (vert.x would skip an unusable JWK with a warning and refuse every token signed with it).
 */
final class JwtKeys {

  private static final Pattern PEM_BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)-----END \\1-----");

  private JwtKeys() {
  }

  /** The keys of a JWKS document ({@code {"keys": [...]}}), each checked by vert.x's own JWK parser. */
  static List<JsonObject> jwks(String text) {
    JsonObject document;
    try {
      document = new JsonObject(text);
    } catch (DecodeException e) {
      throw new IllegalArgumentException("not a JSON object (a JWKS such as {\"keys\": [...]})");
    }
    Object keys = document.getValue("keys");
    if (!(keys instanceof JsonArray array) || array.isEmpty()) {
      throw new IllegalArgumentException("has no \"keys\" list with at least one key");
    }
    List<JsonObject> jwks = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof JsonObject jwk)) {
        throw new IllegalArgumentException("keys[" + i + "] is not a JSON object");
      }
      if ("enc".equals(jwk.getString("use"))) {
        continue; // an encryption key never verifies a signature
      }
      String problem;
      try {
        problem = Jwks.problem(jwk);
      } catch (RuntimeException e) {
        problem = rootMessage(e);
      }
      if (problem != null) {
        throw new IllegalArgumentException("keys[" + i + "] (kid " + jwk.getString("kid", "none")
            + ") is not a usable key: " + problem);
      }
      jwks.add(jwk);
    }
    if (jwks.isEmpty()) {
      throw new IllegalArgumentException("has only encryption keys (\"use\": \"enc\")");
    }
    return jwks;
  }

  /**
   * A public key in PEM ({@code PUBLIC KEY}, or the {@code CERTIFICATE} that holds it), registered for
   * every JWS algorithm its type can verify: RSA for RS256/384/512 and PS256/384/512, EC for the
   * ES algorithm of its curve size, Ed25519 for EdDSA.
   */
  static List<PubSecKeyOptions> pem(String text) {
    Matcher m = PEM_BLOCK.matcher(text);
    PublicKey key = null;
    while (m.find() && key == null) {
      byte[] der;
      try {
        der = Base64.getMimeDecoder().decode(m.group(2));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("the " + m.group(1) + " PEM block is not valid base64");
      }
      key = switch (m.group(1)) {
        case "PUBLIC KEY" -> publicKey(der);
        case "CERTIFICATE" -> certificateKey(der);
        default -> null;
      };
    }
    if (key == null) {
      throw new IllegalArgumentException("has no PEM block \"PUBLIC KEY\" or \"CERTIFICATE\"");
    }
    List<String> algorithms = algorithms(key);
    String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'})
        .encodeToString(key.getEncoded()) + "\n-----END PUBLIC KEY-----\n";
    List<PubSecKeyOptions> options = new ArrayList<>();
    for (String algorithm : algorithms) {
      PubSecKeyOptions option = new PubSecKeyOptions().setAlgorithm(algorithm)
          .setBuffer(Buffer.buffer(pem, StandardCharsets.US_ASCII.name()));
      try {
        Jwks.check(option);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("the key cannot verify " + algorithm + ": " + rootMessage(e));
      }
      options.add(option);
    }
    return options;
  }

  private static List<String> algorithms(PublicKey key) {
    return switch (key.getAlgorithm()) {
      case "RSA" -> List.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512");
      case "EC" -> switch (((ECPublicKey) key).getParams().getCurve().getField().getFieldSize()) {
        case 256 -> List.of("ES256");
        case 384 -> List.of("ES384");
        case 521 -> List.of("ES512");
        default -> throw new IllegalArgumentException("an EC key on a curve JWS does not use");
      };
      case "EdDSA", "Ed25519" -> List.of("EdDSA");
      default -> throw new IllegalArgumentException("a " + key.getAlgorithm() + " key, which JWS does not use");
    };
  }

  private static PublicKey publicKey(byte[] der) {
    for (String type : List.of("RSA", "EC", "EdDSA")) {
      try {
        return KeyFactory.getInstance(type).generatePublic(new X509EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // try the next type
      }
    }
    throw new IllegalArgumentException("the PUBLIC KEY is not an RSA, EC or Ed25519 key");
  }

  private static PublicKey certificateKey(byte[] der) {
    try {
      return CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der)).getPublicKey();
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("the CERTIFICATE cannot be read: " + e.getMessage());
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }
}
