package io.mqttkafka.bridge.config;

/**
 * Entry {@code index} of {@code mappings.uplink}. {@code match} is the regex; it may contain
 * ${clientId} and ${username}, which stand for the connection's own values. {@code topic} and
 * {@code key} may use $1..$n, ${clientId} and ${username}.
 */
public record UplinkRule(int index, String name, String match, String topic, String key) {}
