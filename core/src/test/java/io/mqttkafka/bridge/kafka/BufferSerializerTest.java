package io.mqttkafka.bridge.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class BufferSerializerTest {

  private final BufferSerializer serializer = new BufferSerializer();

  @Test
  void aWrappedArrayReachesKafkaAsTheSameArray() {
    byte[] value = {1, 2, 3};
    Buffer wrapped = BufferSerializer.wrap(value);
    assertThat(wrapped.getBytes()).containsExactly(1, 2, 3);
    assertThat(serializer.serialize("t", wrapped)).isSameAs(value);
  }

  @Test
  void aSliceIsCopiedOnce() {
    Buffer slice = Buffer.buffer(new byte[] {1, 2, 3, 4}).slice(1, 3);
    assertThat(serializer.serialize("t", slice)).containsExactly(2, 3);
  }
}
