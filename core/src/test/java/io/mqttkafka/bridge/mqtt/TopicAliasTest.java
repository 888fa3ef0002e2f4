package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.config.ConfigLoader;
import io.mqttkafka.bridge.metrics.MetricTags.ProtocolError;
import io.mqttkafka.bridge.records.HeaderNames;
import io.mqttkafka.bridge.testsupport.FakeMqttEndpoint;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * MQTT 5 Topic Aliases on the uplink (TopicAliases, through a DeviceSession): a PUBLISH with a topic
 * and an alias sets it, one with the alias alone means that topic, and the record always names the
 * full topic; aliases are per connection and bounded by mqtt.topicAliasMaximum.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class TopicAliasTest {

  private static final int MQTT_5 = 5;

  @Test
  void anAliasOnlyPublishIsWrittenWithTheTopicItsAliasWasSetTo(Vertx vertx) throws Exception {
    SessionHarness h = new SessionHarness(vertx, new FakeMqttEndpoint("car1", MQTT_5));

    h.publish(1, 1, "UL/car1/position", "first", alias(3));
    h.publish(2, 1, "", "second", alias(3));
    h.publish(3, 0, "UL/car1/speed", "third", alias(3));
    h.publish(0, 0, "", "fourth", alias(3));

    assertThat(h.uplink()).extracting(TopicAliasTest::mqttTopic)
        .containsExactly("UL/car1/position", "UL/car1/position", "UL/car1/speed", "UL/car1/speed");
    assertThat(h.uplink()).allSatisfy(r -> assertThat(r.headers().lastHeader("topic.alias")).isNull());
    assertThat(h.endpoint.sent()).as("no close").doesNotContain("CLOSE");
  }

  @Test
  void theHighestAliasIsTheConfiguredMaximumAndOneAboveIt0x94(Vertx vertx) throws Exception {
    SessionHarness h = new SessionHarness(vertx, new FakeMqttEndpoint("car1", MQTT_5),
        Map.of(ConfigLoader.envName("mqtt.topicAliasMaximum"), "2"));
    h.publish(1, 1, "UL/a", "at the maximum", alias(2));
    assertThat(h.uplinkPayloads()).containsExactly("at the maximum");

    h.publish(2, 1, "UL/b", "above it", alias(3));

    assertThat(h.endpoint.sent()).containsExactly("DISCONNECT TOPIC_ALIAS_INVALID", "CLOSE");
    assertThat(h.uplinkPayloads()).containsExactly("at the maximum");
    assertThat(h.count("protocol.errors", "type", ProtocolError.TOPIC_ALIAS)).isEqualTo(1);
  }

  @Test
  void aliasZeroIsInvalid(Vertx vertx) throws Exception {
    SessionHarness h = new SessionHarness(vertx, new FakeMqttEndpoint("car1", MQTT_5));

    h.publish(1, 1, "UL/a", "alias 0", alias(0));

    assertThat(h.endpoint.sent()).containsExactly("DISCONNECT TOPIC_ALIAS_INVALID", "CLOSE");
    assertThat(h.uplink()).isEmpty();
  }

  @Test
  void anAliasNeverSetIsAProtocolError(Vertx vertx) throws Exception {
    SessionHarness h = new SessionHarness(vertx, new FakeMqttEndpoint("car1", MQTT_5));
    h.publish(1, 1, "UL/a", "sets 1", alias(1));

    h.publish(2, 1, "", "uses 2", alias(2));

    assertThat(h.endpoint.sent()).endsWith("DISCONNECT PROTOCOL_ERROR", "CLOSE");
    assertThat(h.uplinkPayloads()).containsExactly("sets 1");
  }

  @Test
  void aliasesAreNotCarriedToTheNextConnection(Vertx vertx) throws Exception {
    SessionHarness first = new SessionHarness(vertx, new FakeMqttEndpoint("car1", MQTT_5));
    first.publish(1, 1, "UL/a", "sets 1", alias(1));
    assertThat(first.uplinkPayloads()).containsExactly("sets 1");

    SessionHarness second = new SessionHarness(vertx, new FakeMqttEndpoint("car1", MQTT_5));
    second.publish(1, 1, "", "uses 1", alias(1));

    assertThat(second.endpoint.sent()).containsExactly("DISCONNECT PROTOCOL_ERROR", "CLOSE");
    assertThat(second.uplink()).isEmpty();
  }

  @Test
  void anAliasIsHeldToTheTopicLimitsOfTheTopicItStandsFor(Vertx vertx) throws Exception {
    SessionHarness h = new SessionHarness(vertx, new FakeMqttEndpoint("car1", MQTT_5),
        Map.of(ConfigLoader.envName("mqtt.limits.maxTopicLevels"), "2"));
    h.publish(1, 1, "UL/a/b", "too deep", alias(1));

    h.publish(2, 1, "", "too deep by its alias", alias(1));

    assertThat(h.uplink()).isEmpty();
    assertThat(h.endpoint.sent()).containsExactly("PUBACK 1 TOPIC_NAME_INVALID", "PUBACK 2 TOPIC_NAME_INVALID");
  }

  private static MqttProperties alias(int alias) {
    MqttProperties properties = new MqttProperties();
    properties.add(new MqttProperties.IntegerProperty(MqttProperties.TOPIC_ALIAS, alias));
    return properties;
  }

  private static String mqttTopic(ProducerRecord<String, Buffer> record) {
    return new String(record.headers().lastHeader(HeaderNames.TOPIC).value(), StandardCharsets.UTF_8);
  }
}
