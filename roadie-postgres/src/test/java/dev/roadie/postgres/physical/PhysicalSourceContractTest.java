package dev.roadie.postgres.physical;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.browse.Entry;
import dev.roadie.core.browse.SnapshotBrowser;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.RestoreRequest;
import dev.roadie.core.source.SourceContractTest;
import dev.roadie.postgres.PgCluster;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The source contract for {@code postgres-physical}, against a cluster this class starts: a base
 * backup that carries its own WAL ({@code --wal-method fetch}, so no archive is needed), restored
 * into fresh data directories; the SPI's verify starts each copy, waits for its recovery and checks
 * it. A damaged copy is one whose table file was overwritten (amcheck finds it).
 */
class PhysicalSourceContractTest extends SourceContractTest {
  static PgCluster pg;
  static String itemsFile;
  private static final AtomicInteger copies = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    pg = PgCluster.start();
    pg.sql(
        "postgres",
        "CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2));"
            + "INSERT INTO items SELECT i, 'item ' || i, i * 1.25 FROM generate_series(1, 3000) i;"
            + "CREATE TABLE log (at timestamptz, line text);"
            + "INSERT INTO log SELECT '2026-01-01'::timestamptz + i * interval '1 minute', repeat('x', i % 50) "
            + "FROM generate_series(1, 1000) i; CHECKPOINT");
    try (Connection c = pg.jdbc("postgres");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_relation_filepath('items')")) {
      rs.next();
      itemsFile = rs.getString(1);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (pg != null) pg.close();
  }

  @Override
  protected String kind() {
    return PhysicalBackup.KIND;
  }

  @Override
  protected BackupRequest.Options original() throws IOException {
    // The scratch server runs as postgres, who must reach the copies below the test's directory.
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    return new PhysicalSource.BackupOptions(
        pg.conn("postgres"),
        pg.bin,
        "fetch",
        Duration.ofSeconds(60),
        0,
        false,
        "auto",
        "stream",
        java.util.List.of(),
        null,
        null);
  }

  @Override
  protected Destination freshDestination() {
    return new Destination.DataDirectory(work.resolve("copy" + copies.incrementAndGet()));
  }

  /** Recovery from the WAL inside the backup; no archive to fetch from. */
  @Override
  protected RestoreRequest.Options restoreOptions() {
    return new PhysicalSource.RestoreOptions(
        new PhysicalRestore.Target(null, null, null, null, false),
        "promote",
        null,
        false,
        false,
        2,
        "false",
        true,
        Map.of());
  }

  private static List<String> rows(Connection c) throws Exception {
    List<String> out = new ArrayList<>();
    try (Statement st = c.createStatement()) {
      for (String q :
          List.of(
              "SELECT id || ' ' || name || ' ' || price FROM items ORDER BY id",
              "SELECT at || ' ' || line FROM log ORDER BY at")) {
        try (ResultSet rs = st.executeQuery(q)) {
          while (rs.next()) out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  /** The copy, started as a server of its own until it has recovered, holds the original's rows. */
  @Override
  protected void assertSameAsOriginal(Destination copy) throws Exception {
    Path data = ((Destination.DataDirectory) copy).path();
    List<String> want;
    try (Connection c = pg.jdbc("postgres")) {
      want = rows(c);
    }
    run(List.of("chown", "-R", "postgres:", data.toString()));
    int port = PgCluster.freePort();
    run(
        asPostgres(
            pg.bin.resolve("pg_ctl").toString(),
            "-D",
            data.toString(),
            "-l",
            data.resolve("test-start.log").toString(),
            "-o",
            "-p " + port + " -k " + data + " -c listen_addresses=127.0.0.1 -c archive_mode=off",
            "-w",
            "start"));
    try {
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (true) {
        try (Connection c = PgCluster.jdbcTo(port, "postgres");
            Statement st = c.createStatement();
            ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
          rs.next();
          if (!rs.getBoolean(1)) break;
        }
        assertTrue(System.nanoTime() < deadline, "the copy came out of recovery");
        Thread.sleep(200);
      }
      try (Connection c = PgCluster.jdbcTo(port, "postgres")) {
        assertEquals(want, rows(c));
      }
    } finally {
      run(asPostgres(pg.bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-w", "stop"));
    }
  }

  /** Overwrites the first page of the items table's file past its header: amcheck must find it. */
  @Override
  protected void damage(Destination copy) throws Exception {
    Path file = ((Destination.DataDirectory) copy).path().resolve(itemsFile);
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      byte[] junk = new byte[8192 - 24];
      java.util.Arrays.fill(junk, (byte) 0x5a);
      f.seek(24);
      f.write(junk);
    }
  }

  @Override
  protected Destination unfitDestination() {
    return new Destination.Directory(work.resolve("not-a-data-directory"));
  }

  /** The data directory's files, among them the items table's. */
  @Override
  protected void assertListing(SnapshotBrowser browser, List<Entry> all) {
    List<String> paths = all.stream().map(Entry::path).toList();
    assertTrue(paths.contains("PG_VERSION"), paths.toString());
    assertTrue(paths.stream().anyMatch(p -> p.endsWith(itemsFile)), paths.toString());
  }

  private static List<String> asPostgres(String... cmd) {
    List<String> c = new ArrayList<>();
    if ("root".equals(System.getProperty("user.name")))
      c.addAll(List.of("runuser", "-u", "postgres", "--"));
    c.addAll(List.of(cmd));
    return c;
  }

  private static void run(List<String> cmd) throws IOException, InterruptedException {
    if (cmd.get(0).equals("chown") && !"root".equals(System.getProperty("user.name"))) return;
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) throw new IOException(String.join(" ", cmd) + " failed: " + out);
  }
}
