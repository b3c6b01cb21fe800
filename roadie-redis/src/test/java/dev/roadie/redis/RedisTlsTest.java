package dev.roadie.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Config;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * rediss://: a redis-server with a TLS port, a throwaway CA and server and client certificates made
 * with openssl, {@code tls-auth-clients yes} (Redis's default).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RedisTlsTest {
  Path tmp;
  Path pki;
  RedisServer server;
  int tlsPort;
  Repository repo;
  String digest;

  @BeforeAll
  void setUp(@TempDir Path dir) throws Exception {
    tmp = dir;
    pki = Files.createDirectories(dir.resolve("pki"));
    Files.writeString(pki.resolve("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    String ec = "ec_paramgen_curve:prime256v1";
    for (String ca : List.of("ca", "other-ca")) {
      openssl(
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          ec,
          "-noenc",
          "-keyout",
          ca + ".key",
          "-out",
          ca + ".crt",
          "-days",
          "2",
          "-subj",
          "/CN=roadie test " + ca);
    }
    for (String leaf : List.of("server", "client")) {
      openssl(
          "req",
          "-newkey",
          "ec",
          "-pkeyopt",
          ec,
          "-noenc",
          "-keyout",
          leaf + ".key",
          "-out",
          leaf + ".csr",
          "-subj",
          "/CN=" + leaf);
      List<String> sign =
          new ArrayList<>(
              List.of(
                  "x509",
                  "-req",
                  "-in",
                  leaf + ".csr",
                  "-CA",
                  "ca.crt",
                  "-CAkey",
                  "ca.key",
                  "-CAcreateserial",
                  "-out",
                  leaf + ".crt",
                  "-days",
                  "2"));
      if (leaf.equals("server")) sign.addAll(List.of("-extfile", "server.ext"));
      openssl(sign.toArray(new String[0]));
    }
    tlsPort = RedisServer.freePort();
    server =
        RedisServer.start(
            tmp.resolve("server"),
            "--tls-port",
            Integer.toString(tlsPort),
            "--tls-cert-file",
            pki.resolve("server.crt").toString(),
            "--tls-key-file",
            pki.resolve("server.key").toString(),
            "--tls-ca-cert-file",
            pki.resolve("ca.crt").toString(),
            "--tls-auth-clients",
            "yes");
    try (RespConnection c = server.connect()) {
      Dataset.fill(c);
    }
    digest = server.digest();
    repo =
        Repository.init(
            new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), Config.DEFAULT_PACK_SIZE);
  }

  private void openssl(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(pki.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) throw new IOException(String.join(" ", cmd) + " failed: " + out);
  }

  @AfterAll
  void tearDown() throws Exception {
    if (repo != null) repo.close();
    if (server != null) server.close();
  }

  private String url(String query) {
    return "rediss://127.0.0.1:" + tlsPort + (query.isEmpty() ? "" : "?" + query);
  }

  private String trusted() {
    return "cacert="
        + pki.resolve("ca.crt")
        + "&cert="
        + pki.resolve("client.crt")
        + "&key="
        + pki.resolve("client.key");
  }

  private Id backup(String url) throws IOException {
    RedisUrl u = RedisUrl.parse(url, null);
    return new RedisBackup(repo, new Progress())
        .backup(u, u.target(), List.of(), java.time.OffsetDateTime.now().toString());
  }

  @Test
  void backupAndRestoreOverTls() throws Exception {
    SnapshotRef ref = repo.readSnapshot(backup(url(trusted())));
    assertEquals("rediss://127.0.0.1:" + tlsPort, ref.snapshot().target());
    new RedisRestore(repo, new Progress())
        .online(ref, RedisUrl.parse(url(trusted()), null), RedisRestore.Mode.FLUSH);
    assertEquals(digest, server.digest());
    assertTrue(((Number) ref.snapshot().source().get("rdbBytes")).longValue() > 11 << 20);
  }

  @Test
  void untrustedCertificateIsAClearError() {
    // The JVM's trust store does not know the test CA; neither does another CA.
    for (String query :
        List.of(
            "cert=" + pki.resolve("client.crt") + "&key=" + pki.resolve("client.key"),
            "cacert="
                + pki.resolve("other-ca.crt")
                + "&cert="
                + pki.resolve("client.crt")
                + "&key="
                + pki.resolve("client.key"))) {
      RoadieException e = assertThrows(RoadieException.class, () -> backup(url(query)));
      assertTrue(
          e.getMessage().contains("certificate is not trusted")
              && e.getMessage().contains("?cacert=FILE"),
          e.getMessage());
    }
  }

  @Test
  void missingClientCertificateIsAClearError() {
    RoadieException e =
        assertThrows(RoadieException.class, () -> backup(url("cacert=" + pki.resolve("ca.crt"))));
    assertTrue(e.getMessage().contains("cert=FILE&key=FILE"), e.getMessage());
  }

  @Test
  void wrongHostNameIsAClearError() {
    RoadieException e =
        assertThrows(
            RoadieException.class, () -> backup("rediss://127.0.0.2:" + tlsPort + "?" + trusted()));
    assertTrue(
        e.getMessage().contains("not issued for 127.0.0.2")
            || e.getMessage().startsWith("cannot connect"),
        e.getMessage());
  }

  @Test
  void plainUrlOnTheTlsPortAndBadParameters() {
    RoadieException e =
        assertThrows(RoadieException.class, () -> backup("redis://127.0.0.1:" + tlsPort));
    assertTrue(e.getMessage().contains("use a rediss:// URL"), e.getMessage());
    e = assertThrows(RoadieException.class, () -> RedisUrl.parse("redis://h:1?cacert=/x", null));
    assertTrue(e.getMessage().contains("go with rediss://"), e.getMessage());
    e = assertThrows(RoadieException.class, () -> RedisUrl.parse("rediss://h:1?cert=/x", null));
    assertTrue(e.getMessage().contains("go together"), e.getMessage());
    e =
        assertThrows(
            RoadieException.class, () -> RedisUrl.parse("rediss://h:1?sslmode=require", null));
    assertTrue(e.getMessage().contains("unknown parameter 'sslmode'"), e.getMessage());
    e =
        assertThrows(
            RoadieException.class, () -> backup(url("cacert=" + pki.resolve("missing.crt"))));
    assertTrue(e.getMessage().contains("missing.crt does not exist"), e.getMessage());
  }
}
