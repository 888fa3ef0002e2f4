package io.mqttkafka.bridge.tls;

import io.mqttkafka.bridge.config.ConfigException;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The keys that encrypt and decrypt TLS session tickets on the OpenSSL engine's server contexts
 * ({@code mqtt.tls.ticketKeysFile}). Without a file each instance's BoringSSL makes its own key, so
 * a device that moves to another instance (a failover, a load balancer) does a full handshake; with
 * the same file on every instance, any of them resumes the session another one made, and a region's
 * reconnect after an instance dies costs resumed handshakes.
 *
 * <p>The file holds one key per line, each 48 random bytes in base64 (a 16-byte name, a 16-byte HMAC
 * key, a 16-byte AES key: {@code head -c 48 /dev/urandom | base64}); blank lines and lines starting
 * with {@code #} are skipped. The first key makes new tickets, every key opens them: to rotate, add
 * the new key as the second line everywhere, then move it first, then drop the old one. Read again
 * when the file changes ({@link CertificateReloader}); connections already open are not touched.
 */
final class TicketKeys {

  static final String FILE = "mqtt.tls.ticketKeysFile";

  /** The keys in force; null: BoringSSL's own, per instance. */
  private volatile OpenSslSessionTicketKey[] keys;
  private final Set<OpenSslSessionContext> contexts = ConcurrentHashMap.newKeySet();

  TicketKeys(List<OpenSslSessionTicketKey> keys) {
    this.keys = keys == null ? null : keys.toArray(new OpenSslSessionTicketKey[0]);
  }

  /** True when the keys come from a file, so that instances share them. */
  boolean shared() {
    return keys != null;
  }

  /** Gives a server context the keys in force, now and after each {@link #apply}. */
  void register(OpenSslSessionContext sessions) {
    contexts.add(sessions);
    set(sessions, keys);
  }

  /** Every registered context gets {@code next} from its next handshake on. */
  void apply(List<OpenSslSessionTicketKey> next) {
    OpenSslSessionTicketKey[] array = next.toArray(new OpenSslSessionTicketKey[0]);
    keys = array;
    contexts.forEach(sessions -> set(sessions, array));
  }

  private static void set(OpenSslSessionContext sessions, OpenSslSessionTicketKey[] keys) {
    if (keys == null) {
      sessions.setTicketKeys(); // BoringSSL makes the key and rotates it every two days
    } else {
      sessions.setTicketKeys(keys);
    }
  }

  /**
   * Reads a ticket keys file; blocks.
   *
   * @throws ConfigException naming {@link #FILE} and the line when the file is unreadable, holds no
   *     key, or a line is not 48 bytes in base64
   */
  static List<OpenSslSessionTicketKey> read(Path file) throws ConfigException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new ConfigException(FILE, file + ": cannot be read (" + e + ")");
    }
    List<OpenSslSessionTicketKey> keys = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      keys.add(key(file, i + 1, line));
    }
    if (keys.isEmpty()) {
      throw new ConfigException(FILE, file + ": holds no key (one per line, 48 random bytes in base64: "
          + "head -c 48 /dev/urandom | base64)");
    }
    return keys;
  }

  private static OpenSslSessionTicketKey key(Path file, int lineNumber, String line) throws ConfigException {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(line);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(FILE, file + " line " + lineNumber + ": is not base64 (" + e.getMessage() + ")");
    }
    if (bytes.length != OpenSslSessionTicketKey.TICKET_KEY_SIZE) {
      throw new ConfigException(FILE, file + " line " + lineNumber + ": holds " + bytes.length + " bytes, a key is "
          + OpenSslSessionTicketKey.TICKET_KEY_SIZE + " (head -c 48 /dev/urandom | base64)");
    }
    int name = OpenSslSessionTicketKey.NAME_SIZE;
    int hmac = OpenSslSessionTicketKey.HMAC_KEY_SIZE;
    return new OpenSslSessionTicketKey(Arrays.copyOfRange(bytes, 0, name),
        Arrays.copyOfRange(bytes, name, name + hmac), Arrays.copyOfRange(bytes, name + hmac, bytes.length));
  }
}
