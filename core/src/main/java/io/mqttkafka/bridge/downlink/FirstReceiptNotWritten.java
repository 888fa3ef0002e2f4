package io.mqttkafka.bridge.downlink;

import io.mqttkafka.bridge.records.Receipt.Status;
import java.util.Locale;

/**
 * A downlink message's first receipt that Kafka did not take (the producer's buffer full, Kafka away
 * past {@code delivery.timeout.ms}). The device's instance hands it back to the router, which writes
 * it itself and keeps the record's offset uncommitted until it is written.
 */
public final class FirstReceiptNotWritten extends RuntimeException {

  private final Status status;
  private final String detail;

  public FirstReceiptNotWritten(Status status, String detail, Throwable cause) {
    super("receipt " + status.name().toLowerCase(Locale.ROOT) + " not written: " + cause.getMessage(), cause,
        false, false);
    this.status = status;
    this.detail = detail;
  }

  public Status status() {
    return status;
  }

  /** The receipt's detail, or null. */
  public String detail() {
    return detail;
  }
}
