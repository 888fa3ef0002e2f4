package io.mqttkafka.bridge.records;

import java.util.Locale;

/** What happens to a downlink record while its client cannot take it: header {@link HeaderNames#OFFLINE}. */
public enum OfflinePolicy {

  /** Receipt {@code offline} (or {@code not_subscribed}); the record is gone. */
  DROP,
  /** Kept, in order, until the client has a matching subscription, or it expires. */
  QUEUE,
  /** Like {@link #QUEUE}, keeping only the newest record per client and MQTT topic. */
  LATEST;

  /** The header value of this policy. */
  public String header() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The policy a header value names, or null when it names none (the record is rejected). */
  public static OfflinePolicy parse(String header) {
    return switch (header) {
      case "drop" -> DROP;
      case "queue" -> QUEUE;
      case "latest" -> LATEST;
      default -> null;
    };
  }

  /** The policy of a record without the header: queue for a client with a persistent session. */
  public static OfflinePolicy defaultFor(boolean persistentSession) {
    return persistentSession ? QUEUE : DROP;
  }

  /** True unless the record is dropped. */
  public boolean keeps() {
    return this != DROP;
  }
}
