package io.mqttkafka.bridge.mqtt;

/**
 * What one connection was admitted with and keeps while it lasts, whatever a reload changes later: who
 * it is, and what its CONNACK told it.
 *
 * @param username         the authenticated user name (fills ${username}), or null for an anonymous client
 * @param keepAliveSeconds the keep-alive the bridge enforces for this connection (0: none)
 * @param receiveMaximum   the Receive Maximum in force when it connected (MQTT 5: told in CONNACK)
 */
record ConnectionTerms(String username, int keepAliveSeconds, int receiveMaximum) {
}
