package io.mqttkafka.bridge.kafka;

import io.mqttkafka.bridge.config.KafkaSettings;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates the bridge's own topics when they are missing and checks the contract between them:
 * {@code mqtt.subscriptions} (compacted), {@code mqtt.downlink} and {@code mqtt.sessions} (compacted,
 * created with as many partitions as {@code mqtt.downlink} has) must have the same partition count,
 * as the router reads partition n of all three together. Runs once at start-up, before any verticle.
 */
public final class InternalTopics {

  private static final long TIMEOUT_SECONDS = 30;

  private InternalTopics() {
  }

  /**
   * A new topic is in the metadata a moment before its partitions accept writes; an idempotent
   * producer writing in that window can see its first batch refused and later ones fail out of
   * sequence. Wait until every partition answers a list-offsets request.
   */
  private static void awaitLeaders(Admin admin, List<String> topics)
      throws InterruptedException, ExecutionException, TimeoutException {
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    describe(admin, topics).forEach((name, description) ->
        description.partitions().forEach(p -> request.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
    while (true) {
      try {
        admin.listOffsets(request).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        return;
      } catch (ExecutionException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(50);
      }
    }
  }

  /**
   * Creates missing internal topics; fails with a message naming both counts when they differ. Being
   * the bridge's first call to Kafka, it also says plainly when Kafka refused the bridge's credentials
   * or denied it an operation, instead of only passing the client's exception on.
   */
  public static void ensure(Admin admin, KafkaSettings kafka)
      throws InterruptedException, ExecutionException, TimeoutException {
    try {
      createAndCheck(admin, kafka);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof AuthenticationException) {
        throw new IllegalStateException("Kafka refused the bridge's credentials (check the sasl.* and ssl.*"
            + " settings in kafka.common, kafka.producer and kafka.consumer): " + e.getCause().getMessage(), e);
      }
      if (e.getCause() instanceof AuthorizationException) {
        throw new IllegalStateException("Kafka denied the bridge an operation on its internal topics (see the"
            + " docs/security.md, \"Kafka credentials and ACLs\", for the ACLs the bridge's principal needs): "
            + e.getCause().getMessage(), e);
      }
      throw e;
    }
  }

  private static void createAndCheck(Admin admin, KafkaSettings kafka)
      throws InterruptedException, ExecutionException, TimeoutException {
    KafkaSettings.Topics topics = kafka.topics();
    int partitions = kafka.internalTopics().partitions();
    Optional<Short> replication = kafka.internalTopics().replicationFactor() < 1
        ? Optional.empty() : Optional.of(kafka.internalTopics().replicationFactor());
    Set<String> existing = admin.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    List<NewTopic> missing = new ArrayList<>();
    for (String name : List.of(topics.subscriptions(), topics.downlink(), topics.receipts(), topics.deadLetter())) {
      if (!existing.contains(name)) {
        NewTopic topic = new NewTopic(name, Optional.of(partitions), replication);
        if (name.equals(topics.subscriptions())) {
          topic.configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
        }
        missing.add(topic);
      }
    }
    if (!missing.isEmpty()) {
      try {
        admin.createTopics(missing).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
      awaitLeaders(admin, missing.stream().map(NewTopic::name).toList());
    }
    Map<String, TopicDescription> described = describe(admin, List.of(topics.subscriptions(), topics.downlink()));
    int subscriptionPartitions = described.get(topics.subscriptions()).partitions().size();
    int downlinkPartitions = described.get(topics.downlink()).partitions().size();
    if (subscriptionPartitions != downlinkPartitions) {
      throw notCoPartitioned(topics.subscriptions(), subscriptionPartitions, topics.downlink(), downlinkPartitions);
    }
    if (!existing.contains(topics.sessions())) {
      // Also for a bridge that ran before the topic existed: as many partitions as the downlink topic has.
      NewTopic sessions = new NewTopic(topics.sessions(), Optional.of(downlinkPartitions), replication)
          .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
      try {
        admin.createTopics(List.of(sessions)).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
      awaitLeaders(admin, List.of(topics.sessions()));
    }
    int sessionPartitions = describe(admin, List.of(topics.sessions())).get(topics.sessions()).partitions().size();
    if (sessionPartitions != downlinkPartitions) {
      throw notCoPartitioned(topics.sessions(), sessionPartitions, topics.downlink(), downlinkPartitions);
    }
  }

  private static IllegalStateException notCoPartitioned(String topic, int partitions, String downlink,
                                                        int downlinkPartitions) {
    return new IllegalStateException("Kafka topics " + topic + " (" + partitions + " partitions) and " + downlink
        + " (" + downlinkPartitions + " partitions) must have the same partition count: the router reads them by"
        + " partition number");
  }

  /**
   * Describes topics, waiting for ones just created: a KRaft broker acknowledges CreateTopics before
   * the topic is in the metadata that DescribeTopics reads, and answers UNKNOWN_TOPIC_OR_PARTITION in
   * between.
   */
  private static Map<String, TopicDescription> describe(Admin admin, List<String> names)
      throws InterruptedException, ExecutionException, TimeoutException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
    while (true) {
      try {
        return admin.describeTopics(names).allTopicNames().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }
}
