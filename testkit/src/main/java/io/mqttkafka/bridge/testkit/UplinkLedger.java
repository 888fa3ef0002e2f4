package io.mqttkafka.bridge.testkit;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;

/**
 * What happened to each numbered uplink message of one {@link LoadDevice}: when it was first sent,
 * how often, when its PUBACK (QoS 1) or PUBCOMP (QoS 2) came and through which endpoint; which
 * messages are in flight (their Paho tokens, oldest first) and which wait to be resent, oldest
 * first, because a connection went before they were acknowledged. QoS 0 messages are never
 * acknowledged nor resent.
 *
 * <p>Written by the device's thread only. {@link #sent()} may be read from any thread; the per-message
 * values are meant to be read once the device stopped.
 */
final class UplinkLedger {

  private final int qos;
  private final long[] firstSentAt;
  private final long[] ackedAt;
  private final int[] attempts;
  /** Endpoint (port) each message was acknowledged through. */
  private final int[] ackedVia;
  private final TreeSet<Integer> resend = new TreeSet<>();
  private final LinkedHashMap<Integer, IMqttDeliveryToken> inFlight = new LinkedHashMap<>();
  private volatile int next;

  /** @param capacity the most sequence numbers the device will use */
  UplinkLedger(int qos, int capacity) {
    this.qos = qos;
    this.firstSentAt = new long[capacity];
    this.ackedAt = new long[capacity];
    this.attempts = new int[capacity];
    this.ackedVia = new int[capacity];
  }

  /** Messages sent at least once: sequence numbers 0 .. sent()-1; the next new one is {@code sent()}. */
  int sent() {
    return next;
  }

  int attempts(int seq) {
    return attempts[seq];
  }

  long ackedAt(int seq) {
    return ackedAt[seq];
  }

  long firstSentAt(int seq) {
    return firstSentAt[seq];
  }

  int ackedVia(int seq) {
    return ackedVia[seq];
  }

  /** The first acknowledgement at or after {@code epochMillis}, or 0. */
  long firstAckAtOrAfter(long epochMillis) {
    long first = 0;
    for (int i = 0; i < next; i++) {
      long at = ackedAt[i];
      if (at >= epochMillis && (first == 0 || at < first)) {
        first = at;
      }
    }
    return first;
  }

  int inFlight() {
    return inFlight.size();
  }

  /** True when nothing is in flight and nothing waits to be resent. */
  boolean idle() {
    return inFlight.isEmpty() && resend.isEmpty();
  }

  /** The oldest message waiting to be resent, or -1 when none does. */
  int oldestToResend() {
    return resend.isEmpty() ? -1 : resend.first();
  }

  /** Records that {@code seq} (the next new one, or one to resend) was handed to the client. */
  void published(int seq, IMqttDeliveryToken token) {
    if (seq == next) {
      firstSentAt[seq] = System.currentTimeMillis();
      next = seq + 1;
    } else {
      resend.remove(seq);
    }
    attempts[seq]++;
    inFlight.put(seq, token);
  }

  /**
   * Takes in the completed tokens, oldest first, an acknowledgement as having come through
   * {@code port}; true when one failed (the connection is gone).
   */
  boolean harvest(int port) {
    boolean failed = false;
    Iterator<Map.Entry<Integer, IMqttDeliveryToken>> it = inFlight.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Integer, IMqttDeliveryToken> entry = it.next();
      IMqttDeliveryToken token = entry.getValue();
      if (!token.isComplete()) {
        continue;
      }
      it.remove();
      int seq = entry.getKey();
      if (token.getException() == null) {
        if (qos > 0 && ackedAt[seq] == 0) {
          ackedAt[seq] = System.currentTimeMillis();
          ackedVia[seq] = port;
        }
      } else {
        failed = true;
        if (qos > 0 && ackedAt[seq] == 0) {
          resend.add(seq);
        }
      }
    }
    return failed;
  }

  /**
   * The connection went: takes in the acknowledgements that completed meanwhile (the endpoint they
   * came through no longer known: -1), and queues every unacknowledged QoS 1/2 message in flight
   * for a resend.
   */
  void connectionLost() {
    harvest(-1);
    for (int seq : inFlight.keySet()) {
      if (qos > 0 && ackedAt[seq] == 0) {
        resend.add(seq);
      }
    }
    inFlight.clear();
  }
}
