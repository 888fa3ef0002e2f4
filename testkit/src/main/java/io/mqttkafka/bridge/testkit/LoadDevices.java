package io.mqttkafka.bridge.testkit;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntFunction;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * A set of {@link LoadDevice}s sharing one list of bridge endpoints, and the record-by-record check of
 * what they had acknowledged against what is in Kafka.
 */
public final class LoadDevices implements AutoCloseable {

  private final List<Integer> endpoints;
  private final IntFunction<String> hostOf;
  private final long deadlineMillis;
  private final List<LoadDevice> devices = new ArrayList<>();

  /**
   * @param endpoints the bridge MQTT ports on 127.0.0.1; the test may change the list (CopyOnWrite) as
   *                  instances come and go
   * @param maxRun    every device thread ends by then at the latest
   */
  public LoadDevices(List<Integer> endpoints, Duration maxRun) {
    this(endpoints, port -> "127.0.0.1", maxRun);
  }

  /**
   * As {@link #LoadDevices(List, Duration)}, for bridges on other addresses (such as in a
   * {@link NetLab}): {@code hostOf} gives the address of the bridge listening on a port.
   */
  public LoadDevices(List<Integer> endpoints, IntFunction<String> hostOf, Duration maxRun) {
    this.endpoints = endpoints instanceof CopyOnWriteArrayList ? endpoints : new CopyOnWriteArrayList<>(endpoints);
    this.hostOf = hostOf;
    this.deadlineMillis = System.currentTimeMillis() + maxRun.toMillis();
  }

  public List<Integer> endpoints() {
    return endpoints;
  }

  /** Adds (and starts) a device that connects first to endpoint {@code home}. */
  public LoadDevice add(String clientId, LoadDevice.Options options, int home) {
    LoadDevice device = new LoadDevice(clientId, options, endpoints, hostOf, home, deadlineMillis);
    devices.add(device);
    device.start();
    return device;
  }

  public List<LoadDevice> devices() {
    return devices;
  }

  public List<LoadDevice> devices(Predicate<LoadDevice> filter) {
    return devices.stream().filter(filter).toList();
  }

  /** Messages acknowledged so far by all devices (approximate while running). */
  public long acknowledged() {
    long n = 0;
    for (LoadDevice d : devices) {
      for (int i = 0; i < d.sent(); i++) {
        n += d.ackedAt(i) > 0 ? 1 : 0;
      }
    }
    return n;
  }

  /** Acknowledgements in [from, to) epoch millis, over all devices. */
  public long acknowledgedBetween(long from, long to) {
    long n = 0;
    for (LoadDevice d : devices) {
      for (int i = 0; i < d.sent(); i++) {
        long at = d.ackedAt(i);
        n += at >= from && at < to ? 1 : 0;
      }
    }
    return n;
  }

  /** Stops new messages and waits until every device has each message it sent acknowledged. */
  public boolean settle(Duration timeout) {
    devices.forEach(LoadDevice::stopSendingNew);
    long deadline = System.currentTimeMillis() + timeout.toMillis();
    while (System.currentTimeMillis() < deadline) {
      if (devices.stream().allMatch(d -> d.qos() <= 0 || d.settled())) {
        return true;
      }
      sleep(100);
    }
    return false;
  }

  /** Ends every device's thread and connection; their ledgers may be read afterwards. */
  public void stop() {
    devices.forEach(LoadDevice::stopSendingNew);
    for (LoadDevice d : devices) {
      d.close();
    }
  }

  @Override
  public void close() {
    stop();
  }

