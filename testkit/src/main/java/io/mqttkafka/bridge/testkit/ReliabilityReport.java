package io.mqttkafka.bridge.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * The figures of one fault run, printed and appended as a Markdown table row to
 * {@code target/reliability-results.md} (RELIABILITY.md is filled from there).
 */
public final class ReliabilityReport {

  private static final Path FILE = Path.of("target", "reliability-results.md");

  private ReliabilityReport() {
  }

  /** Scales the short build versions up: {@code -Dreliability.scale=N} (default 1). */
  public static int scale() {
    return Integer.getInteger("reliability.scale", 1);
  }

  public static synchronized void row(String fault, String sent, String acknowledged, String found, long lost,
                                      String duplicated, String recovery, String detail) {
    String row = "| %s | %s | %s | %s | %d | %s | %s | %s | %s |".formatted(fault, sent, acknowledged, found, lost,
        duplicated, recovery, detail, LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")));
    System.out.println("RELIABILITY " + row);
    try {
      Files.createDirectories(FILE.getParent());
      Files.writeString(FILE, row + System.lineSeparator(), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      System.out.println("cannot write " + FILE + ": " + e);
    }
  }

  /** Prints a detail line (counts by status, timings) next to the row. */
  public static void note(String text) {
    System.out.println("RELIABILITY   " + text);
  }
}
