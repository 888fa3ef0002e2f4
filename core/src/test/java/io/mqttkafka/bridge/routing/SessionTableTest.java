package io.mqttkafka.bridge.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.records.PresenceRecord;
import io.mqttkafka.bridge.records.PresenceRecord.Event;
import io.mqttkafka.bridge.records.PresenceRecord.Session;
import io.mqttkafka.bridge.records.PresenceRecord.Subscription;
import io.mqttkafka.bridge.routing.SubscriptionTable.Applied.Action;
import io.mqttkafka.bridge.routing.SubscriptionTable.Route.Kind;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link SubscriptionTable} with persistent sessions: offline sessions, their expiry, and the router's records for them. */
class SessionTableTest {

  private static final long HOUR = 3_600;
  private static final List<Subscription> FILTERS = List.of(new Subscription("DL/car1/#", 1));

  private final SubscriptionTable table = new SubscriptionTable();

  private static PresenceRecord connected(String connectionId, List<Integer> qos2) {
    return new PresenceRecord(Event.CONNECTED, "i1", connectionId, true, FILTERS, 4, 0,
        new Session(HOUR, 0, qos2));
  }

  private static PresenceRecord disconnected(String connectionId, long expiresAt, List<Integer> qos2) {
    return new PresenceRecord(Event.DISCONNECTED, "i1", connectionId, false, FILTERS, 4, 0,
        new Session(HOUR, expiresAt, qos2));
  }

  @Test
  void aPersistentSessionOutlivesItsConnectionWithItsFiltersAndQos2PacketIds() {
    table.apply("car1", connected("i1/1", List.of()));
    table.apply("car1", disconnected("i1/1", 5_000, List.of(7, 9)));

    assertThat(table.lookup("car1", "DL/car1/x")).satisfies(route -> {
      assertThat(route.kind()).isEqualTo(Kind.OFFLINE);
      assertThat(route.persistent()).isTrue();
    });
    assertThat(table.connection("car1")).as("not connected").isNull();
    assertThat(table.session("car1")).satisfies(session -> {
      assertThat(session.connected()).isFalse();
      assertThat(session.filters()).isEqualTo(FILTERS);
      assertThat(session.qos2Received()).containsExactly(7, 9);
      assertThat(session.expiryInterval()).isEqualTo(HOUR);
    });
    assertThat(table.offlineSessions()).isEqualTo(1);
    assertThat(table.instances()).as("an offline session is connected through no instance").isEmpty();
  }

  @Test
  void anOfflineSessionExpiresAtItsTimeWithAnExpiredRecordNamingItsLastConnection() {
    table.apply("car1", disconnected("i1/1", 5_000, List.of()));

    assertThat(table.expireDue(4_999)).isEmpty();
    var expired = table.expireDue(5_000);

    assertThat(expired).containsOnlyKeys("car1");
    assertThat(expired.get("car1").event()).isEqualTo(Event.EXPIRED);
    assertThat(expired.get("car1").connectionId()).isEqualTo("i1/1");
    assertThat(table.session("car1")).isNull();
    assertThat(table.size()).isZero();
    assertThat(table.offlineSessions()).isZero();
    // Read back, the router's own record changes nothing more.
    assertThat(table.apply("car1", expired.get("car1")).action()).isEqualTo(Action.NONE);
  }

  @Test
  void aSessionResumedBeforeItsExpiryDoesNotExpireAndALateExpiredRecordIsIgnored() {
    table.apply("car1", disconnected("i1/1", 5_000, List.of()));
    table.apply("car1", connected("i2/1", List.of()));

    assertThat(table.expireDue(10_000)).isEmpty();
    table.apply("car1", new PresenceRecord(Event.EXPIRED, "i1", "i1/1", false, List.of(), 0, 0));

    assertThat(table.connection("car1")).isNotNull();
    assertThat(table.lookup("car1", "DL/car1/x").kind()).isEqualTo(Kind.DELIVER);
  }

