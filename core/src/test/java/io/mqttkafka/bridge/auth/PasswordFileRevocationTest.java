package io.mqttkafka.bridge.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The users a changed password file revokes: those it no longer has and those whose password changed;
 * a user whose line only moved, and a file that does not load, revoke nobody.
 */
class PasswordFileRevocationTest {

  private static final Path FIXTURES = Path.of("src/test/resources/auth");

  @TempDir
  Path dir;
  private static Vertx vertx;
  private static WorkerExecutor worker;
  private final List<Set<String>> revoked = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    worker = vertx.createSharedWorkerExecutor("test-revocation", 1);
  }

  @AfterAll
  static void stop() {
    worker.close();
    vertx.close();
  }

  @Test
  void removedUsersAndChangedPasswordsAreRevokedMovedLinesAreNot() throws Exception {
    Path file = Files.copy(FIXTURES.resolve("mosquitto.passwd"), dir.resolve("passwd"));
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    PasswordFileAuthenticator auth = new PasswordFileAuthenticator(vertx, worker, file).onRevoked(revoked::add);
    String alice = lines.stream().filter(l -> l.startsWith("alice:")).findFirst().orElseThrow();
    String bob = lines.stream().filter(l -> l.startsWith("bob:")).findFirst().orElseThrow();
    String daveAsCarol = Files.readString(FIXTURES.resolve("htpasswd")).strip().replace("dave:", "carol:");

    // bob moves to the top (same hash), alice is gone, carol gets another password.
    replace(file, bob + "\n" + daveAsCarol + "\n");
    Outcomes.identity(auth.poll().map(v -> null));

    assertThat(revoked).containsExactly(Set.of("alice", "carol"));
    assertThat(alice).isNotEmpty();
  }

  @Test
  void aFileThatDoesNotLoadRevokesNobody() throws Exception {
    Path file = Files.copy(FIXTURES.resolve("mosquitto.passwd"), dir.resolve("passwd"));
    PasswordFileAuthenticator auth = new PasswordFileAuthenticator(vertx, worker, file).onRevoked(revoked::add);

    replace(file, "alice:not-a-hash\n");
    Outcomes.identity(auth.poll().map(v -> null));

    assertThat(revoked).isEmpty();
    assertThat(auth.users()).isEqualTo(3);
  }

  private void replace(Path file, String content) throws Exception {
    Path next = Files.writeString(dir.resolve("passwd.next"), content);
    Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
