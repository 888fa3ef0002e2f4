package io.mqttkafka.bridge;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import io.mqttkafka.bridge.config.LoggingSettings;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code logging.*}: the root level, per-logger levels and, with {@code logging.json}, one
 * JSON object per line on stdout instead of the plain layout of logback.xml.
 */
public final class LogSetup {

  private LogSetup() {
  }

  public static void configure(LoggingSettings logging) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    if (logging.json()) {
      JsonEncoder encoder = new JsonEncoder();
      encoder.setContext(context);
      // The message as the plain layout prints it, not logback's template plus arguments.
      encoder.setWithFormattedMessage(true);
      encoder.setWithMessage(false);
      encoder.setWithArguments(false);
      encoder.setWithContext(false);
      encoder.setWithSequenceNumber(false);
      encoder.setWithNanoseconds(false);
      encoder.start();
      ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
      appender.setContext(context);
      appender.setName("json");
      appender.setEncoder(encoder);
      appender.start();
      root.detachAndStopAllAppenders();
      root.addAppender(appender);
    }
    root.setLevel(Level.toLevel(logging.level(), Level.INFO));
    for (Map.Entry<String, String> entry : logging.levels().entrySet()) {
      context.getLogger(entry.getKey()).setLevel(Level.toLevel(entry.getValue(), Level.INFO));
    }
  }

  /**
   * Applies changed levels while the bridge runs (a reload): the root level, the per-logger levels, and
   * a logger {@code before} named that {@code after} does not goes back to inheriting its level.
   * {@code logging.json} is not changed.
   */
  public static void levels(LoggingSettings before, LoggingSettings after) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    for (String name : before.levels().keySet()) {
      if (!after.levels().containsKey(name)) {
        context.getLogger(name).setLevel(null);
      }
    }
    context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.toLevel(after.level(), Level.INFO));
    for (Map.Entry<String, String> entry : after.levels().entrySet()) {
      context.getLogger(entry.getKey()).setLevel(Level.toLevel(entry.getValue(), Level.INFO));
    }
  }

  public static void flush() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.stop();
    }
  }
}
