package io.mqttkafka.bridge.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which local address each connection of a fleet is opened from. */
class FleetConfigTest {

  @Test
  void aLoopbackFleetOverThePerAddressShareSpreadsOverLoopbackAddresses() {
    Fleet.Config config = config("127.0.0.1", List.of());

    assertThat(config.sourceFor(0, 19_000)).isEqualTo("127.0.0.1");
    assertThat(config.sourceFor(9_999, 19_000)).isEqualTo("127.0.0.1");
    assertThat(config.sourceFor(10_000, 19_000)).isEqualTo("127.0.0.2");
    assertThat(config.sourceFor(18_999, 19_000)).isEqualTo("127.0.0.2");
  }

  @Test
  void aFleetWithinOneAddressShareLeavesTheSourceToTheSystem() {
    assertThat(config("127.0.0.1", List.of()).sourceFor(9_999, 10_000)).isNull();
  }

  @Test
  void aRemoteBridgeIsNeverReachedFromLoopbackAddresses() {
    assertThat(config("bridge.example.com", List.of()).sourceFor(18_999, 19_000)).isNull();
  }

  @Test
  void explicitSourceAddressesAreUsedInTurnPerShare() {
    Fleet.Config config = config("10.0.0.5", List.of("10.0.0.1", "10.0.0.2"));

    assertThat(config.sourceFor(0, 30_000)).isEqualTo("10.0.0.1");
    assertThat(config.sourceFor(10_000, 30_000)).isEqualTo("10.0.0.2");
    assertThat(config.sourceFor(20_000, 30_000)).isEqualTo("10.0.0.1");
  }

  private static Fleet.Config config(String host, List<String> sources) {
    return new Fleet.Config(host, 1883, "c", 60, sources, Fleet.Config.DEFAULT_PER_ADDRESS, 0, 500);
  }
}
