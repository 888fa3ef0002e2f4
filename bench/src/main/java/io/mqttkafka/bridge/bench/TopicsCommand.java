package io.mqttkafka.bridge.bench;

import org.apache.kafka.clients.admin.Admin;

/**
 * {@code bench topics}: creates topics with a partition count before a bridge starts (a bridge
 * that looks up a missing mapped topic first would have the broker auto-create it with one
 * partition).
 */
final class TopicsCommand {

  static final String USAGE = """
        bench topics --create NAME:PARTITIONS[,NAME:PARTITIONS...] [--bootstrap SERVERS]
      """;

  private TopicsCommand() {
  }

  static void run(Args args) throws Exception {
    String bootstrap = args.string("bootstrap", "127.0.0.1:9092");
    String spec = args.string("create", "");
    args.checkAllUsed();
    if (spec.isBlank()) {
      throw new Args.UsageException("--create NAME:PARTITIONS is required");
    }
    try (Admin admin = KafkaClients.admin(bootstrap)) {
      for (String part : spec.split(",")) {
        String[] np = part.trim().split(":");
        if (np.length != 2) {
          throw new Args.UsageException("'" + part + "' is not NAME:PARTITIONS");
        }
        int count = KafkaClients.ensureTopic(admin, np[0], Integer.parseInt(np[1]));
        System.out.println("topic " + np[0] + ": " + count + " partitions");
      }
    }
  }
}
