package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.postgres.PgCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sslmode=verify-full}: a cluster serving TLS with a certificate of a throwaway CA (made
 * with openssl) that names only 127.0.0.1. Logical and physical backups with the CA in {@code
 * sslrootcert} work; with another CA, or a host name the certificate does not name, they fail with
 * a message that names the TLS problem, and write no snapshot.
 */
@Tag("slow")
class PostgresTlsCliTest {
  @TempDir static Path tmp;
  static Path pki;
  static PgCluster pg;
  static RoadieProcess roadie;

  @BeforeAll
  static void start() throws Exception {
    Assumptions.assumeTrue(PgCluster.findBin() != null, "PostgreSQL is not installed");
    pki = Files.createTempDirectory("roadie-pg-pki-");
    dev.roadie.s3.TestPki.create(pki, "IP:127.0.0.1");
    // The server reads its key as the postgres user and refuses one that others can read.
    PgServer.exec(List.of("chmod", "755", pki.toString()));
    PgServer.exec(List.of("chmod", "600", pki.resolve("server.key").toString()));
    if (PgServer.root()) {
      PgServer.exec(List.of("chown", "postgres", pki.resolve("server.key").toString()));
    }
    pg =
        PgCluster.start(
            Map.of(
                "ssl", "on",
                "ssl_cert_file", pki.resolve("server.crt").toString(),
                "ssl_key_file", pki.resolve("server.key").toString()));
    pg.sql("postgres", "CREATE TABLE t AS SELECT g AS n FROM generate_series(1, 1000) g");
    roadie = RoadieProcess.of(tmp.resolve("repo"), "tls-pw");
    roadie.run("init").assertExit(0);
  }

  @AfterAll
  static void stop() throws Exception {
    if (pg != null) pg.close();
    if (pki != null) {
      try (var s = Files.walk(pki)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  static String url(String host, String ca) {
    return "postgresql://postgres:"
        + PgCluster.PASSWORD
        + "@"
        + host
        + ":"
        + pg.port
        + "/postgres?sslmode=verify-full&sslrootcert="
        + pki.resolve(ca);
  }

  static int snapshots() {
    String out = roadie.run("snapshots", "--json").assertExit(0).stdout();
    return out.strip().equals("[]") ? 0 : out.split("\"id\"").length - 1;
  }

  @Test
  void verifyFullWithTheRightCaBacksUpAndAWrongCaOrHostFailsWithoutASnapshot() throws Exception {
    roadie.run("backup", "postgres", "--url", url("127.0.0.1", "ca.crt")).assertExit(0);
    roadie
        .run(
            "backup",
            "postgres",
            "--physical",
            "--wal-method",
            "fetch",
            "--url",
            url("127.0.0.1", "ca.crt"))
        .assertExit(0);
    assertEquals(2, snapshots());

    for (String physical : List.of("", "--physical")) {
      List<String> base = new ArrayList<>(List.of("backup", "postgres"));
      if (!physical.isEmpty()) base.addAll(List.of(physical, "--wal-method", "fetch"));

      List<String> wrongCa = new ArrayList<>(base);
      wrongCa.addAll(List.of("--url", url("127.0.0.1", "other-ca.crt")));
      RoadieProcess.Result ca = roadie.run(wrongCa.toArray(String[]::new)).assertExit(1);
      assertTrue(
          ca.stderr().contains("TLS")
              && ca.stderr()
                  .contains("not signed by a CA in sslrootcert " + pki.resolve("other-ca.crt")),
          ca.describe());
      assertFalse(ca.stderr().contains(PgCluster.PASSWORD), ca.describe());

      List<String> wrongHost = new ArrayList<>(base);
      wrongHost.addAll(List.of("--url", url("localhost", "ca.crt")));
      RoadieProcess.Result host = roadie.run(wrongHost.toArray(String[]::new)).assertExit(1);
      assertTrue(
          host.stderr().contains("TLS")
              && host.stderr().contains("does not name the host localhost"),
          host.describe());
      assertFalse(host.stderr().contains(PgCluster.PASSWORD), host.describe());
    }
    assertEquals(2, snapshots(), "no snapshot from a failed TLS check");
  }
}