  @Test
  void eachDisconnectReplacesTheExpiryOfTheOneBefore() {
    for (int i = 0; i < 100; i++) {
      table.apply("car1", connected("i1/" + i, List.of()));
      table.apply("car1", disconnected("i1/" + i, 1_000 + i, List.of()));
    }
    assertThat(table.offlineSessions()).isEqualTo(1);
    assertThat(table.expireDue(1_098)).isEmpty();
    assertThat(table.expireDue(1_099)).containsOnlyKeys("car1");
  }

  @Test
  void aConnectedPersistentClientIsRoutedToItsConnectionAndSaidPersistent() {
    table.apply("car1", connected("i1/1", List.of()));

    assertThat(table.lookup("car1", "DL/car1/x")).satisfies(route -> {
      assertThat(route.kind()).isEqualTo(Kind.DELIVER);
      assertThat(route.persistent()).isTrue();
    });
    assertThat(table.instances()).containsExactly("i1");
    assertThat(table.connectedThrough("i1")).containsExactly("car1");
    assertThat(table.connectedThrough("i2")).isEmpty();
  }

  @Test
  void theRoutersOfflineRecordOfAConnectionWhoseInstanceIsGoneStartsItsExpiryThen() {
    table.apply("car1", connected("i1/1", List.of(3)));

    PresenceRecord offline = table.offlineRecord("car1", 1_000_000);

    assertThat(offline.event()).isEqualTo(Event.DISCONNECTED);
    assertThat(offline.connectionId()).isEqualTo("i1/1");
    assertThat(offline.filters()).isEqualTo(FILTERS);
    assertThat(offline.session()).isEqualTo(new Session(HOUR, 1_000_000 + HOUR * 1000, List.of(3)));
    table.apply("car1", offline);
    assertThat(table.offlineSessions()).isEqualTo(1);
  }

  @Test
  void aCleanConnectionsOfflineRecordHasNoSessionAndEndsIt() {
    table.apply("car2", new PresenceRecord(Event.CONNECTED, "i1", "i1/2", true, FILTERS, 4, 0));

    PresenceRecord offline = table.offlineRecord("car2", 1_000);

    assertThat(offline.session()).isNull();
    assertThat(offline.filters()).isEmpty();
    table.apply("car2", offline);
    assertThat(table.size()).isZero();
    assertThat(table.lookup("car2", "DL/car1/x").persistent()).isFalse();
  }

  @Test
  void aLateRecordOfAnOlderConnectionAfterAnOfflineSessionAsksTheRouterToRestateIt() {
    table.apply("car1", connected("i1/1", List.of()));
    table.apply("car1", connected("i1/2", List.of()));
    table.apply("car1", disconnected("i1/2", 9_000, List.of()));

    var applied = table.apply("car1", new PresenceRecord(Event.SUBSCRIBED, "i1", "i1/1", true, FILTERS, 4, 0,
        new Session(HOUR, 0, List.of())));

    assertThat(applied.action()).isEqualTo(Action.RESTATE);
    assertThat(table.offlineRecord("car1", 1).session().expiresAt()).as("kept").isEqualTo(9_000);
  }

  @Test
  void anOfflineSessionIsRebuiltFromItsLastRecordAlone() {
    SubscriptionTable rebuilt = new SubscriptionTable();

    rebuilt.apply("car1", disconnected("i1/1", 5_000, List.of(1)));

    assertThat(rebuilt.session("car1").qos2Received()).containsExactly(1);
    assertThat(rebuilt.expireDue(5_000)).containsOnlyKeys("car1");
  }

  @Test
  void aTakeoverIsToldOnlyForAConnectedClientNotForAnOfflineSession() {
    table.apply("car1", disconnected("i1/1", 5_000, List.of()));

    assertThat(table.apply("car1", connected("i2/1", List.of())).action()).isEqualTo(Action.NONE);
    assertThat(table.apply("car1", connected("i3/1", List.of())).action()).isEqualTo(Action.TAKEOVER);
  }
}
