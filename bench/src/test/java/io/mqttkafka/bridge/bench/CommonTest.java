package io.mqttkafka.bridge.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The options every mode shares. */
class CommonTest {

  @Test
  void sourceAddressesExpandRangesAndLists() {
    assertThat(Common.sourceAddresses("127.0.0.1-127.0.0.3, 10.0.0.9")).containsExactly("127.0.0.1", "127.0.0.2",
        "127.0.0.3", "10.0.0.9");
    assertThat(Common.sourceAddresses("")).isEmpty();
  }
}
