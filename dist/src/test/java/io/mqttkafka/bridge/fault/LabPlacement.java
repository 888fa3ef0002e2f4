package io.mqttkafka.bridge.fault;

import io.mqttkafka.bridge.process.BridgeProcess;
import io.mqttkafka.bridge.testkit.NetLab;
import io.mqttkafka.bridge.testkit.ReplicatedKafka;
import java.nio.file.Path;

/** Bridges and a Kafka node placed on the nodes of a {@link NetLab}. */
final class LabPlacement {

  private LabPlacement() {
  }

  /** A bridge on {@code node}: its listeners on the node's address, its JVM in the node's namespace. */
  static BridgeProcess.Placement at(NetLab.Node node) {
    return new BridgeProcess.Placement(node.address(), node.launcher());
  }

  /** A single Kafka node (broker and controller) on {@code node}, reachable at the node's address. */
  static ReplicatedKafka kafkaAt(NetLab.Node node, Path dataDir) {
    return ReplicatedKafka.start(dataDir, 1, node.address(), node.launcher());
  }
}
