package io.mqttkafka.bridge.testkit;

import java.lang.reflect.Method;
import javax.net.ssl.SSLEngine;

/**
 * Whether a client's TLS handshake resumed a session. Only Netty's OpenSSL engine says so, through
 * a method it does not make public; the JDK's engine does not say at all.
 */
final class TlsResumption {

  private static final Method REUSED = reusedMethod();

  private TlsResumption() {
  }

  /** True or false for an OpenSSL engine; null when the engine does not say. */
  static Boolean reused(SSLEngine engine) {
    if (REUSED == null || !REUSED.getDeclaringClass().isInstance(engine)) {
      return null;
    }
    try {
      return (Boolean) REUSED.invoke(engine);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  private static Method reusedMethod() {
    try {
      Method m = Class.forName("io.netty.handler.ssl.ReferenceCountedOpenSslEngine").getDeclaredMethod("isSessionReused");
      m.setAccessible(true);
      return m;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }
}
