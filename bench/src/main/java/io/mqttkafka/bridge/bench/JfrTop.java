package io.mqttkafka.bridge.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * {@code bench jfr-top FILE}: the hot methods of a Java Flight Recording, from its execution
 * samples: self time (the method on top of the stack), inclusive time (anywhere on the stack), and
 * samples per thread group. Enough to say what limited a figure without a GUI.
 */
final class JfrTop {

  static final String USAGE = """
        bench jfr-top FILE.jfr [--top N] [--thread PREFIX] [--callers METHOD]
                                     hot methods of a flight recording; --callers: who calls METHOD
                                     (a substring of Class.method) when it is on top of the stack
      """;

  private JfrTop() {
  }

  static void run(Args args) throws IOException {
    int top = args.integer("top", 25);
    String threadPrefix = args.string("thread", "");
    String callersOf = args.string("callers", null);
    List<String> files = args.positional();
    args.checkAllUsed();
    if (files.size() != 1) {
      throw new Args.UsageException("jfr-top needs one .jfr file");
    }
    Map<String, Long> self = new HashMap<>();
    Map<String, Long> inclusive = new HashMap<>();
    Map<String, Long> threads = new HashMap<>();
    Map<String, Long> callers = new HashMap<>();
    long samples = 0;
    try (RecordingFile recording = new RecordingFile(Path.of(files.get(0)))) {
      while (recording.hasMoreEvents()) {
        RecordedEvent event = recording.readEvent();
        if (!event.getEventType().getName().equals("jdk.ExecutionSample")) {
          continue;
        }
        String thread = event.getThread("sampledThread") == null ? "?"
            : String.valueOf(event.getThread("sampledThread").getJavaName());
        if (!thread.startsWith(threadPrefix)) {
          continue;
        }
        RecordedStackTrace stack = event.getStackTrace();
        if (stack == null || stack.getFrames().isEmpty()) {
          continue;
        }
        samples++;
        threads.merge(thread.replaceAll("\\d+", "N"), 1L, Long::sum);
        List<RecordedFrame> frames = stack.getFrames();
        self.merge(name(frames.get(0)), 1L, Long::sum);
        if (callersOf != null && name(frames.get(0)).contains(callersOf)) {
          StringBuilder chain = new StringBuilder();
          for (int i = 1; i < Math.min(frames.size(), 8); i++) {
            chain.append(i == 1 ? "" : " <- ").append(name(frames.get(i)));
          }
          callers.merge(chain.toString(), 1L, Long::sum);
        }
        Set<String> seen = new HashSet<>();
        for (RecordedFrame frame : frames) {
          String n = name(frame);
          if (seen.add(n)) {
            inclusive.merge(n, 1L, Long::sum);
          }
        }
      }
    }
    System.out.printf("%,d execution samples%s%n", samples, threadPrefix.isEmpty() ? "" : " on threads " + threadPrefix + "*");
    print("threads", threads, samples, top);
    print("self (top of stack)", self, samples, top);
    print("inclusive (anywhere on the stack)", inclusive, samples, top);
    if (callersOf != null) {
      print("callers of " + callersOf + " (when on top of the stack)", callers, samples, top);
    }
  }

  private static String name(RecordedFrame frame) {
    return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
  }

  private static void print(String title, Map<String, Long> counts, long total, int top) {
    System.out.println();
    System.out.println(title + ":");
    Map<String, Long> sorted = new LinkedHashMap<>();
    counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
        .forEach(e -> sorted.put(e.getKey(), e.getValue()));
    sorted.forEach((k, v) -> System.out.printf("  %5.1f%%  %s%n", 100.0 * v / Math.max(1, total), k));
  }
}
