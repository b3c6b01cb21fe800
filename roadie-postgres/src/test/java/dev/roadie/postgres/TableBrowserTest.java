package dev.roadie.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.browse.Entries;
import dev.roadie.core.browse.Entry;
import dev.roadie.core.browse.SnapshotDiff;
import dev.roadie.core.repo.Config;
import dev.roadie.core.repo.Progress;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.Sources;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What ls and diff show of postgres snapshots: one entry per table, its parts together, with its
 * rows.
 */
class TableBrowserTest {
  @TempDir Path tmp;

  @Test
  void aTableOfSeveralPartsIsOneEntryAndADiffNamesItsRows() throws Exception {
    try (PgCluster pg = PgCluster.start();
        Repository repo =
            Repository.init(
                new LocalBackend(tmp.resolve("repo")),
                "pw".toCharArray(),
                Config.DEFAULT_PACK_SIZE)) {
      pg.sql("postgres", "CREATE DATABASE browse");
      pg.sql(
          "browse",
          "CREATE TABLE t (id int PRIMARY KEY, v text);"
              + "INSERT INTO t SELECT i, repeat('v', 100) FROM generate_series(1, 3000) i;"
              + "CREATE TABLE \"odd/name\" (x int); INSERT INTO \"odd/name\" VALUES (1)");
      SnapshotRef first = backup(repo, pg);
      List<Entry> all = walk(repo, first);
      assertEquals(
          List.of("schema.dump", "tables", "tables/public.odd%2Fname", "tables/public.t"),
          all.stream().map(Entry::path).toList());
      Entry t = all.get(3);
      assertEquals(3000L, ((Number) t.details().get("rows")).longValue());
      assertTrue(((Number) t.details().get("parts")).intValue() > 1, "split into parts: " + t);
      assertEquals("odd/name", all.get(2).details().get("table"));

      pg.sql(
          "browse",
          "INSERT INTO t SELECT i, 'new' FROM generate_series(3001, 3010) i; CREATE TABLE u (y int)");
      SnapshotRef second = backup(repo, pg);
      List<SnapshotDiff.Change> changes =
          SnapshotDiff.all(Sources.browse(repo, first), Sources.browse(repo, second));
      List<String> seen = changes.stream().map(c -> c.status() + " " + c.path()).toList();
      assertEquals(
          List.of(
              "changed schema.dump",
              "attributes tables",
              "changed tables/public.t",
              "added tables/public.u"),
          seen);
      SnapshotDiff.Change rows = changes.get(2);
      assertEquals(3000L, ((Number) rows.from().details().get("rows")).longValue());
      assertEquals(3010L, ((Number) rows.to().details().get("rows")).longValue());
      assertTrue(
          rows.fields().containsAll(List.of("content", "size", "rows")), rows.fields().toString());
    }
  }

  private static SnapshotRef backup(Repository repo, PgCluster pg) throws Exception {
    Id id =
        new PostgresBackup(repo, new Progress())
            .partBytes(64 << 10)
            .run(
                new PostgresBackup.Options(
                    pg.conn("browse"),
                    null,
                    2,
                    List.of(),
                    List.of(),
                    false,
                    false,
                    "native",
                    null,
                    List.of(),
                    java.time.OffsetDateTime.now().toString()));
    return repo.readSnapshot(id);
  }

  private static List<Entry> walk(Repository repo, SnapshotRef ref) throws Exception {
    List<Entry> out = new ArrayList<>();
    try (Entries e = Sources.browse(repo, ref).walk("")) {
      e.forEachRemaining(out::add);
    }
    return out;
  }
}
