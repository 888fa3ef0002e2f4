package io.mqttkafka.bridge.bench;

import io.mqttkafka.bridge.testkit.TestCertificates;
import io.mqttkafka.bridge.testkit.TestCertificates.Credential;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code bench certs}: a CA and a server certificate for localhost and 127.0.0.1 signed by it, both
 * P-256 (ECDSA), valid 30 days, as PEM files for a bridge's TLS listener and the bench's
 * {@code --tls-ca}. For benchmarks only: the keys are written unencrypted.
 */
final class CertsCommand {

  static final String USAGE = """
        bench certs --dir DIR        write DIR/ca.pem, DIR/server.pem and DIR/server.key (P-256) for a
                                     TLS benchmark
      """;

  private CertsCommand() {
  }

  static void run(Args args) throws Exception {
    String dir = args.string("dir", "");
    args.checkAllUsed();
    if (dir.isEmpty()) {
      throw new Args.UsageException("--dir DIR is required");
    }
    Path out = Files.createDirectories(Path.of(dir));
    Credential ca = TestCertificates.ca("mqtt-kafka-bridge bench CA");
    Credential server = TestCertificates.server(ca, "mqtt-kafka-bridge bench");
    ca.writeCertificate(out.resolve("ca.pem"));
    server.writeCertificate(out.resolve("server.pem"));
    server.writeKey(out.resolve("server.key"));
    System.err.println("wrote " + out.resolve("ca.pem") + ", server.pem and server.key (P-256)");
  }
}
