package io.mqttkafka.bridge.bus;

/**
 * Every event-bus address and header the bridge uses. One address per instance, never one per
 * client: the router sends a downlink message to the instance that holds the device's connection.
 * A deliver is a {@code DownlinkMessage} body (its own codec, no headers); the other actions carry no
 * body and these headers.
 */
public final class Addresses {

  /** Header: what the instance should do; one of the {@code ACTION_*} values. */
  public static final String ACTION = "action";
  /**
   * Answer once the first receipt of the downlink message named by {@link #PARTITION} and
   * {@link #OFFSET} is in Kafka: asked after a deliver was answered {@link #OUTCOME_PENDING}.
   */
  public static final String ACTION_AWAIT = "await";
  /** Close the named connection: a newer connection of the same client exists elsewhere. */
  public static final String ACTION_TAKEOVER = "takeover";
  /** Write the named connection's presence record again (the router saw a stale one). */
  public static final String ACTION_REFRESH = "refresh";

  public static final String CLIENT_ID = "client-id";
  public static final String CONNECTION_ID = "connection-id";
  public static final String PARTITION = "partition";
  public static final String OFFSET = "offset";

  /** Reply header to a deliver or an await: {@link #OUTCOME_PENDING}, or absent when the receipt is in Kafka. */
  public static final String OUTCOME = "outcome";
  /** The message's first receipt is not in Kafka yet (it waits behind the device's in-flight window, or for Kafka). */
  public static final String OUTCOME_PENDING = "pending";

  private static final String INSTANCE_PREFIX = "mqtt.bridge.instance.";

  private Addresses() {
  }

  public static String instance(String instanceId) {
    return INSTANCE_PREFIX + instanceId;
  }
}
