package io.mqttkafka.bridge.config;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as configured: {@code 250ms}, {@code 10s}, {@code 2m}, {@code 1h}, {@code 30d}; a plain
 * number is milliseconds.
 */
public final class Durations {

  // At most 15 digits: even 10^15 hours fits a Duration, so no overflow handling is needed.
  private static final Pattern FORMAT = Pattern.compile("(\\d{1,15})\\s*(ms|s|m|h|d)?");
  private static final Map<String, ChronoUnit> UNITS =
      Map.of("ms", ChronoUnit.MILLIS, "s", ChronoUnit.SECONDS, "m", ChronoUnit.MINUTES, "h", ChronoUnit.HOURS,
          "d", ChronoUnit.DAYS);

  private Durations() {}

  /**
   * Parses {@code text} (surrounding blanks and letter case ignored).
   *
   * @throws IllegalArgumentException if it is not a whole number with an optional unit ms, s, m, h or d
   */
  public static Duration parse(String text) {
    Matcher m = FORMAT.matcher(text.strip().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException("not a duration such as 250ms, 10s, 2m, 1h or 30d: \"" + text + "\"");
    }
    ChronoUnit unit = m.group(2) == null ? ChronoUnit.MILLIS : UNITS.get(m.group(2));
    return Duration.of(Long.parseLong(m.group(1)), unit);
  }
}
