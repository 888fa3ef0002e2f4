package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.Bridge;
import io.mqttkafka.bridge.mqtt.Listener.Transport;
import io.mqttkafka.bridge.testkit.Fleet;
import io.mqttkafka.bridge.testkit.MqttPackets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A few devices that connect over TLS and go again: what the session resumption tests count. */
final class TlsDevices {

  private TlsDevices() {
  }

  /**
   * Opens {@code devices} over TLS, each with its CONNACK and then a PINGREQ answered (a TLS 1.3 server
   * may send its session ticket after the CONNACK), and closes them; returns handshakes and resumptions.
   */
  static long[] connectAndClose(Bridge bridge, Fleet.Tls tls, String prefix, int devices) throws InterruptedException {
    CountDownLatch pinged = new CountDownLatch(devices);
    Fleet.Session session = new Fleet.Session() {
      @Override
      public void opened(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(Unpooled.wrappedBuffer(MqttPackets.pingreq()));
      }

      @Override
      public void read(ChannelHandlerContext ctx, ByteBuf in) {
        pinged.countDown(); // PINGRESP: nothing else comes to an idle device
      }
    };
    Fleet fleet = new Fleet(new Fleet.Config("127.0.0.1", bridge.port(Transport.TLS), prefix, 60, List.of(),
        Fleet.Config.DEFAULT_PER_ADDRESS, 0, 10), 1, index -> session, Fleet.Observer.NONE).tls(tls);
    try {
      fleet.open(devices, 30_000, () -> { });
      assertThat(pinged.await(30, TimeUnit.SECONDS)).isTrue();
      return fleet.tlsHandshakes();
    } finally {
      fleet.close(10_000);
    }
  }
}
