package io.mqttkafka.bridge.testkit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/**
 * The WARN and ERROR events of every logger while installed (the bridge runs in the test JVM), each
 * as "LEVEL logger: message" plus its stack trace; the first 2,000 are kept.
 */
public final class WarningLog extends AppenderBase<ILoggingEvent> {

  private final ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
  private final AtomicInteger count = new AtomicInteger();

  public void install() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    setContext(context);
    setName("test-warnings");
    start();
    context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(this);
  }

  public void uninstall() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(this);
    stop();
  }

  @Override
  protected void append(ILoggingEvent event) {
    if (event.getLevel().isGreaterOrEqual(Level.WARN) && count.incrementAndGet() <= 2_000) {
      events.add(event.getLevel() + " " + event.getLoggerName() + ": " + event.getFormattedMessage()
          + (event.getThrowableProxy() == null ? "" : "\n" + ThrowableProxyUtil.asString(event.getThrowableProxy())));
    }
  }

  /** Up to 5 distinct ERROR events of loggers under the given prefixes (first lines of each). */
  public List<String> errorsFrom(String... loggerPrefixes) {
    return summary(events.stream().filter(e -> Arrays.stream(loggerPrefixes).anyMatch(p -> e.startsWith("ERROR " + p)))
        .toList());
  }

  /** Up to 5 distinct WARN or ERROR events that contain the fragment (first lines of each). */
  public List<String> matching(String fragment) {
    return summary(events.stream().filter(e -> e.contains(fragment)).toList());
  }

  private static List<String> summary(List<String> matches) {
    return matches.stream().map(e -> e.lines().limit(6).collect(Collectors.joining("\n"))).distinct().limit(5).toList();
  }
}
