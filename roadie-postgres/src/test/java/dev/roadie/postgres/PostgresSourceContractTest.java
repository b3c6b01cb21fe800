package dev.roadie.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.roadie.core.browse.Entry;
import dev.roadie.core.browse.SnapshotBrowser;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.SourceContractTest;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The source contract for {@code postgres} (logical), against a cluster this class starts: a
 * database with a keyed table, a table without a key and a sequence; copies are new databases.
 */
class PostgresSourceContractTest extends SourceContractTest {
  static PgCluster pg;
  private static final AtomicInteger copies = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    pg = PgCluster.start();
    pg.sql("postgres", "CREATE DATABASE orig");
    pg.sql(
        "orig",
        "CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2));"
            + "INSERT INTO items SELECT i, 'item ' || i, i * 1.25 FROM generate_series(1, 5000) i;"
            + "CREATE TABLE log (at timestamptz, line text);"
            + "INSERT INTO log SELECT '2026-01-01'::timestamptz + i * interval '1 minute', repeat('x', i % 50) "
            + "FROM generate_series(1, 2000) i;"
            + "CREATE SEQUENCE ticket START 100; SELECT nextval('ticket');");
  }

  @AfterAll
  static void stop() throws Exception {
    if (pg != null) pg.close();
  }

  @Override
  protected String kind() {
    return PostgresBackup.KIND;
  }

  @Override
  protected BackupRequest.Options original() {
    return new PostgresSource.BackupOptions(
        pg.conn("orig"), 2, List.of(), List.of(), false, false, "native", null);
  }

  @Override
  protected Destination freshDestination() {
    return new Destination.Server(
        "postgresql://postgres:"
            + PgCluster.PASSWORD
            + "@127.0.0.1:"
            + pg.port
            + "/copy"
            + copies.incrementAndGet());
  }

  private static String database(Destination d) {
    String url = ((Destination.Server) d).url();
    return url.substring(url.lastIndexOf('/') + 1);
  }

  private static List<String> rows(String db) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = pg.jdbc(db);
        Statement st = c.createStatement()) {
      for (String q :
          List.of(
              "SELECT id || ' ' || name || ' ' || price FROM items ORDER BY id",
              "SELECT at || ' ' || line FROM log ORDER BY at",
              "SELECT last_value || ' ' || is_called FROM ticket")) {
        try (ResultSet rs = st.executeQuery(q)) {
          while (rs.next()) out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  @Override
  protected void assertSameAsOriginal(Destination copy) throws Exception {
    assertEquals(rows("orig"), rows(database(copy)));
  }

  @Override
  protected void damage(Destination copy) throws Exception {
    pg.sql(database(copy), "DELETE FROM log WHERE line = ''");
  }

  @Override
  protected Destination unfitDestination() {
    return new Destination.Directory(Path.of("/tmp/not-a-database"));
  }

  /** The schema and each table with the rows the backup counted; a table's path lists the table. */
  @Override
  protected void assertListing(SnapshotBrowser browser, List<Entry> all) throws Exception {
    assertEquals(
        List.of("schema.dump", "tables", "tables/public.items", "tables/public.log"),
        all.stream().map(Entry::path).toList());
    Entry items = all.get(2);
    assertEquals("table", items.type());
    assertEquals(5000L, ((Number) items.details().get("rows")).longValue());
    assertEquals("items", items.details().get("table"));
    assertEquals(2000L, ((Number) all.get(3).details().get("rows")).longValue());
    assertEquals(2, ((Number) all.get(1).details().get("tables")).intValue());
  }
}
