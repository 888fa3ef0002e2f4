package io.mqttkafka.bridge.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * A small network of Linux network namespaces for faults that hang instead of failing: packets
 * dropped without a reset (a black hole), a partition between two hosts, random packet loss. Needs
 * root, iproute2 ({@code ip}) and iptables; no netem.
 *
 * <p>The layout: a hub namespace holds a Linux bridge; every node ({@link #create}'s names) is a
 * namespace with one veth to that bridge and one address in a private /24 ({@code 10.213.N.0/24}); the
 * test JVM reaches them through one more veth from the initial namespace, address {@code .1}
 * ({@link #hostAddress()}). A process runs on a node through {@link Node#launcher()}
 * ({@code ip netns exec}, see {@link ChildProcess#start(String, List, List, Map)}). Every iptables rule
 * is set inside a node's namespace, never in the initial one: the machine's own firewall is not touched.
 *
 * <p>Always undone: {@link Fault#heal()} (or its deadline, whichever comes first) removes a fault's rules;
 * {@link #close()} deletes the namespaces and the veth (also from a shutdown hook); a watchdog process
 * started with the lab deletes them once the test JVM is gone, even after SIGKILL, and at the latest
 * after {@link #MAX_LIFETIME_SECONDS}; and every new lab first deletes what labs of dead JVMs left.
 * Names start with {@link #PREFIX}, followed by the owning JVM's process id.
 */
public final class NetLab implements AutoCloseable {

  /** Every namespace and link of a lab starts with this, then the owning JVM's pid. */
  public static final String PREFIX = "mkbnf";
  /** {@code -Dnetfaults.required=true}: a machine that cannot run these tests fails them instead of skipping. */
  public static final String REQUIRED_PROPERTY = "netfaults.required";
  private static final long MAX_LIFETIME_SECONDS = 30 * 60;
  private static final Pattern OWNED = Pattern.compile("^" + PREFIX + "(\\d+)-\\d+");
  private static final AtomicInteger LABS = new AtomicInteger();
  private static final ScheduledExecutorService TIMERS = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "netlab-heal");
    t.setDaemon(true);
    return t;
  });

  /** One host of the lab: a namespace and its address. */
  public record Node(String name, String namespace, String address) {
    /** The command prefix that runs a program in this node's namespace. */
    public List<String> launcher() {
      return List.of("ip", "netns", "exec", namespace);
    }
  }

  private final String id;
  private final String subnet;
  private final String hub;
  private final Map<String, Node> nodes = new LinkedHashMap<>();
  private final Set<Fault> faults = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Thread hook;

  private NetLab(String id, String subnet) {
    this.id = id;
    this.subnet = subnet;
    this.hub = id + "-hub";
    this.hook = new Thread(this::close, "netlab-close-" + id);
  }

  /** Why this machine cannot build a lab (not root, a tool missing), or null when it can. */
  public static String unavailable() {
    Result uid = run(List.of("id", "-u"));
    if (!"0".equals(uid.output().strip())) {
      return "network fault tests need root (network namespaces and iptables); running as uid "
          + uid.output().strip();
    }
    for (List<String> probe : List.of(List.of("ip", "-V"), List.of("iptables", "--version"), List.of("setsid",
        "--version"))) {
      Result r = run(probe);
      if (r.status() != 0) {
        return "network fault tests need " + probe.get(0) + " (iproute2, iptables, util-linux): " + r.output().strip();
      }
    }
    return null;
  }

  /**
   * Skips the calling test (a JUnit assumption) when {@link #unavailable()}, with the reason; fails it
   * instead when {@code -Dnetfaults.required=true}.
   */
  public static void assumeAvailable() {
    String reason = unavailable();
    if (reason != null && Boolean.getBoolean(REQUIRED_PROPERTY)) {
      throw new IllegalStateException(reason + " (and -D" + REQUIRED_PROPERTY + "=true)");
    }
    Assumptions.assumeTrue(reason == null, () -> reason + "; skipped (-D" + REQUIRED_PROPERTY
        + "=true makes it fail instead)");
  }

  /** Builds a lab with one node per name (addresses .2, .3, ... in order). */
  public static NetLab create(String... nodeNames) {
    removeStale();
    long pid = ProcessHandle.current().pid();
    String id = PREFIX + pid + "-" + LABS.incrementAndGet() % 100;
    NetLab lab = new NetLab(id, freeSubnet(pid));
    Runtime.getRuntime().addShutdownHook(lab.hook);
    try {
      lab.build(nodeNames);
      lab.startWatchdog(pid, nodeNames);
    } catch (RuntimeException e) {
      lab.close();
      throw e;
    }
    return lab;
  }

  public Node node(String name) {
    Node node = nodes.get(name);
    if (node == null) {
      throw new IllegalArgumentException("no node " + name + " in " + nodes.keySet());
    }
    return node;
  }

  /** The test JVM's address in the lab (the initial namespace's end of its veth). */
  public String hostAddress() {
    return subnet + ".1";
  }

  /**
   * Drops every packet between {@code node} and {@code peerAddress}, both ways, at {@code node}: no
   * reset, no ICMP; connections hang and new ones time out. Healed by {@link Fault#heal()}, at the
   * latest after {@code max}.
   */
  public Fault cut(Node node, String peerAddress, Duration max) {
    return apply(node, "cut " + node.name() + " <-> " + peerAddress, max,
        List.of("OUTPUT", "-d", peerAddress, "-j", "DROP"), List.of("INPUT", "-s", peerAddress, "-j", "DROP"));
  }

  /**
   * Drops each TCP packet to and from {@code port} of {@code node} with {@code probability}, both
   * ways (iptables' statistic match): a lossy link, such as a car's cellular one.
   */
  public Fault lossy(Node node, int port, double probability, Duration max) {
    String p = String.format(Locale.ROOT, "%.4f", probability);
    return apply(node, "loss " + p + " on " + node.name() + ":" + port, max,
        List.of("INPUT", "-p", "tcp", "--dport", Integer.toString(port), "-m", "statistic", "--mode", "random",
            "--probability", p, "-j", "DROP"),
        List.of("OUTPUT", "-p", "tcp", "--sport", Integer.toString(port), "-m", "statistic", "--mode", "random",
            "--probability", p, "-j", "DROP"));
  }

  /** Heals every fault and deletes the namespaces and links; calling it again does nothing. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    faults.forEach(Fault::heal);
    run(List.of("ip", "link", "del", id));
    for (Node node : nodes.values()) {
      run(List.of("ip", "netns", "del", node.namespace()));
    }
    run(List.of("ip", "netns", "del", hub));
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: this is the hook
    }
  }

  /** Rules set in one node's namespace, removed again exactly once. */
  public final class Fault implements AutoCloseable {
    private final Node node;
    private final String description;
    private final List<List<String>> rules;
    private final AtomicBoolean healed = new AtomicBoolean();

    private Fault(Node node, String description, List<List<String>> rules) {
      this.node = node;
      this.description = description;
      this.rules = rules;
    }

    /** Removes the rules; calling it again does nothing. */
    public void heal() {
      if (!healed.compareAndSet(false, true)) {
        return;
      }
      for (List<String> rule : rules) {
        iptables(node, "-D", rule);
      }
      faults.remove(this);
    }

    public boolean healed() {
      return healed.get();
    }

    @Override
    public void close() {
      heal();
    }

    @Override
    public String toString() {
      return description;
    }
  }

  private Fault apply(Node node, String description, Duration max, List<String> first, List<String> second) {
    Fault fault = new Fault(node, description, List.of(first, second));
    faults.add(fault);
    try {
      iptables(node, "-A", first);
      iptables(node, "-A", second);
    } catch (RuntimeException e) {
      fault.heal();
      throw e;
    }
    TIMERS.schedule(fault::heal, max.toMillis(), TimeUnit.MILLISECONDS);
    return fault;
  }

  private static void iptables(Node node, String op, List<String> rule) {
    List<String> command = new ArrayList<>(node.launcher());
    command.addAll(List.of("iptables", "-w", op));
    command.addAll(rule);
    Result r = run(command);
    if (r.status() != 0 && "-A".equals(op)) {
      throw new IllegalStateException(String.join(" ", command) + " failed: " + r.output());
    }
  }

  private void build(String... nodeNames) {
    must("ip", "netns", "add", hub);
    must("ip", "-n", hub, "link", "set", "lo", "up");
    must("ip", "-n", hub, "link", "add", "br0", "type", "bridge", "forward_delay", "0");
    must("ip", "-n", hub, "link", "set", "br0", "up");
    must("ip", "link", "add", id, "type", "veth", "peer", "name", "h0", "netns", hub);
    must("ip", "-n", hub, "link", "set", "h0", "master", "br0", "up");
    must("ip", "addr", "add", hostAddress() + "/24", "dev", id);
    must("ip", "link", "set", id, "up");
    for (int i = 0; i < nodeNames.length; i++) {
      Node node = new Node(nodeNames[i], id + "-" + nodeNames[i], subnet + "." + (i + 2));
      nodes.put(node.name(), node);
      String port = "h" + (i + 1);
      must("ip", "netns", "add", node.namespace());
      must("ip", "-n", node.namespace(), "link", "set", "lo", "up");
      must("ip", "-n", hub, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", node.namespace());
      must("ip", "-n", hub, "link", "set", port, "master", "br0", "up");
      must("ip", "-n", node.namespace(), "addr", "add", node.address() + "/24", "dev", "eth0");
      must("ip", "-n", node.namespace(), "link", "set", "eth0", "up");
    }
  }

  /** A process that outlives this JVM and deletes the lab once the JVM is gone or the lifetime is over. */
  private void startWatchdog(long pid, String... nodeNames) {
    StringBuilder delete = new StringBuilder("ip link del " + id + " 2>/dev/null;");
    for (String name : nodeNames) {
      delete.append(" ip netns del ").append(id).append('-').append(name).append(" 2>/dev/null;");
    }
    delete.append(" ip netns del ").append(hub).append(" 2>/dev/null");
    String script = "end=$(( $(date +%s) + " + MAX_LIFETIME_SECONDS + " )); "
        + "while kill -0 " + pid + " 2>/dev/null && [ -e /run/netns/" + hub + " ] && [ $(date +%s) -lt $end ];"
        + " do sleep 1; done; " + delete;
    try {
      new ProcessBuilder("setsid", "sh", "-c", script).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the lab's watchdog", e);
    }
  }

  /** Deletes the namespaces and links of labs whose JVM is gone. */
  private static void removeStale() {
    for (String line : run(List.of("ip", "netns", "list")).output().split("\n")) {
      String name = line.split(" ")[0];
      if (isStale(name)) {
        run(List.of("ip", "netns", "del", name));
      }
    }
    for (String line : run(List.of("ip", "-o", "link", "show")).output().split("\n")) {
      String[] parts = line.split(":\\s+");
      if (parts.length > 1) {
        String name = parts[1].split("@")[0];
        if (isStale(name)) {
          run(List.of("ip", "link", "del", name));
        }
      }
    }
  }

  private static boolean isStale(String name) {
    Matcher m = OWNED.matcher(name);
    if (!m.find()) {
      return false;
    }
    return ProcessHandle.of(Long.parseLong(m.group(1))).map(p -> !p.isAlive()
        || !p.info().command().orElse("java").contains("java")).orElse(true);
  }

  /** A /24 under 10.213 that no address of the initial namespace is in. */
  private static String freeSubnet(long pid) {
    String used = run(List.of("ip", "-o", "-4", "addr", "show")).output();
    for (int i = 0; i < 250; i++) {
      String candidate = "10.213." + (int) ((pid + i) % 250);
      if (!used.contains(" " + candidate + ".")) {
        return candidate;
      }
    }
    throw new IllegalStateException("no free 10.213.x.0/24 for a network lab");
  }

  private static void must(String... command) {
    Result r = run(List.of(command));
    if (r.status() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed (" + r.status() + "): " + r.output());
    }
  }

  private record Result(int status, String output) {
  }

  private static Result run(List<String> command) {
    try {
      Path out = Files.createTempFile("netlab", ".out");
      try {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          return new Result(-1, "timed out: " + command);
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException e) {
      return new Result(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, "interrupted");
    }
  }
}
