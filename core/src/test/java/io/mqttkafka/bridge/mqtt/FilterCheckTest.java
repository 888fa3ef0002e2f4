package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.config.MqttSettings;
import io.mqttkafka.bridge.mqtt.FilterCheck.Result;
import io.mqttkafka.bridge.mqtt.FilterCheck.Verdict;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a SUBSCRIBE of one filter would get: the admin API's filter test, with SUBSCRIBE's order of checks. */
class FilterCheckTest {

  private static final List<String> ALLOWED = List.of("DL/${clientId}/#", "news/+", "user/${username}/#");
  private static final MqttSettings.Limits LIMITS = new MqttSettings.Limits(0, 0, 0, 16, 4, 0, 0, 0, 0,
      Duration.ofSeconds(5), 0);

  @Test
  void aCoveredFilterIsGrantedAtMostQos1NamingTheAllowedFilter() {
    assertThat(check("car1", null, "DL/car1/#", 2)).isEqualTo(new Result(Verdict.GRANTED, "DL/${clientId}/#", 1));
    assertThat(check("car1", null, "news/today", 0)).isEqualTo(new Result(Verdict.GRANTED, "news/+", 0));
    assertThat(check("car1", "alice", "user/alice/x", 1)).isEqualTo(new Result(Verdict.GRANTED,
        "user/${username}/#", 1));
  }

  @Test
  void refusalsSayWhyInTheOrderASubscribeChecks() {
    assertThat(check("car1", null, "DL/car2/#", 1).verdict()).isEqualTo(Verdict.NOT_AUTHORIZED);
    assertThat(check("car1", null, "user/alice/x", 1).verdict()).as("anonymous: no ${username}")
        .isEqualTo(Verdict.NOT_AUTHORIZED);
    assertThat(check("car1", null, "DL/#/x", 1).verdict()).isEqualTo(Verdict.INVALID_FILTER);
    assertThat(check("car1", null, "DL/car1/a/b/c", 1).verdict()).isEqualTo(Verdict.TOPIC_LEVELS);
    assertThat(check("car1", null, "DL/car1/abcdefghijklmnop", 1).verdict()).isEqualTo(Verdict.TOPIC_LENGTH);
  }

  private static Result check(String clientId, String username, String filter, int qos) {
    return FilterCheck.check(ALLOWED, LIMITS, clientId, username, filter, qos);
  }
}
