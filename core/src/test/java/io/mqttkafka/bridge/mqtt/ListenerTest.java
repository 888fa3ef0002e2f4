package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.config.MqttSettings;
import io.vertx.mqtt.MqttServerOptions;
import org.junit.jupiter.api.Test;

class ListenerTest {

  @Test
  void acceptedSocketsUseTcpKeepAliveSoThatHalfOpenConnectionsEnd() {
    MqttSettings mqtt = BridgeConfig.defaults().mqtt();
    for (Listener.Transport transport : new Listener.Transport[] {Listener.Transport.PLAIN,
        Listener.Transport.WEBSOCKET}) {
      MqttServerOptions options = new Listener(transport, 0).options(mqtt, null);
      assertThat(options.isTcpKeepAlive()).as(transport.title()).isTrue();
      assertThat(options.isTcpNoDelay()).isTrue();
    }
  }
}
