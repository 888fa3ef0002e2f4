package io.mqttkafka.bridge.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A password file: one {@code user:hash} per line, as {@code mosquitto_passwd} and {@code htpasswd -B}
 * write them (the two may be mixed). Blank lines and lines starting with {@code #} are skipped; the user
 * name ends at the first {@code :}; a user may appear once. Immutable.
 */
record PasswordFile(Map<String, PasswordHash> users, Version version) {

  /** What identifies one state of the file on disk; a change in any part means "read it again". */
  record Version(long modifiedNanos, long size, Object fileKey) {
    static Version of(Path file) throws IOException {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return new Version(a.lastModifiedTime().toInstant().getEpochSecond() * 1_000_000_000L
          + a.lastModifiedTime().toInstant().getNano(), a.size(), a.fileKey());
    }
  }

  PasswordFile {
    users = Map.copyOf(users);
    Objects.requireNonNull(version);
  }

  /**
   * Reads the file; retries when it changed while being read (a writer was half-way through).
   *
   * @throws IOException when it cannot be read
   * @throws IllegalArgumentException naming the line that is wrong (never quoting a password or hash)
   */
  static PasswordFile read(Path file) throws IOException {
    for (int attempt = 0; ; attempt++) {
      Version before = Version.of(file);
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      Version after = Version.of(file);
      if (before.equals(after) || attempt == 2) {
        return new PasswordFile(parse(lines), after);
      }
    }
  }

  static Map<String, PasswordHash> parse(List<String> lines) {
    Map<String, PasswordHash> users = new HashMap<>();
    Map<String, Integer> definedOn = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      int number = i + 1;
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("line " + number + ": expected user:hash");
      }
      String user = line.substring(0, colon);
      Integer earlier = definedOn.putIfAbsent(user, number);
      if (earlier != null) {
        throw new IllegalArgumentException("line " + number + ": user \"" + user + "\" already on line " + earlier);
      }
      try {
        users.put(user, PasswordHash.parse(line.substring(colon + 1)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("line " + number + " (user \"" + user + "\"): " + e.getMessage());
      }
    }
    return users;
  }
}
