package io.mqttkafka.bridge.vertx;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.impl.jose.JWK;

/**
 * The check that a key will verify tokens, made by the class of vert.x's that will hold it (not
 * exported API, but the only complete check): vert.x itself would skip an unusable JWK with a warning
 * and refuse every token signed with it.
 */
public final class Jwks {

  private Jwks() {
  }

  /**
   * Null when the JSON Web Key is usable for signatures, else why not.
   *
   * @throws RuntimeException from vert.x's parser, whose message says what is wrong
   */
  public static String problem(JsonObject jwk) {
    JWK parsed = new JWK(jwk);
    return parsed.publicKey() == null && parsed.mac() == null ? "no key material (n/e, x/y or k)" : null;
  }

  /**
   * Checks that a PEM public key can verify with its algorithm.
   *
   * @throws RuntimeException from vert.x's parser when it cannot
   */
  public static void check(PubSecKeyOptions key) {
    new JWK(key);
  }
}