  /** The outcome of comparing the devices' ledgers with the records of one Kafka topic. */
  public record Tally(int qos, int devices, long sent, long publishes, long acknowledged, long found, long lost,
                      long duplicated, long duplicatesNeverResent, long orderViolations, long phantoms,
                      long wrongRecords, long resent) {

    Tally plus(Tally o) {
      return new Tally(qos == o.qos ? qos : -1, devices + o.devices, sent + o.sent, publishes + o.publishes,
          acknowledged + o.acknowledged, found + o.found, lost + o.lost, duplicated + o.duplicated,
          duplicatesNeverResent + o.duplicatesNeverResent, orderViolations + o.orderViolations,
          phantoms + o.phantoms, wrongRecords + o.wrongRecords, resent + o.resent);
    }

    static Tally empty(int qos) {
      return new Tally(qos, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    @Override
    public String toString() {
      return "QoS %s: %d devices, %d messages sent (%d PUBLISH packets, %d resent), %d acknowledged, %d found in Kafka,"
          .formatted(qos < 0 ? "all" : qos, devices, sent, publishes, resent, acknowledged, found)
          + " %d lost, %d duplicated (%d of never-resent messages), %d order violations, %d phantoms, %d wrong records"
          .formatted(lost, duplicated, duplicatesNeverResent, orderViolations, phantoms, wrongRecords);
    }
  }

  /**
   * Compares each device's ledger with the records in its uplink topic, read record by record
   * (nothing is kept but counters):
   * <ul>
   *   <li>lost: acknowledged (PUBACK/PUBCOMP received) but not in Kafka; must be 0;</li>
   *   <li>duplicated: records beyond the first of a message; allowed only for messages the device
   *       had to resend ({@code duplicatesNeverResent} must be 0);</li>
   *   <li>order: the first records of the messages, in Kafka order, must follow the sequence;</li>
   *   <li>phantoms: records of messages never sent; wrong records: wrong key, partition or headers.</li>
   * </ul>
   * Returns one tally per QoS (index 0..2) and the total (index 3).
   */
  public Tally[] verify(String bootstrap, String topic, Duration timeout) {
    Map<String, Check> checks = new HashMap<>();
    for (LoadDevice device : devices) {
      if (device.qos() >= 0) {
        checks.put(device.clientId(), new Check(device));
      }
    }
    KafkaTopics.forEach(bootstrap, topic, timeout, r -> {
      Check check = checks.get(r.key());
      if (check != null) {
        check.accept(r);
      }
    });
    Tally[] tallies = {Tally.empty(0), Tally.empty(1), Tally.empty(2), Tally.empty(-1)};
    for (Check check : checks.values()) {
      Tally t = check.tally();
      tallies[t.qos()] = tallies[t.qos()].plus(t);
      tallies[3] = tallies[3].plus(t);
    }
    return tallies;
  }

  /** The running comparison of one device's ledger with its records. */
  private static final class Check {
    private final LoadDevice device;
    private final int sent;
    private final int[] copies;
    private long phantoms;
    private long wrong;
    private long orderViolations;
    private int lastFirst = -1;
    private int partition = -1;

    Check(LoadDevice device) {
      this.device = device;
      this.sent = device.sent();
      this.copies = new int[sent];
    }

    void accept(ConsumerRecord<String, byte[]> r) {
      int seq = device.seqOf(r.value());
      if (seq < 0 || seq >= sent) {
        phantoms++;
        return;
      }
      if (partition < 0) {
        partition = r.partition();
      }
      if (r.partition() != partition || !device.topic().equals(header(r, "mqtt.topic"))
          || !Integer.toString(device.qos()).equals(header(r, "mqtt.qos"))
          || !device.clientId().equals(header(r, "mqtt.client.id"))) {
        wrong++;
      }
      if (copies[seq]++ == 0) {
        if (seq < lastFirst) {
          orderViolations++;
        }
        lastFirst = Math.max(lastFirst, seq);
      }
    }

    Tally tally() {
      long acknowledged = 0;
      long found = 0;
      long lost = 0;
      long duplicated = 0;
      long duplicatesNeverResent = 0;
      long publishes = 0;
      long resent = 0;
      for (int seq = 0; seq < sent; seq++) {
        boolean acked = device.ackedAt(seq) > 0;
        acknowledged += acked ? 1 : 0;
        found += copies[seq] > 0 ? 1 : 0;
        lost += acked && copies[seq] == 0 ? 1 : 0;
        duplicated += Math.max(0, copies[seq] - 1);
        duplicatesNeverResent += copies[seq] > 1 && device.attempts(seq) == 1 ? copies[seq] - 1 : 0;
        publishes += device.attempts(seq);
        resent += device.attempts(seq) > 1 ? 1 : 0;
      }
      return new Tally(device.qos(), 1, sent, publishes, acknowledged, found, lost, duplicated,
          duplicatesNeverResent, orderViolations, phantoms, wrong, resent);
    }
  }

  private static String header(ConsumerRecord<String, byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
