package dev.roadie.core.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.FaultInjectingBackend;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.browse.Entries;
import dev.roadie.core.browse.Entry;
import dev.roadie.core.browse.SnapshotBrowser;
import dev.roadie.core.browse.SnapshotDiff;
import dev.roadie.core.check.Checker;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every source passes, through the SPI alone: a backup restores to a copy equal to the
 * original, verification accepts that copy and finds a damaged one, a backup whose storage fails
 * leaves no snapshot, and the provider is found by its kind. A source's test extends this with the
 * source prepared (a directory tree, a database, a server it started) and says how to compare.
 */
public abstract class SourceContractTest {
  @TempDir protected Path work;
  protected FaultInjectingBackend backend;
  protected Repository repo;

  /** The kind under test. */
  protected abstract String kind();

  /**
   * Makes the original (once per test, in {@code work}) and returns the options that back it up.
   */
  protected abstract BackupRequest.Options original() throws Exception;

  /** A fresh destination of the kind's usual shape, where nothing of the snapshot is yet. */
  protected abstract Destination freshDestination() throws Exception;

  /** The kind's restore options for {@link #freshDestination()}; null for its defaults. */
  protected RestoreRequest.Options restoreOptions() {
    return null;
  }

  /** Asserts that {@code copy} holds what the original held when it was backed up. */
  protected abstract void assertSameAsOriginal(Destination copy) throws Exception;

  /** Changes the restored copy so that it no longer matches the snapshot (a byte, a row, a key). */
  protected abstract void damage(Destination copy) throws Exception;

  /** A destination that does not fit the kind (the provider must refuse it). */
  protected abstract Destination unfitDestination() throws Exception;

  @BeforeEach
  void openRepository() throws Exception {
    backend = new FaultInjectingBackend(new LocalBackend(work.resolve("repo")));
    repo = Repository.init(backend, "contract".toCharArray(), 1 << 20);
  }

  @AfterEach
  void closeRepository() throws Exception {
    if (repo != null) repo.close();
  }

  protected SnapshotRef backup() throws Exception {
    BackupResult r = Sources.backup(BackupRequest.of(repo, kind(), original()));
    return r.snapshot();
  }

  /**
   * Asserts what the kind's listing must show of {@link #original()}'s snapshot ({@code all}: its
   * walk from the root): the tables, databases or objects, with what the kind records of them.
   */
  protected abstract void assertListing(SnapshotBrowser browser, List<Entry> all) throws Exception;

  @Test
  void browsingListsTheSnapshotInOrderAndEachPathResolves() throws Exception {
    SnapshotRef snap = backup();
    SnapshotBrowser browser = Sources.browse(repo, snap);
    List<Entry> all = new ArrayList<>();
    try (Entries e = browser.walk("")) {
      e.forEachRemaining(all::add);
    }
    assertFalse(all.isEmpty(), "the walk of a snapshot shows what it holds");
    for (int i = 1; i < all.size(); i++) {
      assertTrue(
          browser.order().compare(all.get(i - 1).path(), all.get(i).path()) < 0,
          "walk in order: " + all.get(i - 1).path() + " before " + all.get(i).path());
    }
    List<Entry> top = new ArrayList<>();
    try (Entries e = browser.list("")) {
      e.forEachRemaining(top::add);
    }
    assertFalse(top.isEmpty());
    for (Entry t : top) {
      List<Entry> at = new ArrayList<>();
      try (Entries e = browser.list(t.path())) {
        e.forEachRemaining(at::add);
      }
      if (t.container()) {
        String dir = t.path().endsWith("/") ? t.path() : t.path() + "/";
        assertTrue(
            at.stream().allMatch(x -> x.path().startsWith(dir)),
            t.path() + " lists what lies below it: " + at);
        // A container may be empty (a data directory's empty pg_commit_ts); the walk goes below
        // one that lists entries.
        assertTrue(
            at.isEmpty() || all.stream().anyMatch(x -> x.path().startsWith(dir)),
            "the walk goes below " + t.path());
      } else {
        assertEquals(List.of(t), at, "a leaf's path lists the leaf");
        assertTrue(all.contains(t), "the walk holds " + t.path());
      }
    }
    RoadieException missing =
        assertThrows(RoadieException.class, () -> browser.list("no/such/entry"));
    assertEquals(ErrorCode.USAGE, missing.code());
    assertEquals(
        List.of(),
        SnapshotDiff.all(browser, Sources.browse(repo, snap)),
        "a snapshot equals itself");
    assertListing(browser, all);
  }

  @Test
  void providerIsFoundByItsKind() {
    SourceProvider p = Sources.forKind(kind());
    assertTrue(p.kinds().contains(kind()));
    assertFalse(p.destinations(kind()).isEmpty(), "a kind restores somewhere");
    assertTrue(Sources.kinds().contains(kind()));
  }

  @Test
  void backupRestoresToACopyEqualToTheOriginal() throws Exception {
    SnapshotRef snap = backup();
    assertEquals(kind(), snap.snapshot().kind());
    assertNotNull(snap.snapshot().stats());
    SourceProvider p = Sources.forKind(kind());
    assertNotNull(
        SourceMetadata.of(snap.snapshot(), p.metadataType(kind())),
        "the metadata reads as its record");
    assertFalse(p.summary(snap.snapshot()).isBlank());
    Destination copy = freshDestination();
    assertTrue(
        p.destinations(kind()).stream().anyMatch(f -> f.accepts(copy)),
        "the fresh destination fits");
    RestoreResult r = Sources.restore(new RestoreRequest(repo, snap, copy, restoreOptions(), null));
    assertFalse(r.counts().isEmpty());
    assertSameAsOriginal(copy);
  }

  @Test
  void verifyAcceptsTheRestoredCopyAndFindsADamagedOne() throws Exception {
    SnapshotRef snap = backup();
    Destination copy = freshDestination();
    Sources.restore(new RestoreRequest(repo, snap, copy, restoreOptions(), null));
    VerifyResult good = Sources.verify(new VerifyRequest(repo, snap, copy, null));
    assertTrue(good.matches(), "a faithful copy: " + good.differences());
    assertTrue(good.checked() > 0);
    damage(copy);
    VerifyResult bad = Sources.verify(new VerifyRequest(repo, snap, copy, null));
    assertFalse(bad.matches(), "verify must find the damage");
  }

  @Test
  void backupWhoseStorageFailsLeavesNoSnapshot() throws Exception {
    backend.inject(FaultInjectingBackend.Fault.FAIL_WRITE, n -> n.kind() == ObjectKind.PACK, 1);
    assertThrows(Exception.class, this::backup);
    backend.clear();
    assertEquals(List.of(), repo.snapshots(null), "no snapshot of a failed backup");
    Checker.Report report = new Checker(repo, m -> {}).run(1.0);
    assertTrue(report.ok(), report.errors().toString());
    // and the source backs up fine afterwards
    assertEquals(kind(), backup().snapshot().kind());
  }

  @Test
  void aDestinationThatDoesNotFitIsRefused() throws Exception {
    SnapshotRef snap = backup();
    Destination wrong = unfitDestination();
    assertFalse(
        Sources.forKind(kind()).destinations(kind()).stream().anyMatch(f -> f.accepts(wrong)));
    RoadieException e =
        assertThrows(
            RoadieException.class,
            () -> Sources.restore(new RestoreRequest(repo, snap, wrong, restoreOptions(), null)));
    assertInstanceOf(RoadieException.class, e);
    assertEquals(ErrorCode.USAGE, e.code(), e.getMessage());
  }
}
