package io.mqttkafka.bridge.tls;

import io.mqttkafka.bridge.config.MqttSettings;
import io.mqttkafka.bridge.config.ConfigException;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Certificate reload without restart: every {@code mqtt.tls.reloadInterval} it looks at the
 * modification time, size and identity (inode) of the certificate, key and CA files, and when one
 * changed reads all of them again and hands them to {@link ServerTls}; the session ticket keys file
 * likewise, on its own. Runs on a worker thread, never on an event loop. Material that does not
 * load (a key that does not match the certificate yet, half-written files) is reported once and the
 * current certificate stays; the next change is tried again.
 *
 * <p>Follows symbolic links, so a Kubernetes Secret volume, which swaps a {@code ..data} link, works.
 */
public final class CertificateReloader extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(CertificateReloader.class);

  private final MqttSettings.Tls config;
  private final ServerTls target;
  /** Touched only by the (ordered) blocking tasks. */
  private Map<Path, Object> seen;
  private boolean checking;

  /**
   * @param seen the files' {@link #stamps} taken before {@code target}'s current material was read
   */
  CertificateReloader(MqttSettings.Tls config, ServerTls target, Map<Path, Object> seen) {
    this.config = config;
    this.target = target;
    this.seen = seen;
  }

  /** The certificate, key and CA files: read again together when one of them changed. */
  private static List<Path> certificateFiles(MqttSettings.Tls config) {
    List<Path> files = new ArrayList<>();
    config.certFile().ifPresent(files::add);
    config.keyFile().ifPresent(files::add);
    config.caFile().ifPresent(files::add);
    return files;
  }

  /** What identifies each watched file's current version (certificates and ticket keys); blocks. */
  static Map<Path, Object> stamps(MqttSettings.Tls config) {
    List<Path> files = certificateFiles(config);
    config.ticketKeysFile().ifPresent(files::add);
    Map<Path, Object> stamps = new LinkedHashMap<>();
    for (Path file : files) {
      stamps.put(file, stamp(file));
    }
    return stamps;
  }

  private static Object stamp(Path file) {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return List.of(a.lastModifiedTime(), a.size(), String.valueOf(a.fileKey()));
    } catch (NoSuchFileException e) {
      return "missing";
    } catch (IOException e) {
      return "unreadable: " + e.getMessage();
    }
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(config.reloadInterval().toMillis(), id -> poll());
    return Future.succeededFuture();
  }

  private void poll() {
    if (checking) {
      return;
    }
    checking = true;
    vertx.executeBlocking(() -> {
      reloadIfChanged();
      return null;
    }).onComplete(done -> checking = false);
  }

  private void reloadIfChanged() {
    Map<Path, Object> now = stamps(config);
    if (now.equals(seen)) {
      return;
    }
    Map<Path, Object> before = seen;
    seen = now;
    Predicate<Path> changed = file -> !Objects.equals(before.get(file), now.get(file));
    config.ticketKeysFile().filter(changed).ifPresent(this::reloadTicketKeys);
    if (certificateFiles(config).stream().anyMatch(changed)) {
      reloadCertificates();
    }
  }

  private void reloadCertificates() {
    TlsMaterial material;
    try {
      material = TlsMaterial.load(config);
      target.apply(material);
    } catch (ConfigException | GeneralSecurityException e) {
      LOG.warn("TLS files changed but cannot be used, new connections keep getting the current certificate"
          + " ({}): {}", target.current().describe(), e.getMessage());
      return;
    }
    LOG.info("TLS certificate reloaded: new connections get {}", material.describe());
    material.validityProblem(Instant.now()).ifPresent(problem ->
        LOG.warn("The reloaded TLS certificate is {}: clients will refuse it", problem));
  }

  private void reloadTicketKeys(Path file) {
    try {
      List<OpenSslSessionTicketKey> keys = TicketKeys.read(file);
      target.applyTicketKeys(keys);
      LOG.info("TLS session ticket keys reloaded from {}: {} key(s), the first makes new tickets", file, keys.size());
    } catch (ConfigException e) {
      LOG.warn("TLS session ticket keys changed but cannot be used, the current ones stay: {}", e.getMessage());
    }
  }
}
