package io.mqttkafka.bridge.vertx;

/**
 * What vertx-mqtt 5.0.8 reports to the instance's exception handler, classified. It raises an
 * IllegalArgumentException from its own code when a connection sends a packet before its CONNECT was
 * accepted, then closes the connection; that exception has no type of its own, so its origin tells.
 */
public final class MqttFailures {

  private static final String VERTX_MQTT_PACKAGE = "io.vertx.mqtt.";

  private MqttFailures() {
  }

  /** True for vertx-mqtt's failure on a packet that came before the connection's CONNECT was accepted. */
  public static boolean isPacketBeforeConnack(Throwable failure) {
    StackTraceElement[] origin = failure.getStackTrace();
    return failure instanceof IllegalArgumentException && origin.length > 0
        && origin[0].getClassName().startsWith(VERTX_MQTT_PACKAGE);
  }
}
