package dev.roadie.core.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.backend.ObjectExistsException;
import dev.roadie.core.check.Checker;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.Tree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit trail through the library, as the agent uses it. */
class AuditLogTest {
  @TempDir Path tmp;

  private static Id backup(Repository repo) throws Exception {
    try (BackupWriter w = new BackupWriter(repo, new Progress())) {
      Id tree = w.writeTree(new Tree(List.of()));
      return w.commit(
          new Snapshot(
              Snapshot.VERSION,
              "2026-01-01T00:00:00Z",
              "t",
              "test",
              "h",
              "u",
              List.of(),
              List.of(),
              tree.hex(),
              null,
              null,
              Map.of()));
    }
  }

  @Test
  void anOperationsSnapshotNamesItsEntryAndCheckFindsItGoneOrAltered() throws Exception {
    Path dir = tmp.resolve("repo");
    try (Repository repo = Repository.init(new LocalBackend(dir), "pw".toCharArray(), 1 << 20)) {
      Id unaudited = backup(repo);
      assertNull(
          repo.readSnapshot(unaudited).snapshot().audit(), "no operation set: no entry named");

      AuditOperation op = new AuditOperation("backup test");
      repo.audit(op);
      Id snapshot = backup(repo);
      repo.audit(null);
      assertEquals(op.id().hex(), repo.readSnapshot(snapshot).snapshot().audit());
      AuditLog.write(repo, op, null);
      // Entries are written once: the same id again is refused, never replaced.
      assertThrows(
          ObjectExistsException.class,
          () -> AuditLog.write(repo, op, "a second, different ending"));

      List<String> problems = new ArrayList<>();
      List<AuditLog.Stored> entries = AuditLog.entries(repo, null, problems);
      assertEquals(List.of(), problems);
      assertEquals(1, entries.size());
      AuditEntry e = entries.get(0).entry();
      assertEquals("backup test", e.operation());
      assertEquals(List.of(snapshot.hex()), e.snapshots());
      assertEquals(List.of("t"), e.targets());
      assertEquals(repo.keyId().hex(), e.keyId());
      assertTrue(e.ok());
      assertTrue(new Checker(repo, m -> {}).run(0).ok());

      Path stored = dir.resolve("audit").resolve(op.id().hex());
      byte[] bytes = Files.readAllBytes(stored);
      bytes[bytes.length - 1] ^= 1;
      Files.write(stored, bytes);
      assertThrows(RoadieException.class, () -> AuditLog.read(repo, op.id()));
      Checker.Report altered = new Checker(repo, m -> {}).run(0);
      assertTrue(
          altered.errors().stream().anyMatch(x -> x.contains("which does not open")),
          altered.errors().toString());

      Files.delete(stored);
      Checker.Report removed = new Checker(repo, m -> {}).run(0);
      assertTrue(
          removed.errors().stream().anyMatch(x -> x.contains("which is missing")),
          removed.errors().toString());
    }
  }

  @Test
  void aFailedOperationRecordsItsError() throws Exception {
    try (Repository repo =
        Repository.init(new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), 1 << 20)) {
      AuditOperation op = new AuditOperation("restore");
      AuditLog.write(repo, op, "pack 1234abcd is damaged");
      AuditEntry e = AuditLog.read(repo, op.id());
      assertEquals(AuditEntry.FAILED, e.result());
      assertEquals("pack 1234abcd is damaged", e.error());
      assertEquals(
          0,
          AuditLog.entries(repo, java.time.Instant.now().plusSeconds(60), new ArrayList<>())
              .size());
    }
  }
}
