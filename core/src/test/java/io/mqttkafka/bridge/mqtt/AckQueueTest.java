package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AckQueueTest {

  private final List<String> sent = new ArrayList<>();
  private final AckQueue acks = new AckQueue((id, qos, failure) -> sent.add(id + (failure == null ? "" : "!")));

  @Test
  void acknowledgementsLeaveInArrivalOrderWhateverOrderKafkaCompletesIn() {
    AckQueue.Entry first = acks.add(1, 1);
    AckQueue.Entry second = acks.add(2, 1);
    AckQueue.Entry third = acks.add(3, 2);
    acks.complete(third, null);
    acks.complete(second, null);
    assertThat(sent).isEmpty();
    assertThat(acks.size()).isEqualTo(3);
    acks.complete(first, null);
    assertThat(sent).containsExactly("1", "2", "3");
    assertThat(acks.size()).isZero();
  }

  @Test
  void aFailureTakesItsPlaceInTheOrder() {
    AckQueue.Entry first = acks.add(1, 1);
    AckQueue.Entry second = acks.add(2, 1);
    acks.complete(second, null);
    acks.complete(first, new RuntimeException("kafka"));
    assertThat(sent).containsExactly("1!", "2");
  }
}
