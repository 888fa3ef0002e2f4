package io.mqttkafka.bridge.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DeparturesTest {

  private final ClusterMembership.Departures departures = new ClusterMembership.Departures();

  @Test
  void aMemberThatLeftAndJoinsAgainUnderItsNodeIdHasReturnedOnce() {
    departures.left("node-a");

    assertThat(departures.returned("node-a")).isTrue();
    assertThat(departures.returned("node-a")).as("once back, it is no longer one that left").isFalse();
  }

  @Test
  void aNewMemberHasNotReturned() {
    departures.left("node-a");

    assertThat(departures.returned("node-b")).as("a restarted member joins with a new node id").isFalse();
  }

  @Test
  void onlyTheLastDeparturesAreKept() {
    for (int i = 0; i <= ClusterMembership.Departures.KEPT; i++) {
      departures.left("node-" + i);
    }

    assertThat(departures.returned("node-0")).as("the oldest is forgotten").isFalse();
    assertThat(departures.returned("node-" + ClusterMembership.Departures.KEPT)).isTrue();
  }
}
