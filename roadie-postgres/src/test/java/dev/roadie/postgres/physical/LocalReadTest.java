package dev.roadie.postgres.physical;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Progress;
import dev.roadie.postgres.PgCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Which read mode a physical backup takes, against real clusters, and what the local read leaves
 * out.
 */
class LocalReadTest {
  @Test
  @Tag("slow")
  void autoReadsLocallyOnlyTheServersOwnDataDirectory() throws Exception {
    Assumptions.assumeTrue(PgCluster.findBin() != null, "PostgreSQL is not installed");
    try (PgCluster server = PgCluster.start();
        PgCluster other = PgCluster.start()) {
      var conn = server.conn("postgres");
      String own = server.dir.resolve("data").toString();
      List<String> warnings = new ArrayList<>();
      assertNotNull(LocalRead.choose("auto", conn, own, new Progress(), warnings));
      assertNotNull(LocalRead.choose("local", conn, own, new Progress(), warnings));
      assertNull(LocalRead.choose("stream", conn, own, new Progress(), warnings));

      // Another cluster at the server's path (another host's data directory at the same place):
      // stream.
      String foreign = other.dir.resolve("data").toString();
      assertNull(LocalRead.choose("auto", conn, foreign, new Progress(), warnings));
      RoadieException e =
          assertThrows(
              RoadieException.class,
              () -> LocalRead.choose("local", conn, foreign, new Progress(), warnings));
      assertTrue(
          e.getMessage().contains("belongs to cluster") && e.getMessage().contains("--read stream"),
          e.getMessage());

      // Not on this host.
      String absent = server.dir.resolve("nowhere").toString();
      assertNull(LocalRead.choose("auto", conn, absent, new Progress(), warnings));
      e =
          assertThrows(
              RoadieException.class,
              () -> LocalRead.choose("local", conn, absent, new Progress(), warnings));
      assertTrue(e.getMessage().contains("does not exist here"), e.getMessage());
      assertTrue(warnings.isEmpty(), warnings.toString());
    }
  }

  @Test
  void refusesAnUnknownMode() {
    RoadieException e =
        assertThrows(
            RoadieException.class,
            () -> LocalRead.choose("disk", null, "/", new Progress(), new ArrayList<>()));
    assertEquals(ErrorCode.USAGE, e.code());
  }

  @Test
  void leavesOutWhatPostgresqlsBaseBackupLeavesOut() {
    for (String name :
        List.of(
            "postmaster.pid",
            "postmaster.opts",
            "backup_label",
            "tablespace_map",
            "backup_manifest",
            "pg_internal.init",
            "pg_internal.init.1234",
            "pgsql_tmp",
            "pgsql_tmp1234.0",
            "t3_16384",
            "t3_16384_fsm",
            "t12_16390.1",
            "postgresql.auto.conf.tmp")) {
      assertTrue(BaseBackupExclusions.excluded(name, Set.of()), name);
    }
    for (String name :
        List.of(
            "16384",
            "16384.1",
            "16384_fsm",
            "16384_vm",
            "PG_VERSION",
            "pg_filenode.map",
            "postgresql.auto.conf",
            "pg_control")) {
      assertFalse(BaseBackupExclusions.excluded(name, Set.of()), name);
    }
    // An unlogged relation: only its init fork.
    Set<String> unlogged = Set.of("16400");
    for (String name : List.of("16400", "16400.2", "16400_fsm", "16400_vm")) {
      assertTrue(BaseBackupExclusions.excluded(name, unlogged), name);
    }
    assertFalse(BaseBackupExclusions.excluded("16400_init", unlogged));
    assertFalse(BaseBackupExclusions.excluded("164001", unlogged));
    assertEquals("16400", BaseBackupExclusions.initForkOf("16400_init"));
    assertNull(BaseBackupExclusions.initForkOf("16400_vm"));
    for (String dir :
        List.of(
            "pg_wal",
            "pg_replslot",
            "pg_stat_tmp",
            "pg_subtrans",
            "pg_notify",
            "pg_serial",
            "pg_snapshots",
            "pg_dynshmem")) {
      assertTrue(BaseBackupExclusions.emptied(dir), dir);
    }
    assertFalse(BaseBackupExclusions.emptied("pg_xact"));
    assertFalse(BaseBackupExclusions.emptied("base/pg_wal"));
  }
}
