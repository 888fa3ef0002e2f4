package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.metrics.MetricTag;
import io.mqttkafka.bridge.auth.AuthenticationException;
import io.mqttkafka.bridge.kafka.OverloadedException;
import io.mqttkafka.bridge.uplink.RejectedTopicException;
import io.mqttkafka.bridge.uplink.TopicNotAuthorizedException;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubAckReasonCode;
import org.apache.kafka.common.errors.AuthorizationException;

/**
 * Failure to MQTT code, in one place. MQTT 3.1.1 has no reason codes on PUBACK or DISCONNECT: for it
 * the caller closes the connection (so the client resends), and only CONNACK carries a v3 code.
 */
public final class ReasonCodes {

  /** Why a CONNECT is refused; each maps to the v3.1.1 return code and the v5 reason code. */
  public enum Refusal implements MetricTag {
    CLIENT_ID_INVALID("client_id_invalid"),
    SERVER_UNAVAILABLE("server_unavailable"),
    /** The client asked to resume its session and no router could say what it is in time. */
    SESSION_UNAVAILABLE("session_unavailable"),
    /** Credentials were sent and are wrong: unknown user, wrong password, invalid token. */
    BAD_CREDENTIALS("bad_credentials"),
    /** No acceptable credentials were sent, or valid ones name another client. */
    NOT_AUTHORIZED("not_authorized"),
    /** mqtt.limits.maxConnections are open. */
    QUOTA_EXCEEDED("max_connections"),
    /** CONNECTs come faster than mqtt.limits.connectRate. */
    CONNECTION_RATE_EXCEEDED("connect_rate"),
    /** Not MQTT 3.1.1 or 5 [MQTT-3.1.2-2]. */
    UNSUPPORTED_PROTOCOL_VERSION("protocol_version"),
    /** MQTT 5 enhanced authentication (AUTH exchanges), which the bridge does not offer [MQTT-4.12.0-1]. */
    BAD_AUTHENTICATION_METHOD("authentication_method");

    private final String metricTag;

    Refusal(String metricTag) {
      this.metricTag = metricTag;
    }

    @Override
    public String metricTag() {
      return metricTag;
    }
  }

  private ReasonCodes() {
  }

  public static boolean isMqtt5(int protocolVersion) {
    return protocolVersion >= 5;
  }

  public static MqttConnectReturnCode connack(Refusal refusal, int protocolVersion) {
    boolean v5 = isMqtt5(protocolVersion);
    return switch (refusal) {
      // [MQTT-3.1.3-9] v3.1.1 0x02; v5 0x85
      case CLIENT_ID_INVALID -> v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_CLIENT_IDENTIFIER_NOT_VALID
          : MqttConnectReturnCode.CONNECTION_REFUSED_IDENTIFIER_REJECTED;
      case SERVER_UNAVAILABLE, SESSION_UNAVAILABLE -> v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE_5
          : MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE;
      // v3.1.1 0x04, v5 0x86
      case BAD_CREDENTIALS -> v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_BAD_USERNAME_OR_PASSWORD
          : MqttConnectReturnCode.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD;
      // v3.1.1 0x05, v5 0x87
      case NOT_AUTHORIZED -> v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED_5
          : MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED;
      // MQTT 3.1.1 has no such codes: 0x03 Server unavailable, so the client tries again later.
      case QUOTA_EXCEEDED -> v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_QUOTA_EXCEEDED
          : MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE;
      case CONNECTION_RATE_EXCEEDED -> v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_CONNECTION_RATE_EXCEEDED
          : MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE;
      // v3.1.1 (and a level 3 CONNECT) 0x01, v5 0x84
      case UNSUPPORTED_PROTOCOL_VERSION -> v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_UNSUPPORTED_PROTOCOL_VERSION
          : MqttConnectReturnCode.CONNECTION_REFUSED_UNACCEPTABLE_PROTOCOL_VERSION;
      // Only MQTT 5 has authentication methods: 0x8C
      case BAD_AUTHENTICATION_METHOD -> v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_BAD_AUTHENTICATION_METHOD
          : MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED;
    };
  }

