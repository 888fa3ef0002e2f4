package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.util.LogThrottle;
import java.time.Duration;
import org.slf4j.Logger;

/**
 * How uplink failures are logged: a device's refused topic at DEBUG; a failure of Kafka or of the
 * bridge's Kafka permissions at WARN, at most once per 10 s for the whole bridge (not one per device),
 * the rest at DEBUG. Thread-safe.
 */
final class UplinkFailures {

  private static final LogThrottle WARNINGS = new LogThrottle(Duration.ofSeconds(10));

  private UplinkFailures() {
  }

  static void log(Logger log, String clientId, Throwable failure) {
    if (ReasonCodes.isDeviceFault(failure)) {
      log.debug("[client-id: {}] uplink refused: {}", clientId, failure.getMessage());
      return;
    }
    long suppressed = WARNINGS.warn(System.nanoTime());
    if (suppressed >= 0) {
      log.warn("[client-id: {}] uplink to Kafka failed: {}{}", clientId, failure.toString(),
          LogThrottle.since(suppressed));
    } else {
      log.debug("[client-id: {}] uplink to Kafka failed: {}", clientId, failure.toString());
    }
  }
}
