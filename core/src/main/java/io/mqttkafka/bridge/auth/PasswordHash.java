package io.mqttkafka.bridge.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import at.favre.lib.crypto.bcrypt.LongPasswordStrategies;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * One stored password hash, in the formats that {@code mosquitto_passwd} and {@code htpasswd -B} write.
 * {@link #matches} is slow on purpose (bcrypt) and must run off the event loop.
 */
sealed interface PasswordHash {

  /** Mosquitto 2.x default: {@code $7$<iterations>$<base64 salt>$<base64 PBKDF2-HMAC-SHA512>}. */
  Pattern MOSQUITTO_PBKDF2 = Pattern.compile("\\$7\\$(\\d{1,9})\\$([A-Za-z0-9+/=]+)\\$([A-Za-z0-9+/=]+)");
  /** Mosquitto 1.x default ({@code mosquitto_passwd -H sha512}): {@code $6$<base64 salt>$<base64 SHA-512(password salt)>}. */
  Pattern MOSQUITTO_SHA512 = Pattern.compile("\\$6\\$([A-Za-z0-9+/=]+)\\$([A-Za-z0-9+/=]+)");
  /** bcrypt as htpasswd -B ($2y$) and most other tools ($2a$, $2b$) write it. */
  Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$\\d{2}\\$[./A-Za-z0-9]{53}");

  boolean matches(String password);

  /** Whether {@code other} is the same hash (same scheme, parameters and bytes): the password did not change. */
  boolean sameAs(PasswordHash other);

  /**
   * Parses the part after {@code user:}.
   *
   * @throws IllegalArgumentException naming the format problem, never quoting the text (it may be a
   *     plain-text password)
   */
  static PasswordHash parse(String text) {
    Matcher m = MOSQUITTO_PBKDF2.matcher(text);
    if (m.matches()) {
      int iterations = Integer.parseInt(m.group(1));
      if (iterations < 1) {
        throw new IllegalArgumentException("$7$ hash with 0 iterations");
      }
      return new MosquittoPbkdf2(iterations, base64(m.group(2), "salt"), base64(m.group(3), "hash"));
    }
    m = MOSQUITTO_SHA512.matcher(text);
    if (m.matches()) {
      return new MosquittoSha512(base64(m.group(1), "salt"), base64(m.group(2), "hash"));
    }
    if (BCRYPT.matcher(text).matches()) {
      int cost = Integer.parseInt(text.substring(4, 6));
      if (cost < BCrypt.MIN_COST || cost > BCrypt.MAX_COST) {
        throw new IllegalArgumentException("bcrypt cost " + cost + " outside " + BCrypt.MIN_COST + ".."
            + BCrypt.MAX_COST);
      }
      return new Bcrypt(text);
    }
    throw new IllegalArgumentException("unsupported password hash (" + kind(text) + "); supported: $7$ and $6$"
        + " (mosquitto_passwd), $2y$/$2a$/$2b$ bcrypt (htpasswd -B)");
  }

  /** The scheme prefix, such as {@code $apr1$} or {@code {SHA}}; never more of the text than that. */
  private static String kind(String text) {
    int end = text.startsWith("$") ? text.indexOf('$', 1) : text.startsWith("{") ? text.indexOf('}') : -1;
    if (end > 0 && end <= 8) {
      return text.substring(0, end + 1);
    }
    return end < 0 && !text.startsWith("$") && !text.startsWith("{") ? "plain text?" : "unknown";
  }

  private static byte[] base64(String text, String what) {
    try {
      return Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the " + what + " is not valid base64");
    }
  }

  /** PBKDF2-HMAC-SHA512 over the UTF-8 password, as mosquitto computes it (salt: the decoded bytes). */
  record MosquittoPbkdf2(int iterations, byte[] salt, byte[] hash) implements PasswordHash {
    @Override
    public boolean matches(String password) {
      // The JDK's PBKDF2 turns the chars into UTF-8 bytes, as mosquitto hashes the bytes it received.
      PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, hash.length * 8);
      try {
        byte[] computed = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512").generateSecret(spec).getEncoded();
        return MessageDigest.isEqual(computed, hash);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("PBKDF2WithHmacSHA512 unavailable", e);
      } finally {
        spec.clearPassword();
      }
    }

    @Override
    public boolean sameAs(PasswordHash other) {
      return other instanceof MosquittoPbkdf2 o && iterations == o.iterations && Arrays.equals(salt, o.salt)
          && Arrays.equals(hash, o.hash);
    }
  }

  /** One round of SHA-512 over password then salt (mosquitto before 2.0). */
  record MosquittoSha512(byte[] salt, byte[] hash) implements PasswordHash {
    @Override
    public boolean matches(String password) {
      try {
        MessageDigest sha512 = MessageDigest.getInstance("SHA-512");
        sha512.update(password.getBytes(StandardCharsets.UTF_8));
        sha512.update(salt);
        return MessageDigest.isEqual(sha512.digest(), hash);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("SHA-512 unavailable", e);
      }
    }

    @Override
    public boolean sameAs(PasswordHash other) {
      return other instanceof MosquittoSha512 o && Arrays.equals(salt, o.salt) && Arrays.equals(hash, o.hash);
    }
  }

  /**
   * bcrypt; a password longer than 72 bytes counts with its first 72, as in OpenBSD's and Apache's
   * bcrypt (the library's {@code none()} strategy leaves it to the key schedule, which reads 72 bytes).
   */
  record Bcrypt(String hash) implements PasswordHash {
    private static final BCrypt.Verifyer VERIFYER =
        BCrypt.verifyer(BCrypt.Version.VERSION_2Y, LongPasswordStrategies.none());

    @Override
    public boolean matches(String password) {
      byte[] bytes = password.getBytes(StandardCharsets.UTF_8);
      try {
        return VERIFYER.verify(bytes, hash.getBytes(StandardCharsets.US_ASCII)).verified;
      } finally {
        Arrays.fill(bytes, (byte) 0);
      }
    }

    @Override
    public boolean sameAs(PasswordHash other) {
      return other instanceof Bcrypt o && hash.equals(o.hash);
    }

    @Override
    public String toString() {
      return "Bcrypt[" + hash.substring(0, 7) + "...]";
    }
  }
}
