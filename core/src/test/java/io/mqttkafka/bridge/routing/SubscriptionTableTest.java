package io.mqttkafka.bridge.routing;

import io.mqttkafka.bridge.records.PresenceRecord;
import static org.assertj.core.api.Assertions.assertThat;

import io.mqttkafka.bridge.records.PresenceRecord.Event;
import io.mqttkafka.bridge.records.PresenceRecord.Subscription;
import io.mqttkafka.bridge.routing.SubscriptionTable.Applied;
import io.mqttkafka.bridge.routing.SubscriptionTable.Applied.Action;
import io.mqttkafka.bridge.routing.SubscriptionTable.Route;
import io.mqttkafka.bridge.routing.SubscriptionTable.Route.Kind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SubscriptionTableTest {

  private static final Route OFFLINE = new Route(Kind.OFFLINE, null, null, -1, false);
  private static final Applied NONE = new Applied(Action.NONE, null, null);

  private static final Event[] CLEAN_EVENTS = {Event.CONNECTED, Event.SUBSCRIBED, Event.UNSUBSCRIBED,
      Event.REFRESHED, Event.UPDATED, Event.DISCONNECTED};

  private final SubscriptionTable table = new SubscriptionTable();

  private static PresenceRecord record(Event event, String instanceId, String connectionId, String... filters) {
    List<Subscription> subscriptions = new ArrayList<>();
    for (String filter : filters) {
      int at = filter.lastIndexOf('@'); // "DL/#@1": filter DL/# at QoS 1; no '@': QoS 0
      subscriptions.add(at < 0 ? new Subscription(filter, 0)
          : new Subscription(filter.substring(0, at), Integer.parseInt(filter.substring(at + 1))));
    }
    boolean connected = event != Event.DISCONNECTED && event != Event.EXPIRED;
    return new PresenceRecord(event, instanceId, connectionId, connected, subscriptions, 4, 0);
  }

  private static Route deliver(String instanceId, String connectionId, int qos) {
    return new Route(Kind.DELIVER, instanceId, connectionId, qos, false);
  }

  private static Route notSubscribed(String instanceId, String connectionId) {
    return new Route(Kind.NOT_SUBSCRIBED, instanceId, connectionId, -1, false);
  }


  @Test
  void anUnknownClientIsOffline() {
    assertThat(table.lookup("car1", "DL/WARN")).isEqualTo(OFFLINE);
    assertThat(table.size()).isZero();
  }

  @Test
  void aConnectedClientWithAMatchingFilterIsDeliveredToItsConnection() {
    assertThat(table.apply("car1", record(Event.CONNECTED, "i1", "i1/c1", "DL/#@1"))).isEqualTo(NONE);
    assertThat(table.lookup("car1", "DL/WARN")).isEqualTo(deliver("i1", "i1/c1", 1));
    assertThat(table.lookup("car2", "DL/WARN")).isEqualTo(OFFLINE);
    assertThat(table.size()).isEqualTo(1);
  }

  @Test
  void aConnectedClientWithoutAMatchingFilterIsNotSubscribed() {
    table.apply("car1", record(Event.CONNECTED, "i1", "i1/c1"));
    assertThat(table.lookup("car1", "DL/WARN")).isEqualTo(notSubscribed("i1", "i1/c1"));

    table.apply("car1", record(Event.SUBSCRIBED, "i1", "i1/c1", "DL/INFO@1"));
    assertThat(table.lookup("car1", "DL/WARN")).isEqualTo(notSubscribed("i1", "i1/c1"));
  }

  @Test
  void subscribeAndUnsubscribeReplaceTheFilterList() {
    table.apply("car1", record(Event.CONNECTED, "i1", "i1/c1"));
    assertThat(table.apply("car1", record(Event.SUBSCRIBED, "i1", "i1/c1", "DL/WARN@1"))).isEqualTo(NONE);
    assertThat(table.lookup("car1", "DL/WARN")).isEqualTo(deliver("i1", "i1/c1", 1));

    table.apply("car1", record(Event.SUBSCRIBED, "i1", "i1/c1", "DL/WARN@1", "DL/INFO"));
    assertThat(table.lookup("car1", "DL/INFO")).isEqualTo(deliver("i1", "i1/c1", 0));

    assertThat(table.apply("car1", record(Event.UNSUBSCRIBED, "i1", "i1/c1", "DL/INFO"))).isEqualTo(NONE);
    assertThat(table.lookup("car1", "DL/WARN")).isEqualTo(notSubscribed("i1", "i1/c1"));
    assertThat(table.lookup("car1", "DL/INFO")).isEqualTo(deliver("i1", "i1/c1", 0));
  }

  @Test
  void disconnectRemovesTheClient() {
    table.apply("car1", record(Event.CONNECTED, "i1", "i1/c1", "DL/#"));
    assertThat(table.apply("car1", record(Event.DISCONNECTED, "i1", "i1/c1"))).isEqualTo(NONE);
    assertThat(table.lookup("car1", "DL/WARN")).isEqualTo(OFFLINE);
    assertThat(table.size()).isZero();
    assertThat(table.filterSetCount()).isZero();
  }

  @Test
  void aNewerConnectionTakesOverAndNamesTheOldOne() {
    table.apply("car1", record(Event.CONNECTED, "i1", "i1/c1", "DL/#@1"));
    assertThat(table.apply("car1", record(Event.CONNECTED, "i2", "i2/c7", "DL/WARN")))
        .isEqualTo(new Applied(Action.TAKEOVER, "i1", "i1/c1"));
    assertThat(table.lookup("car1", "DL/WARN")).isEqualTo(deliver("i2", "i2/c7", 0));
    assertThat(table.lookup("car1", "DL/INFO")).isEqualTo(notSubscribed("i2", "i2/c7"));
    assertThat(table.size()).isEqualTo(1);
  }

  @Test
  void theSameConnectionConnectingAgainIsNoTakeover() {
    table.apply("car1", record(Event.CONNECTED, "i1", "i1/c1", "DL/#"));
    assertThat(table.apply("car1", record(Event.CONNECTED, "i1", "i1/c1", "DL/#@1"))).isEqualTo(NONE);
    assertThat(table.lookup("car1", "DL/x")).isEqualTo(deliver("i1", "i1/c1", 1));
  }

  @Test
  void aLateDisconnectOfTheOldConnectionIsStaleAndKeepsTheNewOne() {
    table.apply("car1", record(Event.CONNECTED, "i1", "i1/c1", "DL/#"));
    table.apply("car1", record(Event.CONNECTED, "i2", "i2/c7", "DL/#@1"));
    assertThat(table.apply("car1", record(Event.DISCONNECTED, "i1", "i1/c1")))
        .isEqualTo(new Applied(Action.STALE, "i2", "i2/c7"));
    assertThat(table.lookup("car1", "DL/WARN")).isEqualTo(deliver("i2", "i2/c7", 1));
    assertThat(table.size()).isEqualTo(1);
  }

  @Test
  void aLateSubscribeOfTheOldConnectionIsStale() {
    table.apply("car1", record(Event.CONNECTED, "i1", "i1/c1", "DL/#"));
    table.apply("car1", record(Event.CONNECTED, "i1", "i1/c2", "DL/WARN"));
    assertThat(table.apply("car1", record(Event.SUBSCRIBED, "i1", "i1/c1", "DL/#", "DL/INFO@1")))
        .isEqualTo(new Applied(Action.STALE, "i1", "i1/c2"));
    assertThat(table.apply("car1", record(Event.UNSUBSCRIBED, "i1", "i1/c1")))
        .isEqualTo(new Applied(Action.STALE, "i1", "i1/c2"));
    assertThat(table.lookup("car1", "DL/INFO")).isEqualTo(notSubscribed("i1", "i1/c2"));
    assertThat(table.lookup("car1", "DL/WARN")).isEqualTo(deliver("i1", "i1/c2", 0));
  }

  @Test
  void aRefreshRewritesTheCurrentConnectionsState() {
    table.apply("car1", record(Event.CONNECTED, "i1", "i1/c1", "DL/#"));
    assertThat(table.apply("car1", record(Event.REFRESHED, "i1", "i1/c1", "DL/#@1"))).isEqualTo(NONE);
    assertThat(table.lookup("car1", "DL/x")).isEqualTo(deliver("i1", "i1/c1", 1));
  }

  @Test
  void aRefreshFromAConnectionThatWasTakenOverIsStale() {
    // The router asked c1 to refresh just before c2 connected: c1 must not win back the client.
    table.apply("car1", record(Event.CONNECTED, "i1", "i1/c1", "DL/#"));
    table.apply("car1", record(Event.CONNECTED, "i2", "i2/c2", "DL/#"));
    assertThat(table.apply("car1", record(Event.REFRESHED, "i1", "i1/c1", "DL/#")))
        .isEqualTo(new Applied(Action.STALE, "i2", "i2/c2"));
    assertThat(table.lookup("car1", "DL/x")).isEqualTo(deliver("i2", "i2/c2", 0));
  }

  @Test
  void aDisconnectOfAnUnknownClientChangesNothingAndIsNotStale() {
    assertThat(table.apply("car1", record(Event.DISCONNECTED, "i1", "i1/c1"))).isEqualTo(NONE);
    assertThat(table.size()).isZero();
  }

  @Test
  void anyNonFinalRecordRestoresAClientWhoseEarlierRecordsWereCompactedAway() {
    assertThat(table.apply("car1", record(Event.SUBSCRIBED, "i1", "i1/c1", "DL/#@1"))).isEqualTo(NONE);
    assertThat(table.apply("car2", record(Event.UNSUBSCRIBED, "i1", "i1/c2", "DL/A"))).isEqualTo(NONE);
    assertThat(table.apply("car3", record(Event.REFRESHED, "i2", "i2/c3", "DL/+"))).isEqualTo(NONE);
    assertThat(table.lookup("car1", "DL/x")).isEqualTo(deliver("i1", "i1/c1", 1));
    assertThat(table.lookup("car2", "DL/A")).isEqualTo(deliver("i1", "i1/c2", 0));
    assertThat(table.lookup("car3", "DL/A")).isEqualTo(deliver("i2", "i2/c3", 0));
  }

  @Test
  void aTombstoneRemovesTheClient() {
    table.apply("car1", record(Event.CONNECTED, "i1", "i1/c1", "DL/#"));
    table.apply("car2", record(Event.CONNECTED, "i1", "i1/c2", "DL/#"));
    table.applyTombstone("car1");
    table.applyTombstone("car9");
    assertThat(table.lookup("car1", "DL/x")).isEqualTo(OFFLINE);
    assertThat(table.lookup("car2", "DL/x")).isEqualTo(deliver("i1", "i1/c2", 0));
    assertThat(table.size()).isEqualTo(1);
  }

  @Test
  void wildcardsMatchAsMqttDefines() {
    table.apply("car1", record(Event.CONNECTED, "i1", "i1/c1", "DL/+/WARN", "CMD/#@1"));
    assertThat(table.lookup("car1", "DL/engine/WARN").kind()).isEqualTo(Kind.DELIVER);
    assertThat(table.lookup("car1", "DL/engine/oil/WARN").kind()).isEqualTo(Kind.NOT_SUBSCRIBED);
    assertThat(table.lookup("car1", "DL/WARN").kind()).isEqualTo(Kind.NOT_SUBSCRIBED);
    assertThat(table.lookup("car1", "CMD").kind()).isEqualTo(Kind.DELIVER); // '#' includes the parent
    assertThat(table.lookup("car1", "CMD/a/b/c").kind()).isEqualTo(Kind.DELIVER);
    assertThat(table.lookup("car1", "CMDX/a").kind()).isEqualTo(Kind.NOT_SUBSCRIBED);
  }

  @Test
  void theGrantedQosIsTheHighestAmongMatchingFilters() {
    table.apply("car1", record(Event.CONNECTED, "i1", "i1/c1", "DL/#", "DL/+/WARN@2", "DL/engine/WARN@1"));
    assertThat(table.lookup("car1", "DL/engine/WARN").grantedQos()).isEqualTo(2);
    assertThat(table.lookup("car1", "DL/body/WARN").grantedQos()).isEqualTo(2);
    assertThat(table.lookup("car1", "DL/engine/INFO").grantedQos()).isZero();

    table.apply("car2", record(Event.CONNECTED, "i1", "i1/c2", "DL/engine/WARN@1", "DL/#"));
    assertThat(table.lookup("car2", "DL/engine/WARN").grantedQos()).isEqualTo(1);
  }

  @Test
  void replayingTheSameLogGivesTheSameTable() {
    List<Map.Entry<String, PresenceRecord>> log = randomLog(new Random(7), 20_000);
    SubscriptionTable first = new SubscriptionTable();
    SubscriptionTable second = new SubscriptionTable();
    List<Applied> firstResults = new ArrayList<>();
    List<Applied> secondResults = new ArrayList<>();
    log.forEach(e -> firstResults.add(first.apply(e.getKey(), e.getValue())));
    log.forEach(e -> secondResults.add(second.apply(e.getKey(), e.getValue())));

    assertThat(secondResults).isEqualTo(firstResults);
    assertThat(firstResults).extracting(Applied::action).contains(Action.NONE, Action.TAKEOVER, Action.STALE);
    assertThat(first.size()).isEqualTo(second.size()).isPositive();
    assertThat(routes(second)).isEqualTo(routes(first));
    assertThat(routes(first).values()).extracting(Route::kind).contains(Kind.DELIVER, Kind.NOT_SUBSCRIBED, Kind.OFFLINE);
  }

  @Test
  void theLastRecordPerClientRebuildsTheTableOnceStaleRecordsAreFollowedByARefresh() {
    List<Map.Entry<String, PresenceRecord>> log = randomLog(new Random(11), 20_000);
    Map<String, PresenceRecord> current = new LinkedHashMap<>(); // what each owner would write again
    Map<String, PresenceRecord> compacted = new LinkedHashMap<>(); // the last record per client
    for (Map.Entry<String, PresenceRecord> e : log) {
      String client = e.getKey();
      PresenceRecord written = e.getValue();
      if (table.apply(client, written).action() == Action.STALE) {
        PresenceRecord state = current.get(client);
        written = new PresenceRecord(Event.REFRESHED, state.instanceId(), state.connectionId(), true,
            state.filters(), 4, 0);
        assertThat(table.apply(client, written)).isEqualTo(NONE);
      }
      if (written.connected()) {
        current.put(client, written);
      } else {
        current.remove(client);
      }
      compacted.remove(client); // compaction keeps the last record, at its own position
      compacted.put(client, written);
    }
    SubscriptionTable rebuilt = new SubscriptionTable();
    compacted.forEach((client, record) -> assertThat(rebuilt.apply(client, record).action()).isEqualTo(Action.NONE));
    assertThat(rebuilt.size()).isEqualTo(table.size()).isEqualTo(current.size()).isPositive();
    assertThat(routes(rebuilt)).isEqualTo(routes(table));
  }

  @Test
  void equalFilterListsAreSharedBetweenClients() {
    int clients = 200_000;
    for (int i = 0; i < clients; i++) {
      // fresh strings and lists for every record, as the Kafka deserializer makes them
      table.apply("car" + i, record(Event.CONNECTED, new String("instance-1"), "instance-1/" + i, "DL/#@1",
          new String("CMD/+/run")));
    }
    assertThat(table.size()).isEqualTo(clients);
    assertThat(table.filterSetCount()).isEqualTo(1);
    Filters shared = table.filtersOf("car0");
    Route first = table.lookup("car0", "DL/x");
    for (int i = 1; i < clients; i++) {
      assertThat(table.filtersOf("car" + i)).isSameAs(shared);
    }
    assertThat(table.lookup("car" + (clients - 1), "DL/x").instanceId()).isSameAs(first.instanceId());
  }

  @Test
  void filterListsAreForgottenWithTheirLastClient() {
    table.apply("car1", record(Event.CONNECTED, "i1", "i1/c1", "DL/car1/#"));
    table.apply("car2", record(Event.CONNECTED, "i1", "i1/c2", "DL/car2/#"));
    table.apply("car3", record(Event.CONNECTED, "i1", "i1/c3", "DL/car2/#"));
    assertThat(table.filterSetCount()).isEqualTo(2);

    table.apply("car1", record(Event.SUBSCRIBED, "i1", "i1/c1", "DL/car1/#", "DL/all"));
    table.apply("car2", record(Event.DISCONNECTED, "i1", "i1/c2"));
    assertThat(table.filterSetCount()).isEqualTo(2);
    table.applyTombstone("car3");
    assertThat(table.filterSetCount()).isEqualTo(1);
    table.apply("car1", record(Event.CONNECTED, "i2", "i2/c9", "DL/car1/#"));
    assertThat(table.filterSetCount()).isEqualTo(1);
    assertThat(table.lookup("car1", "DL/all")).isEqualTo(notSubscribed("i2", "i2/c9"));
  }

  @Test
  void clearForgetsEverything() {
    table.apply("car1", record(Event.CONNECTED, "i1", "i1/c1", "DL/#"));
    table.clear();
    assertThat(table.size()).isZero();
    assertThat(table.filterSetCount()).isZero();
    assertThat(table.lookup("car1", "DL/x")).isEqualTo(OFFLINE);
    table.apply("car1", record(Event.CONNECTED, "i1", "i1/c2", "DL/#"));
    assertThat(table.lookup("car1", "DL/x")).isEqualTo(deliver("i1", "i1/c2", 0));
  }

  /** Presence records of 50 clients moving between 3 instances, with late records of old connections. */
  private static List<Map.Entry<String, PresenceRecord>> randomLog(Random random, int length) {
    String[] filterChoices = {"DL/#@1", "DL/+/WARN@2", "DL/A", "CMD/#"};
    Map<String, List<String>> connections = new LinkedHashMap<>(); // client -> its connections so far
    List<Map.Entry<String, PresenceRecord>> log = new ArrayList<>();
    for (int i = 0; i < length; i++) {
      String client = "car" + random.nextInt(50);
      List<String> own = connections.computeIfAbsent(client, c -> new ArrayList<>());
      // The events of connections without a persistent session ("expired" ends offline sessions only).
      Event event = CLEAN_EVENTS[random.nextInt(CLEAN_EVENTS.length)];
      if (own.isEmpty() || event == Event.CONNECTED) {
        event = Event.CONNECTED;
        own.add("i" + random.nextInt(3) + "/" + i);
      }
      // mostly the newest connection, sometimes an older one (a late record)
      String connection = own.get(random.nextInt(4) == 0 ? random.nextInt(own.size()) : own.size() - 1);
      String[] filters = new String[random.nextInt(3)];
      for (int f = 0; f < filters.length; f++) {
        filters[f] = filterChoices[random.nextInt(filterChoices.length)];
      }
      String instance = connection.substring(0, connection.indexOf('/'));
      log.add(Map.entry(client, record(event, instance, connection, filters)));
    }
    return log;
  }

  private static Map<String, Route> routes(SubscriptionTable table) {
    Map<String, Route> routes = new LinkedHashMap<>();
    for (int c = 0; c < 50; c++) {
      for (String topic : List.of("DL/A", "DL/x/WARN", "CMD/go", "OTHER")) {
        routes.put("car" + c + " " + topic, table.lookup("car" + c, topic));
      }
    }
    return routes;
  }
}
