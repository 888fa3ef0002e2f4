package io.mqttkafka.bridge.bench;

import io.mqttkafka.bridge.devkafka.EmbeddedKafka;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * {@code bench broker}: the dev-mode embedded Kafka (the same class and settings as
 * {@code java -jar} without {@code kafka.bootstrapServers}) alone in its own process, until SIGTERM.
 * Benchmarks run the bridge against it, so that the bridge process's CPU time and heap are the
 * bridge's only.
 */
final class BrokerCommand {

  static final String USAGE = """
        bench broker [options]       run the embedded single-node Kafka alone, until SIGTERM
          --data-dir DIR             (default ./bench-kafka)
          --port P / --controller-port P   (default 9092 / 9093)
      """;

  private BrokerCommand() {
  }

  static void run(Args args) throws InterruptedException {
    Path dir = Path.of(args.string("data-dir", "bench-kafka"));
    int port = args.integer("port", 9092);
    int controllerPort = args.integer("controller-port", 9093);
    args.checkAllUsed();
    try {
      Class.forName("kafka.server.KafkaRaftServer", false, BrokerCommand.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new Args.UsageException("this jar was built without the embedded Kafka (-Dslim): use the default jar");
    }
    EmbeddedKafka kafka = EmbeddedKafka.start(dir, port, controllerPort);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      kafka.close();
      stopped.countDown();
      Runtime.getRuntime().halt(0);
    }, "broker-shutdown"));
    System.out.println("bench broker: Kafka ready at " + kafka.bootstrapServers() + " (pid "
        + ProcessHandle.current().pid() + ", data " + dir.toAbsolutePath() + ")");
    System.out.flush();
    stopped.await();
  }
}
