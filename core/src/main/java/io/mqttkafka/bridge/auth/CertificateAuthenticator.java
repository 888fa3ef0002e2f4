package io.mqttkafka.bridge.auth;

import io.mqttkafka.bridge.auth.AuthenticationException.Reason;
import io.mqttkafka.bridge.config.AuthSettings.CertificateIdentity;
import io.vertx.core.Future;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

/**
 * The TLS client certificate names the client: its subject CN, or one of its subjectAltNames of the
 * configured kind (DNS, URI, e-mail), must equal the client id exactly. The TLS listener has already
 * verified the chain against its trust store (client auth required); this only reads the leaf. A
 * connection without a client certificate is left to the other methods.
 */
public final class CertificateAuthenticator implements Authenticator {

  // subjectAltName GeneralName tags, RFC 5280 4.2.1.6
  private static final int SAN_EMAIL = 1;
  private static final int SAN_DNS = 2;
  private static final int SAN_URI = 6;

  private final CertificateIdentity identity;

  public CertificateAuthenticator(CertificateIdentity identity) {
    this.identity = identity;
  }

  @Override
  public Future<Identity> authenticate(ConnectInfo info) {
    if (info.peerCertificates().isEmpty()) {
      return Future.failedFuture(new AuthenticationException(Reason.NO_CREDENTIALS, "no client certificate"));
    }
    List<String> names = names(info.peerCertificates().get(0));
    if (!names.contains(info.clientId())) {
      return Future.failedFuture(new AuthenticationException(Reason.CLIENT_ID_MISMATCH, "the certificate's "
          + identity.configName() + (names.isEmpty() ? " is missing" : " is not the client id")));
    }
    return Future.succeededFuture(new Identity(info.clientId(), info.clientId()));
  }

  /** The identities of the configured kind in a certificate; the CN only when there is exactly one. */
  List<String> names(X509Certificate certificate) {
    return identity == CertificateIdentity.CN ? commonName(certificate) : alternativeNames(certificate);
  }

  private static List<String> commonName(X509Certificate certificate) {
    List<String> names = new ArrayList<>();
    try {
      for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName(X500Principal.RFC2253)).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          // A hex-encoded (non-string) value is not a name; it counts, so that it makes the CN ambiguous.
          names.add(rdn.getValue() instanceof String s ? s : "");
        }
      }
    } catch (InvalidNameException e) {
      return List.of();
    }
    // Several CNs: which one is the device is a guess, so none is.
    return names.size() == 1 ? names : List.of();
  }

  private List<String> alternativeNames(X509Certificate certificate) {
    int tag = switch (identity) {
      case SAN_DNS -> SAN_DNS;
      case SAN_URI -> SAN_URI;
      case SAN_EMAIL -> SAN_EMAIL;
      case CN -> throw new IllegalStateException("CN is not a subjectAltName");
    };
    List<String> names = new ArrayList<>();
    try {
      Collection<List<?>> all = certificate.getSubjectAlternativeNames();
      if (all != null) {
        for (List<?> entry : all) {
          if (entry.size() >= 2 && entry.get(0) instanceof Integer type && type == tag
              && entry.get(1) instanceof String name) {
            names.add(name);
          }
        }
      }
    } catch (CertificateParsingException e) {
      return List.of();
    }
    return names;
  }
}
