package io.mqttkafka.bridge.uplink;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.records.HeaderNames;
import io.netty.handler.codec.mqtt.MqttProperties;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/** The MQTT 5 properties of an uplink PUBLISH or Will as headers of its record (PropertyHeaders). */
class PropertyHeadersTest {

  @Test
  void everyPropertyABackEndNeedsBecomesItsHeader() {
    MqttProperties properties = new MqttProperties();
    properties.add(new MqttProperties.StringProperty(MqttProperties.RESPONSE_TOPIC, "RSP/car1/42"));
    properties.add(new MqttProperties.StringProperty(MqttProperties.CONTENT_TYPE, "application/json"));
    properties.add(new MqttProperties.IntegerProperty(MqttProperties.PAYLOAD_FORMAT_INDICATOR, 1));
    properties.add(new MqttProperties.IntegerProperty(MqttProperties.PUBLICATION_EXPIRY_INTERVAL, 120));
    properties.add(new MqttProperties.UserProperty("unit", "°C"));

    Headers headers = copy(properties);

    assertThat(text(headers)).containsExactly(
        Map.entry(HeaderNames.RESPONSE_TOPIC, "RSP/car1/42"), Map.entry(HeaderNames.CONTENT_TYPE, "application/json"),
        Map.entry(HeaderNames.PAYLOAD_FORMAT, "1"), Map.entry(HeaderNames.MESSAGE_EXPIRY, "120"),
        Map.entry("unit", "°C"));
  }

  @Test
  void correlationDataIsCopiedByteForByteEvenWhenItIsNoText() {
    byte[] binary = {0, (byte) 0xFF, (byte) 0xC3, 0x28, 42, (byte) 0x80};
    MqttProperties properties = new MqttProperties();
    properties.add(new MqttProperties.BinaryProperty(MqttProperties.CORRELATION_DATA, binary.clone()));

    Header header = copy(properties).lastHeader(HeaderNames.CORRELATION_DATA);

    assertThat(header.value()).containsExactly(binary);
  }

  @Test
  void theLargestMessageExpiryIntervalIsWrittenUnsigned() {
    MqttProperties properties = new MqttProperties();
    // 2^32 - 1 seconds: netty reads the Four Byte Integer into an int, -1.
    properties.add(new MqttProperties.IntegerProperty(MqttProperties.PUBLICATION_EXPIRY_INTERVAL, -1));

    assertThat(text(copy(properties))).containsExactly(Map.entry(HeaderNames.MESSAGE_EXPIRY, "4294967295"));
  }

  @Test
  void aUserPropertyNamedLikeTheBridgesHeadersIsNotCopiedSoItCannotForgeThem() {
    MqttProperties properties = new MqttProperties();
    properties.add(new MqttProperties.UserProperty(HeaderNames.RESPONSE_TOPIC, "RSP/someone-else"));
    properties.add(new MqttProperties.UserProperty(HeaderNames.CORRELATION_DATA, "forged"));
    properties.add(new MqttProperties.UserProperty("trace", "t-1"));
    properties.add(new MqttProperties.UserProperty("trace", "t-2"));

    assertThat(text(copy(properties))).containsExactly(Map.entry("trace", "t-1"), Map.entry("trace", "t-2"));
  }

  @Test
  void propertiesOnlyTheConnectionUsesAreNotCopied() {
    MqttProperties properties = new MqttProperties();
    properties.add(new MqttProperties.IntegerProperty(MqttProperties.TOPIC_ALIAS, 3));
    properties.add(new MqttProperties.IntegerProperty(MqttProperties.WILL_DELAY_INTERVAL, 5));

    assertThat(copy(properties).toArray()).isEmpty();
  }

  @Test
  void anMqtt311PublishHasNoPropertiesAndGetsNoHeaders() {
    assertThat(copy(MqttProperties.NO_PROPERTIES).toArray()).isEmpty();
    assertThat(copy(null).toArray()).isEmpty();
  }

  private static Headers copy(MqttProperties properties) {
    Headers headers = new RecordHeaders();
    PropertyHeaders.copy(properties, headers);
    return headers;
  }

  private static List<Map.Entry<String, String>> text(Headers headers) {
    return StreamSupport.stream(headers.spliterator(), false)
        .map(h -> Map.entry(h.key(), new String(h.value(), StandardCharsets.UTF_8))).toList();
  }
}
