package io.mqttkafka.bridge.bench;

import java.util.Map;

/**
 * The bridge's heap as its {@code /metrics} reports it ({@code jvm_memory_used_bytes{area="heap"}},
 * summed over the pools), after a full GC in the bridge when its pid is known, so that the figure
 * counts live objects only; plus its resident set size from {@code /proc} when the pid is known.
 */
final class HeapProbe {

  /** One reading; {@code afterGc} says whether a full GC ran first. */
  record Reading(double heapBytes, double rssBytes, boolean afterGc) {
  }

  private final Common common;

  HeapProbe(Common common) {
    this.common = common;
  }

  Reading read() throws InterruptedException {
    boolean gc = common.bridgePid() > 0 && ProcessStats.fullGc(common.bridgePid());
    if (gc) {
      Thread.sleep(200);
    }
    double heap = common.bridge().value("jvm_memory_used_bytes", "area=\"heap\"");
    double rss = common.bridgePid() > 0 ? ProcessStats.rssBytes(common.bridgePid()) : Double.NaN;
    return new Reading(heap, rss, gc);
  }

  /** Heap and RSS growth from {@code before} to {@code after}, in total and per item. */
  static void describe(Reading before, Reading after, long items, String perWhat, Map<String, Object> out) {
    out.put("method", after.afterGc() ? "jvm_memory_used_bytes{area=heap} after a full GC (jcmd GC.run)"
        : "jvm_memory_used_bytes{area=heap} WITHOUT a GC (no --bridge-pid): includes garbage, rough");
    out.put("heap_before_bytes", Summary.value(before.heapBytes()));
    out.put("heap_after_bytes", Summary.value(after.heapBytes()));
    out.put("heap_bytes_per_" + perWhat, Summary.value((after.heapBytes() - before.heapBytes()) / Math.max(1, items)));
    out.put("rss_before_bytes", Summary.value(before.rssBytes()));
    out.put("rss_after_bytes", Summary.value(after.rssBytes()));
    out.put("rss_bytes_per_" + perWhat, Summary.value((after.rssBytes() - before.rssBytes()) / Math.max(1, items)));
  }
}
