package io.mqttkafka.bridge.auth;

import io.mqttkafka.bridge.metrics.MetricTag;
import java.util.Objects;

/**
 * The client is not let in: its credentials are missing or wrong. Carries a reason (a metric tag and
 * the input to the CONNACK code, chosen in {@code mqtt/ReasonCodes}), never the credentials. No stack
 * trace: this is an expected outcome, not a bug.
 */
public final class AuthenticationException extends Exception {

  /** Why; unknown user and wrong password are deliberately one reason. */
  public enum Reason implements MetricTag {
    /** No credentials of any configured kind, and anonymous clients are not allowed. */
    NO_CREDENTIALS("no_credentials"),
    /** Unknown user name or wrong password: the two are never told apart. */
    BAD_CREDENTIALS("bad_credentials"),
    /** A password that should be a JWT is not a valid one (signature, expiry, issuer, audience). */
    INVALID_TOKEN("invalid_token"),
    /** Valid credentials that name another client: the token's claim or the certificate's identity. */
    CLIENT_ID_MISMATCH("client_id_mismatch"),
    /**
     * The bridge could not decide (a failure of its own, not of the client's credentials): only a
     * metric tag, never the reason of an {@code AuthenticationException}.
     */
    ERROR("error");

    private final String metricTag;

    Reason(String metricTag) {
      this.metricTag = metricTag;
    }

    @Override
    public String metricTag() {
      return metricTag;
    }
  }

  private final Reason reason;

  /** @param detail for the DEBUG log only; must not contain a password or token */
  public AuthenticationException(Reason reason, String detail) {
    super(reason.metricTag() + (detail == null || detail.isEmpty() ? "" : ": " + detail), null, false, false);
    this.reason = Objects.requireNonNull(reason);
  }

  public Reason reason() {
    return reason;
  }
}
