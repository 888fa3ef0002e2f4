package io.mqttkafka.bridge.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.testkit.Metrics;
import io.mqttkafka.bridge.testsupport.TestBridge;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** /metrics carries the JVM and process meters that capacity planning and the benchmark tool read. */
class JvmMetricsIT {

  private static Bridge bridge;

  @BeforeAll
  static void start() throws Exception {
    bridge = TestBridge.start("");
  }

  @AfterAll
  static void stop() {
    bridge.stop();
  }

  @Test
  void heapCpuTimeGcAndFileDescriptorsAreExported() throws Exception {
    String scrape = Metrics.scrape(bridge.httpPort());
    assertThat(Metrics.value(scrape, "jvm_memory_used_bytes", "area=\"heap\"")).isPositive();
    assertThat(Metrics.value(scrape, "jvm_memory_max_bytes", "area=\"heap\"")).isPositive();
    assertThat(scrape).containsPattern("(?m)^process_cpu_time_ns_total \\d");
    assertThat(scrape).containsPattern("(?m)^process_files_open_files \\d");
    assertThat(scrape).contains("jvm_threads_live_threads");
    assertThat(scrape).contains("jvm_gc_memory_allocated_bytes_total");
  }
}
