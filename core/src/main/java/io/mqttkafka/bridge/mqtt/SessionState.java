package io.mqttkafka.bridge.mqtt;

/**
 * Where one device connection is in its life ({@link SessionLifecycle}). The transitions are the
 * methods below and {@link SessionLifecycle#closed()}; each is defined from every state, so no
 * caller can reach a state out of order:
 * <ul>
 *   <li>OPEN to CLOSING: a close begins (the bridge closes the connection, the client sent
 *       DISCONNECT, the decoder failed);</li>
 *   <li>OPEN or CLOSING to DRAINING: the bridge shuts down; a close that begins then leaves it
 *       DRAINING;</li>
 *   <li>any state to CLOSED, once: the close handler ran (the network may end an OPEN connection).</li>
 * </ul>
 * Why the connection closes ({@link CloseReason}) and whether its Will is published are recorded
 * beside the state, not in it.
 */
enum SessionState {

  /** Every packet is taken. */
  OPEN,
  /**
   * The bridge is shutting down: new QoS 1/2 PUBLISH packets are not taken (the device resends them to
   * another instance), and the connection closes once the held ones are acknowledged. Lasts until
   * CLOSED, whatever closes the connection meanwhile.
   */
  DRAINING,
  /**
   * A close has begun (the bridge disconnected the client, the client sent DISCONNECT, or the decoder
   * failed) and the close handler has not run yet. The rest of the last read still arrives and is
   * handled as when OPEN.
   */
  CLOSING,
  /** The close handler ran: nothing more is written to the connection. */
  CLOSED;

  /** The state once a close has begun: an OPEN connection is CLOSING; the others stay as they are. */
  SessionState closeBegun() {
    return this == OPEN ? CLOSING : this;
  }

  /** The state once the bridge began to shut down: DRAINING, unless the connection is closed already. */
  SessionState shutdownBegun() {
    return this == CLOSED ? CLOSED : DRAINING;
  }
}
