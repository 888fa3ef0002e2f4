package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.metrics.MetricTags.Limit;
import io.mqttkafka.bridge.topic.TopicLimits;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.mqtt.MqttTopicSubscription;
import io.vertx.mqtt.impl.MqttTopicSubscriptionImpl;
import io.vertx.mqtt.messages.codes.MqttSubAckReasonCode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which filters a connection may subscribe to: mappings.downlink.filters with ${clientId} and ${username}. */
class SubscriptionsTest {

  private static final List<String> OWN = List.of("DL/${username}/#", "cmd/${clientId}/+");

  /** Limits out of the way: LimitsIT covers them with the bridge's metrics. */
  private static Subscriptions subscriptions(String clientId, String username, boolean v5) {
    return new Subscriptions(OWN, clientId, username, v5, Integer.MAX_VALUE, Integer.MAX_VALUE, limit -> { });
  }

  private static List<MqttTopicSubscription> requests(String... filters) {
    return java.util.Arrays.stream(filters)
        .<MqttTopicSubscription>map(f -> new MqttTopicSubscriptionImpl(f, MqttQoS.AT_LEAST_ONCE)).toList();
  }

  @Test
  void aUserMaySubscribeToItsOwnTopicsOnly() throws Exception {
    Subscriptions alice = subscriptions("car-1", "alice", true);

    assertThat(alice.subscribe(requests("DL/alice/#", "DL/alice/warn", "DL/bob/#", "DL/#", "cmd/car-1/x",
        "cmd/car-2/x", "cmd/car-1/#")))
        .containsExactly(MqttSubAckReasonCode.GRANTED_QOS1, MqttSubAckReasonCode.GRANTED_QOS1,
            MqttSubAckReasonCode.NOT_AUTHORIZED, MqttSubAckReasonCode.NOT_AUTHORIZED,
            MqttSubAckReasonCode.GRANTED_QOS1, MqttSubAckReasonCode.NOT_AUTHORIZED,
            MqttSubAckReasonCode.NOT_AUTHORIZED);
    assertThat(alice.snapshot()).extracting(s -> s.filter()).containsExactly("DL/alice/#", "DL/alice/warn",
        "cmd/car-1/x");
  }

  @Test
  void revokingARefusedFilterKeepsTheSameFilterGrantedEarlier() throws Exception {
    Subscriptions alice = subscriptions("car-1", "alice", true);
    alice.subscribe(requests("DL/alice/#"));

    // A later SUBSCRIBE of the same filter whose SUBACK says failure (0x80 is negative as a byte).
    alice.revoke(requests("DL/alice/#"), List.of(MqttSubAckReasonCode.UNSPECIFIED_ERROR));

    assertThat(alice.snapshot()).extracting(s -> s.filter()).containsExactly("DL/alice/#");
  }

  @Test
  void aFilterOverTheTopicLimitsIsRefusedOnItsOwnAndNamed() throws Exception {
    List<Limit> broken = new java.util.ArrayList<>();
    Subscriptions alice = new Subscriptions(OWN, "car-1", "alice", true, 16, 3, broken::add);

    assertThat(alice.subscribe(requests("DL/alice/#", "DL/alice/a/b", "DL/alice/very-long-level")))
        .containsExactly(MqttSubAckReasonCode.GRANTED_QOS1, MqttSubAckReasonCode.TOPIC_FILTER_INVALID,
            MqttSubAckReasonCode.TOPIC_FILTER_INVALID);
    assertThat(broken).containsExactly(Limit.TOPIC_LEVELS, Limit.TOPIC_LENGTH);
    assertThat(alice.snapshot()).extracting(s -> s.filter()).containsExactly("DL/alice/#");
  }

  @Test
  void anAnonymousClientGetsNoFilterWithUsername() throws Exception {
    Subscriptions anonymous = subscriptions("alice", null, true);

    assertThat(anonymous.subscribe(requests("DL/alice/#", "DL/null/#", "DL/${username}/#", "cmd/alice/x")))
        .containsExactly(MqttSubAckReasonCode.NOT_AUTHORIZED, MqttSubAckReasonCode.NOT_AUTHORIZED,
            MqttSubAckReasonCode.NOT_AUTHORIZED, MqttSubAckReasonCode.GRANTED_QOS1);
  }

  @Test
  void mqtt311GetsTheGenericFailureCode() throws Exception {
    Subscriptions alice = subscriptions("car-1", "alice", false);

    assertThat(alice.subscribe(requests("DL/bob/#", "DL/alice/#")))
        .containsExactly(MqttSubAckReasonCode.UNSPECIFIED_ERROR, MqttSubAckReasonCode.GRANTED_QOS1);
  }

  @Test
  void aUserNameThatIsNotOneLevelGetsNoFilterWithUsername() throws Exception {
    Subscriptions wide = subscriptions("car-1", "a/b", true);

    assertThat(wide.subscribe(requests("DL/a/b/#", "DL/a/#")))
        .containsOnly(MqttSubAckReasonCode.NOT_AUTHORIZED);
  }
}
