package io.mqttkafka.bridge.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A JVM in its own process, for faults that must be real (SIGKILL). Its output goes to a log file
 * under {@code target/reliability-logs}. It cannot outlive the tests: it runs under
 * {@code timeout -s KILL}, and a shutdown hook of the test JVM kills what is left.
 */
public final class ChildProcess {

  private static final Path LOG_DIR = Path.of("target", "reliability-logs");
  private static final Set<ChildProcess> RUNNING = ConcurrentHashMap.newKeySet();
  private static final AtomicInteger STARTED = new AtomicInteger();
  /** The longest any child may live, even when the test JVM is killed and its hook never runs. */
  private static final long MAX_LIFETIME_SECONDS = 30 * 60;

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(ChildProcess::kill), "child-reaper"));
  }

  private final String name;
  private final Process wrapper;
  private final ProcessHandle jvm;
  private final Path log;
  private final List<String> lines = new ArrayList<>();
  private final Thread pump;

  private ChildProcess(String name, Process wrapper, ProcessHandle jvm, Path log, Thread pump) {
    this.name = name;
    this.wrapper = wrapper;
    this.jvm = jvm;
    this.log = log;
    this.pump = pump;
  }

  /** Starts {@code java <jvmArgs>}; the environment gets {@code env} and loses every MQTT_BRIDGE_* it had. */
  public static ChildProcess start(String name, List<String> jvmArgs, Map<String, String> env) {
    return start(name, List.of(), jvmArgs, env);
  }

  /**
   * As {@link #start(String, List, Map)}, with {@code java} run by {@code launcher}: a command that
   * replaces itself with the JVM (exec), such as {@code ip netns exec NAMESPACE} (see {@link NetLab}),
   * so that the JVM is still the direct child of {@code timeout} and SIGKILL reaches it.
   */
  public static ChildProcess start(String name, List<String> launcher, List<String> jvmArgs, Map<String, String> env) {
    List<String> command = new ArrayList<>(List.of("timeout", "-s", "KILL", Long.toString(MAX_LIFETIME_SECONDS)));
    command.addAll(launcher);
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmArgs);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().keySet().removeIf(k -> k.startsWith("MQTT_BRIDGE_"));
    builder.environment().putAll(env);
    try {
      Files.createDirectories(LOG_DIR);
      Path log = LOG_DIR.resolve(String.format("%03d-%s.log", STARTED.incrementAndGet(), name));
      Process wrapper = builder.start();
      ProcessHandle jvm = awaitChild(wrapper);
      ChildProcess[] self = new ChildProcess[1];
      Thread pump = new Thread(() -> self[0].pump(), "pump-" + name);
      pump.setDaemon(true);
      self[0] = new ChildProcess(name, wrapper, jvm, log, pump);
      RUNNING.add(self[0]);
      pump.start();
      return self[0];
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name, e);
    }
  }

  private static ProcessHandle awaitChild(Process wrapper) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      Optional<ProcessHandle> child = wrapper.toHandle().children().findFirst();
      if (child.isPresent()) {
        return child.get();
      }
      if (!wrapper.isAlive()) {
        break;
      }
      sleep(10);
    }
    wrapper.destroyForcibly();
    throw new IllegalStateException("the JVM under timeout(1) did not start");
  }

  private void pump() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(wrapper.getInputStream(), StandardCharsets.UTF_8));
         PrintWriter out = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true)) {
      String line;
      while ((line = in.readLine()) != null) {
        out.println(line);
        synchronized (lines) {
          lines.add(line);
          lines.notifyAll();
        }
      }
    } catch (IOException e) {
      // the process is gone
    } finally {
      synchronized (lines) {
        lines.notifyAll();
      }
    }
  }

  /** Waits for the first output line that matches, or fails with the output so far. */
  public String awaitLine(Predicate<String> match, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    int seen = 0;
    synchronized (lines) {
      while (true) {
        for (; seen < lines.size(); seen++) {
          if (match.test(lines.get(seen))) {
            return lines.get(seen);
          }
        }
        long left = deadline - System.currentTimeMillis();
        if (left <= 0 || (!jvm.isAlive() && !pump.isAlive())) {
          throw new IllegalStateException(name + " did not start (" + (jvm.isAlive() ? "timeout" : "exited")
              + "); its output is in " + log.toAbsolutePath() + ":\n" + String.join("\n",
              lines.subList(Math.max(0, lines.size() - 40), lines.size())));
        }
        try {
          lines.wait(Math.min(left, 200));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted", e);
        }
      }
    }
  }

  /** The process id of the JVM itself (not of the timeout wrapper). */
  public long pid() {
    return jvm.pid();
  }

  public boolean alive() {
    return jvm.isAlive();
  }

  /** SIGKILL to the JVM, and waits until it is gone. */
  public void kill() {
    jvm.destroyForcibly();
    await(10);
  }

  /** SIGTERM to the JVM; returns its exit status, or -1 when it did not exit in time (then killed). */
  public int terminate(long timeoutSeconds) {
    jvm.destroy();
    if (!await(timeoutSeconds)) {
      kill();
      return -1;
    }
    return wrapper.exitValue();
  }

  private boolean await(long seconds) {
    try {
      boolean exited = wrapper.waitFor(seconds, TimeUnit.SECONDS);
      if (exited) {
        RUNNING.remove(this);
        pump.join(2_000);
      }
      return exited;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  public Path log() {
    return log;
  }

  public String name() {
    return name;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
