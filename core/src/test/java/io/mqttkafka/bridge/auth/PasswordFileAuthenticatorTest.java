package io.mqttkafka.bridge.auth;

import static io.mqttkafka.bridge.auth.Outcomes.identity;
import static io.mqttkafka.bridge.auth.Outcomes.refusal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.mqttkafka.bridge.auth.AuthenticationException.Reason;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Password files as the real tools write them. The fixtures under {@code src/test/resources/auth/}
 * were made by {@code make-fixtures.sh} there, with mosquitto_passwd 2.0.11 and htpasswd 2.4.71
 * (Debian 12), and are committed, so this test needs neither tool:
 * <pre>
 * mosquitto.passwd  alice  alice-secret               mosquitto_passwd -c -b            ($7$, PBKDF2-SHA512, 101 iterations)
 *                   bob    "b0b: with colon &amp; spaces" mosquitto_passwd -b               ($7$)
 *                   carol  carol-pässwörd             mosquitto_passwd -H sha512 -b     ($6$, mosquitto 1.x)
 * htpasswd          dave   dave-secret                htpasswd -c -b -B                 ($2y$, cost 5)
 *                   erin   72 x "-beyond-72-bytes"    htpasswd -b -B -C 10              ($2y$, cost 10)
 * htpasswd-md5      frank  frank-secret               htpasswd -c -b -m                 ($apr1$, unsupported)
 * </pre>
 */
class PasswordFileAuthenticatorTest {

  private static final Path FIXTURES = Path.of("src/test/resources/auth");
  private static final String SEVENTY_TWO = "x".repeat(72);

