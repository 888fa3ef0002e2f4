package io.mqttkafka.bridge.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.mqttkafka.bridge.config.HttpSettings;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class AdminGuardTest {

  private final Logger logger = (Logger) LoggerFactory.getLogger(AdminGuard.class);
  private final ListAppender<ILoggingEvent> events = new ListAppender<>();
  private Path file;
  private AdminGuard guard;

  @BeforeEach
  void setUp(@TempDir Path dir) throws Exception {
    file = Files.writeString(dir.resolve("tokens"), "first\n");
    guard = AdminGuard.create(new HttpSettings.Admin(true, Optional.of(file), Duration.ofSeconds(5), false));
    events.start();
    logger.addAppender(events);
  }

  @AfterEach
  void tearDown() {
    logger.detachAppender(events);
  }

  @Test
  void aFileThatStaysUnreadableIsWarnedOnceNotAtEveryCheck() {
    for (int i = 0; i < 3; i++) {
      guard.reread(file, Future.failedFuture(new NoSuchFileException(file.toString())));
    }
    assertThat(warnings()).hasSize(1);
  }

  @Test
  void aProblemIsWarnedAgainAfterTheFileHeldTokensInBetween() {
    guard.reread(file, Future.failedFuture(new NoSuchFileException(file.toString())));
    guard.reread(file, Future.succeededFuture(Buffer.buffer("first\n"))); // back, unchanged
    guard.reread(file, Future.failedFuture(new NoSuchFileException(file.toString())));
    assertThat(warnings()).hasSize(2);
    assertThat(messages(Level.INFO)).anyMatch(m -> m.contains("holds tokens again"));
  }

  @Test
  void eachDifferentProblemIsWarned() {
    guard.reread(file, Future.failedFuture(new NoSuchFileException(file.toString())));
    guard.reread(file, Future.succeededFuture(Buffer.buffer("# rotated away\n")));
    guard.reread(file, Future.succeededFuture(Buffer.buffer("\n")));
    assertThat(warnings()).hasSize(2);
    assertThat(warnings().get(1)).contains("holds no token");
  }

  @Test
  void aChangedFileIsLoggedOnceAndAnUnchangedOneNotAtAll() {
    guard.reread(file, Future.succeededFuture(Buffer.buffer("first\n")));
    guard.reread(file, Future.succeededFuture(Buffer.buffer("first\nsecond\n")));
    guard.reread(file, Future.succeededFuture(Buffer.buffer("first\nsecond\n")));
    assertThat(messages(Level.INFO)).containsExactly("Admin token file " + file + " changed: 2 token(s)");
    assertThat(warnings()).isEmpty();
  }

  private List<String> warnings() {
    return messages(Level.WARN);
  }

  private List<String> messages(Level level) {
    return events.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
  }
}