  /**
   * Why a CONNECT whose authentication failed is refused. Credentials that were sent and are wrong
   * (unknown user and wrong password alike, or an invalid token) are "bad user name or password";
   * missing credentials, and valid ones for another client id, are "not authorized". A failure of
   * the bridge's own is "server unavailable", so the client retries.
   */
  public static Refusal refusal(Throwable authFailure) {
    if (!(authFailure instanceof AuthenticationException e)) {
      return Refusal.SERVER_UNAVAILABLE;
    }
    return switch (e.reason()) {
      case BAD_CREDENTIALS, INVALID_TOKEN -> Refusal.BAD_CREDENTIALS;
      case NO_CREDENTIALS, CLIENT_ID_MISMATCH -> Refusal.NOT_AUTHORIZED;
      case ERROR -> Refusal.SERVER_UNAVAILABLE;
    };
  }

  /** The kinds of uplink failure the device is told about differently. */
  private enum UplinkFailure { TOPIC_REJECTED, TOPIC_NOT_AUTHORIZED, OVERLOADED, NOT_AUTHORIZED, UNSPECIFIED }

  private static UplinkFailure classify(Throwable failure) {
    if (failure instanceof RejectedTopicException) {
      return UplinkFailure.TOPIC_REJECTED;
    }
    if (failure instanceof TopicNotAuthorizedException) {
      return UplinkFailure.TOPIC_NOT_AUTHORIZED;
    }
    if (failure instanceof OverloadedException) {
      return UplinkFailure.OVERLOADED;
    }
    if (failure instanceof AuthorizationException) {
      return UplinkFailure.NOT_AUTHORIZED;
    }
    return UplinkFailure.UNSPECIFIED;
  }

  /** The MQTT 5 PUBACK reason code for an uplink failure. */
  public static MqttPubAckReasonCode puback(Throwable failure) {
    return switch (classify(failure)) {
      case TOPIC_REJECTED -> MqttPubAckReasonCode.TOPIC_NAME_INVALID;
      case TOPIC_NOT_AUTHORIZED, NOT_AUTHORIZED -> MqttPubAckReasonCode.NOT_AUTHORIZED;
      case OVERLOADED -> MqttPubAckReasonCode.QUOTA_EXCEEDED;
      case UNSPECIFIED -> MqttPubAckReasonCode.UNSPECIFIED_ERROR;
    };
  }

  /**
   * The MQTT 5 DISCONNECT reason code for an uplink failure that cannot be told in a PUBACK: QoS 0
   * has no acknowledgement, and vert.x 5.0.8 drops reason codes on PUBREC.
   */
  public static MqttDisconnectReasonCode disconnect(Throwable failure) {
    return switch (classify(failure)) {
      case TOPIC_REJECTED -> MqttDisconnectReasonCode.TOPIC_NAME_INVALID;
      case TOPIC_NOT_AUTHORIZED, NOT_AUTHORIZED -> MqttDisconnectReasonCode.NOT_AUTHORIZED;
      case OVERLOADED -> MqttDisconnectReasonCode.QUOTA_EXCEEDED;
      case UNSPECIFIED -> MqttDisconnectReasonCode.UNSPECIFIED_ERROR;
    };
  }

  /**
   * True when the device caused the failure (log at DEBUG), false when it is ours (count, warn). Kafka
   * refusing the bridge's own write (a missing ACL) is the operator's to fix, not the device's: the
   * device is told "not authorized" all the same.
   */
  public static boolean isDeviceFault(Throwable failure) {
    UplinkFailure kind = classify(failure);
    return kind == UplinkFailure.TOPIC_REJECTED || kind == UplinkFailure.TOPIC_NOT_AUTHORIZED;
  }
}
