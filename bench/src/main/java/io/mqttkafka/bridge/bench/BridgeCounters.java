package io.mqttkafka.bridge.bench;

import java.util.Map;

/**
 * What the bridge itself counted during a run: the change of its outcome counters between two
 * scrapes of {@code /metrics}. Loss the bench sees should show up here with its reason (for
 * example QoS 0 dropped as {@code overloaded}).
 */
final class BridgeCounters {

  private static final String[][] COUNTERS = {
      {"uplink_produced", "mqtt_bridge_uplink_messages_total", "outcome=\"produced\""},
      {"uplink_overloaded", "mqtt_bridge_uplink_messages_total", "outcome=\"overloaded\""},
      {"uplink_failed", "mqtt_bridge_uplink_messages_total", "outcome=\"failed\""},
      {"uplink_rejected", "mqtt_bridge_uplink_messages_total", "outcome=\"rejected\""},
      {"uplink_dropped", "mqtt_bridge_uplink_dropped_total", ""},
      {"downlink_delivered", "mqtt_bridge_downlink_messages_total", "outcome=\"delivered\""},
      {"downlink_acked", "mqtt_bridge_downlink_messages_total", "outcome=\"acked\""},
      {"downlink_offline", "mqtt_bridge_downlink_messages_total", "outcome=\"offline\""},
      {"downlink_not_subscribed", "mqtt_bridge_downlink_messages_total", "outcome=\"not_subscribed\""},
      {"downlink_rejected", "mqtt_bridge_downlink_messages_total", "outcome=\"rejected\""},
      {"downlink_timeout", "mqtt_bridge_downlink_messages_total", "outcome=\"timeout\""},
      {"connections_opened", "mqtt_bridge_connections_opened_total", ""},
      {"connections_closed", "mqtt_bridge_connections_closed_total", ""},
      {"connections_refused", "mqtt_bridge_connections_refused_total", ""},
      {"protocol_errors", "mqtt_bridge_protocol_errors_total", ""},
  };

  private BridgeCounters() {
  }

  /** Puts each counter that changed; notes when the bridge's /metrics could not be read. */
  static void describe(String before, String after, Map<String, Object> out) {
    if (before == null || after == null) {
      out.put("note", "bridge /metrics not reachable (--metrics-url)");
      return;
    }
    for (String[] c : COUNTERS) {
      String[] labels = c[2].isEmpty() ? new String[0] : new String[] {c[2]};
      double a = BridgeEndpoint.sample(after, c[1], labels);
      double b = BridgeEndpoint.sample(before, c[1], labels);
      double delta = (Double.isNaN(a) ? 0 : a) - (Double.isNaN(b) ? 0 : b);
      if (delta != 0) {
        out.put(c[0], (long) delta);
      }
    }
  }
}
