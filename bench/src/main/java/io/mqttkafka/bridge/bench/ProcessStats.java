package io.mqttkafka.bridge.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * CPU time, resident memory and per-thread CPU of a process on this machine, read from Linux's
 * {@code /proc}; and a full GC in it through {@code jcmd}, so that heap figures count live objects
 * only. Every method returns NaN (or an empty map) where the information is not available.
 */
final class ProcessStats {

  private static final long CLOCK_TICKS = clockTicks();

  private ProcessStats() {
  }

  /** User plus system CPU time of the whole process, in nanoseconds; NaN if unknown. */
  static double cpuNanos(long pid) {
    if (pid == ProcessHandle.current().pid()) {
      return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
          .getProcessCpuTime();
    }
    String[] f = statFields(Path.of("/proc", Long.toString(pid), "stat"));
    return f == null ? Double.NaN : ticksToNanos(f);
  }

  /**
   * CPU time per thread group in nanoseconds: thread names (as the kernel keeps them, 15 chars)
   * with digit runs replaced by {@code N}, so the two event loops add up as one group.
   */
  static Map<String, Double> threadCpuNanos(long pid) {
    Map<String, Double> groups = new HashMap<>();
    Path tasks = Path.of("/proc", Long.toString(pid), "task");
    try (Stream<Path> list = Files.list(tasks)) {
      list.forEach(task -> {
        String[] f = statFields(task.resolve("stat"));
        if (f != null) {
          String group = f[0].replaceAll("\\d+", "N");
          groups.merge(group, ticksToNanos(f), Double::sum);
        }
      });
    } catch (IOException | RuntimeException e) {
      return Map.of();
    }
    return groups;
  }

  /** Resident set size in bytes (VmRSS); NaN if unknown. */
  static double rssBytes(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Double.parseDouble(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
    return Double.NaN;
  }

  /** Runs a full GC in the process ({@code jcmd <pid> GC.run}); false if that failed. */
  static boolean fullGc(long pid) {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    String command = Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd";
    try {
      Process p = new ProcessBuilder(command, Long.toString(pid), "GC.run").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Fields of a stat file: [0] the name, then the fields after it (state first). */
  private static String[] statFields(Path stat) {
    try {
      String s = Files.readString(stat, StandardCharsets.US_ASCII);
      int open = s.indexOf('(');
      int close = s.lastIndexOf(')');
      String[] rest = s.substring(close + 2).trim().split(" ");
      String[] out = new String[rest.length + 1];
      out[0] = s.substring(open + 1, close);
      System.arraycopy(rest, 0, out, 1, rest.length);
      return out;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** utime and stime are fields 14 and 15 of stat; here indexes 12 and 13 (the name is [0], state [1]). */
  private static double ticksToNanos(String[] f) {
    long ticks = Long.parseLong(f[12]) + Long.parseLong(f[13]);
    return ticks * (1e9 / CLOCK_TICKS);
  }

  private static long clockTicks() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
      p.waitFor(5, TimeUnit.SECONDS);
      return Long.parseLong(out);
    } catch (IOException | RuntimeException e) {
      return 100;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 100;
    }
  }
}
