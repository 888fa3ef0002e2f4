package io.mqttkafka.bridge.mqtt;

import io.mqttkafka.bridge.downlink.DeliveryTarget;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The device sessions connected to this instance, by client id; shared by all bridge verticles. */
public final class SessionRegistry implements DeliveryTarget.Lookup {

  private static final Logger LOG = LoggerFactory.getLogger(SessionRegistry.class);

  private final ConcurrentMap<String, DeviceSession> sessions = new ConcurrentHashMap<>();
  private final AtomicLong connections = new AtomicLong();
  private final String instanceId;

  public SessionRegistry(String instanceId) {
    this.instanceId = instanceId;
  }

  /**
   * A connection id unique across the cluster and over time: the instance id, the instance's start
   * of this connection in epoch milliseconds and a sequence number.
   */
  String newConnectionId() {
    return instanceId + "/" + System.currentTimeMillis() + "-" + connections.incrementAndGet();
  }

  /** Registers a new session and returns the one it replaces (to be taken over), or null. */
  DeviceSession register(DeviceSession session) {
    return sessions.put(session.clientId(), session);
  }

  void unregister(DeviceSession session) {
    sessions.remove(session.clientId(), session);
  }

  @Override
  public DeviceSession get(String clientId) {
    return sessions.get(clientId);
  }

  /**
   * Writes the presence record of every connection here again. After a split of the cluster, the
   * routers of the other half took this instance for dead and said so for its connections
   * ("disconnected"): the records bring them back. A connection the routers no longer hold as its
   * client's current one (a newer one connected in the other half) is closed by them on its record.
   */
  public void refreshPresence() {
    Collection<DeviceSession> all = all();
    LOG.info("Cluster healed after a split: writing the presence of {} connections again", all.size());
    all.forEach(DeviceSession::refreshPresence);
  }

  public Collection<DeviceSession> all() {
    return List.copyOf(sessions.values());
  }

  public int size() {
    return sessions.size();
  }
}
