package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.config.MqttSettings;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The instance's connection limits change with a reload: the next CONNECT sees them; open ones stay. */
class ConnectionLimitsTest {

  @Test
  void aRaisedMaximumAdmitsMoreAndALoweredOneClosesNothing() {
    ConnectionLimits limits = new ConnectionLimits(limits(1, 0));
    assertThat(limits.tryOpen()).isTrue();
    assertThat(limits.tryOpen()).isFalse();

    limits.update(limits(2, 0));
    assertThat(limits.tryOpen()).isTrue();
    limits.update(limits(1, 0));

    assertThat(limits.openConnections()).as("the open ones keep their slots").isEqualTo(2);
    assertThat(limits.tryOpen()).isFalse();
    limits.release();
    limits.release();
    assertThat(limits.tryOpen()).isTrue();
  }

  @Test
  void aConnectRateSetByAReloadLimitsTheNextConnects() {
    ConnectionLimits limits = new ConnectionLimits(limits(0, 0));
    for (int i = 0; i < 100; i++) {
      assertThat(limits.tryConnect()).isTrue();
    }

    limits.update(new MqttSettings.Limits(0, 1, 2, 256, 16, 0, 0, 0, 0, Duration.ofSeconds(5), 0));

    assertThat(limits.tryConnect()).isTrue();
    assertThat(limits.tryConnect()).isTrue();
    assertThat(limits.tryConnect()).as("the burst of 2 is spent").isFalse();
  }

  private static MqttSettings.Limits limits(int maxConnections, int connectRate) {
    return new MqttSettings.Limits(maxConnections, connectRate, 0, 256, 16, 0, 0, 0, 0, Duration.ofSeconds(5), 0);
  }
}