  @TempDir
  Path dir;
  private static Vertx vertx;
  private static WorkerExecutor worker;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    worker = vertx.createSharedWorkerExecutor("test-auth", 2);
  }

  @AfterAll
  static void stop() {
    worker.close();
    vertx.close();
  }

  private static PasswordFileAuthenticator of(Path file) throws Exception {
    return new PasswordFileAuthenticator(vertx, worker, file);
  }

  private static ConnectInfo connect(String user, String password) {
    return new ConnectInfo("car-" + user, user, password, List.of());
  }

  @Test
  void mosquittoPasswdPbkdf2FileIsUsedUnchanged() throws Exception {
    PasswordFileAuthenticator auth = of(FIXTURES.resolve("mosquitto.passwd"));

    assertThat(identity(auth.authenticate(connect("alice", "alice-secret"))))
        .isEqualTo(new Identity("car-alice", "alice"));
    assertThat(identity(auth.authenticate(connect("bob", "b0b: with colon & spaces"))).username()).isEqualTo("bob");
    assertThat(refusal(auth.authenticate(connect("alice", "alice-secreT"))).reason()).isEqualTo(Reason.BAD_CREDENTIALS);
    assertThat(refusal(auth.authenticate(connect("bob", "b0b"))).reason()).isEqualTo(Reason.BAD_CREDENTIALS);
  }

  @Test
  void mosquitto1Sha512LineWithUtf8PasswordIsAccepted() throws Exception {
    PasswordFileAuthenticator auth = of(FIXTURES.resolve("mosquitto.passwd"));

    assertThat(identity(auth.authenticate(connect("carol", "carol-pässwörd"))).username()).isEqualTo("carol");
    assertThat(refusal(auth.authenticate(connect("carol", "carol-passwort"))).reason())
        .isEqualTo(Reason.BAD_CREDENTIALS);
  }

  @Test
  void htpasswdBcryptFileIsUsedUnchanged() throws Exception {
    PasswordFileAuthenticator auth = of(FIXTURES.resolve("htpasswd"));

    assertThat(identity(auth.authenticate(connect("dave", "dave-secret"))).username()).isEqualTo("dave");
    assertThat(refusal(auth.authenticate(connect("dave", "Dave-secret"))).reason()).isEqualTo(Reason.BAD_CREDENTIALS);
  }

  @Test
  void bcryptReadsTheFirst72BytesLikeApache() throws Exception {
    // htpasswd -vb says the same: 72 x's match erin's longer password, 71 do not.
    PasswordFileAuthenticator auth = of(FIXTURES.resolve("htpasswd"));

    assertThat(identity(auth.authenticate(connect("erin", SEVENTY_TWO + "-beyond-72-bytes"))).username())
        .isEqualTo("erin");
    assertThat(identity(auth.authenticate(connect("erin", SEVENTY_TWO))).username()).isEqualTo("erin");
    assertThat(refusal(auth.authenticate(connect("erin", "x".repeat(71)))).reason())
        .isEqualTo(Reason.BAD_CREDENTIALS);
  }

  @Test
  void unknownUserAndWrongPasswordFailAlike() throws Exception {
    PasswordFileAuthenticator auth = of(FIXTURES.resolve("htpasswd"));

    AuthenticationException unknown = refusal(auth.authenticate(connect("mallory", "dave-secret")));
    AuthenticationException wrong = refusal(auth.authenticate(connect("dave", "guess")));

    assertThat(unknown.reason()).isEqualTo(wrong.reason()).isEqualTo(Reason.BAD_CREDENTIALS);
    assertThat(unknown.getMessage().replace("mallory", "USER")).isEqualTo(wrong.getMessage().replace("dave", "USER"));
    assertThat(unknown.getMessage() + wrong.getMessage()).doesNotContain("guess", "secret");
  }

  @Test
  void withoutUserNameAndPasswordItLeavesTheDecisionToOthers() throws Exception {
    PasswordFileAuthenticator auth = of(FIXTURES.resolve("htpasswd"));

    assertThat(refusal(auth.authenticate(connect(null, null))).reason()).isEqualTo(Reason.NO_CREDENTIALS);
    // What vert.x 5.0.8 reports for a username-only CONNECT: no user name either.
    assertThat(refusal(auth.authenticate(new ConnectInfo("car1", null, null, List.of()))).reason())
        .isEqualTo(Reason.NO_CREDENTIALS);
  }

  @Test
  void unsupportedHashNamesTheLineButNeverTheHashOrPassword() throws Exception {
    IllegalArgumentException md5 = catchThrowableOfType(IllegalArgumentException.class,
        () -> of(FIXTURES.resolve("htpasswd-md5")));
    Path plain = Files.writeString(dir.resolve("plain"), "# users\n\nann:$7$101$c2FsdA==$aGFzaA==\nbert:hunter2\n");
    IllegalArgumentException plainText = catchThrowableOfType(IllegalArgumentException.class, () -> of(plain));

    assertThat(md5).hasMessageStartingWith("line 1 (user \"frank\"): unsupported password hash ($apr1$)")
        .hasMessageNotContaining(Files.readString(FIXTURES.resolve("htpasswd-md5")).split("\\$")[3]);
    assertThat(plainText).hasMessageStartingWith("line 4 (user \"bert\"): unsupported password hash (plain text?)")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void userDefinedTwiceIsRefused() throws Exception {
    Path twice = Files.writeString(dir.resolve("twice"), Files.readString(FIXTURES.resolve("htpasswd"))
        + Files.readString(FIXTURES.resolve("htpasswd")));

    assertThat(catchThrowableOfType(IllegalArgumentException.class, () -> of(twice)))
        .hasMessage("line 3: user \"dave\" already on line 1");
  }

  @Test
  void mosquittoAndHtpasswdLinesMayBeMixed() throws Exception {
    Path mixed = Files.writeString(dir.resolve("mixed"), Files.readString(FIXTURES.resolve("mosquitto.passwd"))
        + Files.readString(FIXTURES.resolve("htpasswd")));
    PasswordFileAuthenticator auth = of(mixed);

    assertThat(auth.users()).isEqualTo(5);
    assertThat(identity(auth.authenticate(connect("alice", "alice-secret"))).username()).isEqualTo("alice");
    assertThat(identity(auth.authenticate(connect("dave", "dave-secret"))).username()).isEqualTo("dave");
  }

  @Test
  void changedFileIsReloadedOnTheNextPoll() throws Exception {
    Path file = Files.copy(FIXTURES.resolve("mosquitto.passwd"), dir.resolve("passwd"));
    PasswordFileAuthenticator auth = of(file);
    assertThat(refusal(auth.authenticate(connect("dave", "dave-secret"))).reason()).isEqualTo(Reason.BAD_CREDENTIALS);

    // An operator replaces the file (as configuration management does: write aside, then rename).
    Path next = Files.copy(FIXTURES.resolve("htpasswd"), dir.resolve("passwd.new"));
    Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    Outcomes.identity(auth.poll().map(v -> null));

    assertThat(identity(auth.authenticate(connect("dave", "dave-secret"))).username()).isEqualTo("dave");
    assertThat(refusal(auth.authenticate(connect("alice", "alice-secret"))).reason())
        .isEqualTo(Reason.BAD_CREDENTIALS);
  }

  @Test
  void fileEditedInPlaceIsReloadedByTheTimer() throws Exception {
    Path file = Files.copy(FIXTURES.resolve("htpasswd"), dir.resolve("passwd"));
    PasswordFileAuthenticator auth = of(file).watch(Duration.ofMillis(50));
    try {
      // mosquitto_passwd -b appends in place: same inode, new size and modification time.
      Files.writeString(file, Files.readString(FIXTURES.resolve("mosquitto.passwd")),
          java.nio.file.StandardOpenOption.APPEND);

      await().atMost(Duration.ofSeconds(5)).until(() -> auth.users() == 5);
      assertThat(identity(auth.authenticate(connect("alice", "alice-secret"))).username()).isEqualTo("alice");
    } finally {
      auth.close();
    }
  }

  @Test
  void brokenOrMissingFileKeepsThePreviousUsers() throws Exception {
    Path file = Files.copy(FIXTURES.resolve("htpasswd"), dir.resolve("passwd"));
    PasswordFileAuthenticator auth = of(file);

    Files.writeString(file, "dave:not-a-hash\n");
    Outcomes.identity(auth.poll().map(v -> null));
    assertThat(identity(auth.authenticate(connect("dave", "dave-secret"))).username()).isEqualTo("dave");

    Files.delete(file);
    Outcomes.identity(auth.poll().map(v -> null));
    assertThat(identity(auth.authenticate(connect("dave", "dave-secret"))).username()).isEqualTo("dave");

    Files.copy(FIXTURES.resolve("mosquitto.passwd"), file);
    Outcomes.identity(auth.poll().map(v -> null));
    assertThat(auth.users()).isEqualTo(3);
  }
}
