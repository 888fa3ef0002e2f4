package io.mqttkafka.bridge.auth;

import java.util.Objects;

/**
 * An authenticated client. {@code username} is the name the credentials proved (the password file's
 * user, the token's {@code sub}, the certificate's identity), or null for an anonymous client; it
 * fills {@code ${username}} in topic filter templates.
 */
public record Identity(String clientId, String username) {

  public Identity {
    Objects.requireNonNull(clientId, "clientId");
  }

  public static Identity anonymous(String clientId) {
    return new Identity(clientId, null);
  }
}
