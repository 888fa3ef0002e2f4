package io.mqttkafka.bridge.testkit;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttMessage;

/** Collects what an MQTT 3.1.1 Paho client receives. */
public final class Received implements MqttCallback {

  /** One received PUBLISH. */
  public record Message(String topic, byte[] payload, int qos) {
  }

  private final BlockingQueue<Message> messages = new LinkedBlockingQueue<>();
  private volatile Throwable lost;

  @Override
  public void connectionLost(Throwable cause) {
    lost = cause;
  }

  @Override
  public void messageArrived(String topic, MqttMessage message) {
    messages.add(new Message(topic, message.getPayload(), message.getQos()));
  }

  @Override
  public void deliveryComplete(IMqttDeliveryToken token) {
  }

  /** The next message within the timeout, or null. */
  public Message next(long timeoutMs) throws InterruptedException {
    return messages.poll(timeoutMs, TimeUnit.MILLISECONDS);
  }

  public boolean connectionLost() {
    return lost != null;
  }
}
