package dev.roadie.core.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.Backend;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.backend.ObjectInfo;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectName;
import dev.roadie.core.check.Checker;
import dev.roadie.core.chunk.ChunkerParams;
import dev.roadie.core.prune.PruneReport;
import dev.roadie.core.prune.Pruner;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * prune's two-phase deletion against concurrent writers, repacking, and interruption at every step.
 */
class PruneTest {
  private static final char[] PW = "pw".toCharArray();
  private static final Pruner.Options NOW =
      new Pruner.Options(Duration.ZERO, 0.10, false, Duration.ZERO);
  private static final Pruner.Options LATER =
      new Pruner.Options(Pruner.DEFAULT_GRACE, 0.10, false, Duration.ZERO);
  @TempDir Path dir;

  static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  /**
   * A backup of named streams; {@code hook} runs in commit right before the snapshot is written.
   */
  static Id backup(
      Repository repo,
      Map<String, byte[]> streams,
      Runnable hook,
      java.util.function.Consumer<BackupWriter> started)
      throws IOException {
    return RoundTripTest.backupStreams(
        repo,
        streams,
        ChunkerParams.FILE,
        w -> {
          if (started != null) started.accept(w);
          if (hook != null) w.beforeSnapshot = hook;
        });
  }

  static Id backup(Repository repo, String name, byte[] data) throws IOException {
    return backup(repo, Map.of(name, data), null, null);
  }

  static PruneReport prune(Backend backend, Pruner.Options options) throws IOException {
    try (Repository r = Repository.open(backend, PW)) {
      return new Pruner(r, options, m -> {}).run();
    }
  }

  /** Opens the repository afresh (as a new process would), checks it with --read-data, restores. */
  static void assertHealthy(Backend backend, Map<Id, Map<String, byte[]>> snapshots)
      throws IOException {
    try (Repository r = Repository.open(backend, PW)) {
      Checker.Report report = new Checker(r, m -> {}).run(1.0);
      assertTrue(report.ok(), "check: " + report.errors());
      for (var s : snapshots.entrySet()) {
        for (var stream : s.getValue().entrySet()) {
          assertArrayEquals(
              stream.getValue(),
              RoundTripTest.restore(r, s.getKey(), stream.getKey()),
              "snapshot " + s.getKey().shortHex() + " stream " + stream.getKey());
        }
      }
    }
  }

  static long packBytes(Backend backend) throws IOException {
    return backend.list(ObjectKind.PACK).stream().mapToLong(ObjectInfo::size).sum();
  }

  static void forget(Backend backend, Id snapshot) throws IOException {
    backend.delete(ObjectName.of(ObjectKind.SNAPSHOT, snapshot.hex()));
  }

  /**
   * The scenario: a backup that deduplicated against a pack is held paused before it writes
   * its snapshot; one prune plans that pack's deletion, another (grace passed) runs while the
   * backup is still paused and must not delete; a third runs after the backup finished and must
   * keep the pack for the new snapshot. The backup's snapshot restores completely.
   */
  @Test
  void pausedBackupKeepsThePacksItReused() throws Exception {
    LocalBackend backend = new LocalBackend(dir.resolve("repo"));
    byte[] x = random(3 << 20, 1);
    byte[] y = random(2 << 20, 2);
    Id a;
    Id b;
    try (Repository repo = Repository.init(backend, PW, 1 << 20)) {
      a = backup(repo, "x", x);
      b = backup(repo, "y", y);
    }
    CountDownLatch paused = new CountDownLatch(1);
    CountDownLatch resume = new CountDownLatch(1);
    Repository writerRepo = Repository.open(new LocalBackend(dir.resolve("repo")), PW);
    CompletableFuture<Id> c =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return backup(
                    writerRepo,
                    Map.of("x", x),
                    () -> {
                      paused.countDown();
                      try {
                        resume.await();
                      } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                      }
                    },
                    null);
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    assertTrue(paused.await(60, TimeUnit.SECONDS), "the backup reached its snapshot write");

    forget(backend, a);
    PruneReport planned = prune(backend, LATER);
    assertNotNull(planned.planId, "x's packs are planned");
    assertTrue(
        planned.unusedPacks >= 3, "x's data packs and a's tree pack: " + planned.unusedPacks);
    assertEquals(0, planned.packsDeleted, "nothing is deleted in the grace period");

    PruneReport blocked = prune(backend, NOW);
    assertEquals(0, blocked.packsDeleted, "the paused backup's lease holds the plan back");
    assertTrue(
        blocked.pending.stream()
            .anyMatch(
                p ->
                    p.plan().equals(planned.planId)
                        && p.waitingFor() != null
                        && p.waitingFor().contains("backup")),
        "the report names the writer: " + blocked.pending);

    // A prune told to wait for writers carries the plan out once the backup has finished.
    CompletableFuture<PruneReport> waiting =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return prune(
                    backend, new Pruner.Options(Duration.ZERO, 0.10, false, Duration.ofMinutes(1)));
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    Thread.sleep(1000);
    assertFalse(waiting.isDone(), "the prune waits for the backup");
    resume.countDown();
    Id cid = c.get(60, TimeUnit.SECONDS);
    writerRepo.close();

    PruneReport after = waiting.get(60, TimeUnit.SECONDS);
    assertTrue(after.plansCarriedOut.contains(planned.planId));
    assertFalse(
        after.kept.isEmpty(), "packs the new snapshot needs are kept, and the report says so");
    assertHealthy(backend, Map.of(cid, Map.of("x", x), b, Map.of("y", y)));

    // Once c is forgotten too, x's data really goes.
    long before = packBytes(backend);
    forget(backend, cid);
    PruneReport last = prune(backend, NOW);
    assertTrue(last.packsDeleted >= 3, "x's packs deleted: " + last.packsDeleted);
    assertTrue(packBytes(backend) < before - (3 << 20), "space freed");
    assertHealthy(backend, Map.of(b, Map.of("y", y)));
    assertTrue(backend.list(ObjectKind.PLAN).isEmpty(), "no plan left");
  }

  /**
   * A backup is held after uploading its packs, before its index file: a prune plans those packs
   * (no index names them yet). A prune with --wait then finds the backup's lease, waits, and sees
   * it finish meanwhile: the index file and snapshot written during the wait must count, or the
   * packs the new snapshot needs are deleted.
   */
  @Test
  void aBackupThatFinishesWhilePruneWaitsKeepsItsPacks() throws Exception {
    Path repoDir = dir.resolve("repo");
    LocalBackend backend = new LocalBackend(repoDir);
    byte[] y = random(2 << 20, 2);
    byte[] z = random(3 << 20, 3);
    Id b;
    try (Repository repo = Repository.init(backend, PW, 1 << 20)) {
      b = backup(repo, "y", y);
    }
    CountDownLatch paused = new CountDownLatch(1);
    CountDownLatch resume = new CountDownLatch(1);
    Backend holding =
        new CrashingBackend(new LocalBackend(repoDir), Integer.MAX_VALUE) {
          @Override
          public void write(ObjectName n, ByteBuffer d, boolean x) throws IOException {
            if (n.kind() == ObjectKind.INDEX) {
              paused.countDown();
              try {
                resume.await();
              } catch (InterruptedException e) {
                throw new IOException(e);
              }
            }
            super.write(n, d, x);
          }
        };
    Repository writerRepo = Repository.open(holding, PW);
    // Threads of their own: the common pool may have a single thread, which the held backup takes.
    java.util.concurrent.Executor own = r -> Thread.ofPlatform().start(r);
    CompletableFuture<Id> c =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return backup(writerRepo, "z", z);
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            },
            own);
    assertTrue(paused.await(60, TimeUnit.SECONDS), "the backup uploaded its packs");
    PruneReport planned = prune(backend, LATER);
    assertTrue(planned.unindexedPacks >= 3, "z's packs are in no index yet: " + planned);

    CountDownLatch waiting = new CountDownLatch(1);
    CompletableFuture<PruneReport> pruning =
        CompletableFuture.supplyAsync(
            () -> {
              try (Repository r = Repository.open(backend, PW)) {
                return new Pruner(
                        r,
                        new Pruner.Options(Duration.ZERO, 0.10, false, Duration.ofMinutes(1)),
                        m -> {
                          if (m.contains("waiting for")) waiting.countDown();
                        })
                    .run();
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            },
            own);
    assertTrue(waiting.await(60, TimeUnit.SECONDS), "the prune waits for the backup");
    resume.countDown();
    Id cid = c.get(60, TimeUnit.SECONDS);
    writerRepo.close();
    PruneReport after = pruning.get(60, TimeUnit.SECONDS);
    assertTrue(after.plansCarriedOut.contains(planned.planId), after.plansCarriedOut.toString());
    assertHealthy(backend, Map.of(cid, Map.of("z", z), b, Map.of("y", y)));
  }

  /**
   * A backup that commits (index files, then its snapshot) after prune has loaded the index but
   * before it lists the snapshots: prune must not take the new snapshot's blobs, missing from the
   * index it loaded, for damage (it refused with "blobs that snapshots use are missing"), and it
   * keeps that snapshot's data.
   */
  @Test
  void aBackupCommittedBetweenTheIndexAndTheSnapshotListingIsNoDamage() throws Exception {
    Path repoDir = dir.resolve("repo");
    LocalBackend backend = new LocalBackend(repoDir);
    byte[] y = random(2 << 20, 2);
    byte[] z = random(3 << 20, 3);
    Id b;
    try (Repository repo = Repository.init(backend, PW, 1 << 20)) {
      b = backup(repo, "y", y);
    }
    Id[] committed = new Id[1];
    Backend racing =
        new CrashingBackend(new LocalBackend(repoDir), Integer.MAX_VALUE) {
          @Override
          public List<ObjectInfo> list(ObjectKind k) throws IOException {
            if (k == ObjectKind.SNAPSHOT && committed[0] == null) {
              try (Repository writer = Repository.open(new LocalBackend(repoDir), PW)) {
                committed[0] = backup(writer, "z", z);
              }
            }
            return super.list(k);
          }
        };
    PruneReport report = prune(racing, LATER);
    assertNotNull(committed[0], "the backup committed while prune ran");
    assertEquals(2, report.snapshots, "prune saw the new snapshot: " + report);
    prune(backend, NOW);
    assertHealthy(backend, Map.of(b, Map.of("y", y), committed[0], Map.of("z", z)));
  }

  /**
   * A snapshot forgotten (by another process's forget) after prune listed the snapshots but before
   * it read them: it is gone, not unreadable, and prune goes on (it refused with "snapshot ... does
   * not exist; prune deletes nothing while a snapshot cannot be read").
   */
  @Test
  void aSnapshotForgottenWhilePruneListsThemIsNoDamage() throws Exception {
    Path repoDir = dir.resolve("repo");
    LocalBackend backend = new LocalBackend(repoDir);
    byte[] y = random(2 << 20, 2);
    byte[] z = random(3 << 20, 3);
    Id b;
    Id gone;
    try (Repository repo = Repository.init(backend, PW, 1 << 20)) {
      b = backup(repo, "y", y);
      gone = backup(repo, "z", z);
    }
    boolean[] forgotten = {false};
    Backend racing =
        new CrashingBackend(new LocalBackend(repoDir), Integer.MAX_VALUE) {
          @Override
          public List<ObjectInfo> list(ObjectKind k) throws IOException {
            List<ObjectInfo> listed = super.list(k);
            if (k == ObjectKind.SNAPSHOT && !forgotten[0]) {
              forgotten[0] = true;
              forget(inner, gone);
            }
            return listed;
          }
        };
    PruneReport report = prune(racing, NOW);
    assertTrue(forgotten[0], "the snapshot was forgotten while prune ran");
    assertEquals(1, report.snapshots, report.toString());
    assertHealthy(backend, Map.of(b, Map.of("y", y)));
  }

  /** A backup paused past its lease finds the packs it reused deleted and writes no snapshot. */
  @Test
  void backupWhoseLeaseLapsedFailsWithoutSnapshot() throws Exception {
    LocalBackend backend = new LocalBackend(dir.resolve("repo"));
    byte[] x = random(3 << 20, 1);
    byte[] y = random(2 << 20, 2);
    Id a;
    Id b;
    try (Repository repo = Repository.init(backend, PW, 1 << 20)) {
      a = backup(repo, "x", x);
      b = backup(repo, "y", y);
    }
    CountDownLatch paused = new CountDownLatch(1);
    CountDownLatch resume = new CountDownLatch(1);
    Repository writerRepo = Repository.open(new LocalBackend(dir.resolve("repo")), PW);
    java.util.concurrent.atomic.AtomicReference<BackupWriter> writer =
        new java.util.concurrent.atomic.AtomicReference<>();
    CompletableFuture<Id> c =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return backup(
                    writerRepo,
                    Map.of("x", x),
                    () -> {
                      paused.countDown();
                      try {
                        resume.await();
                      } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                      }
                    },
                    writer::set);
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    assertTrue(paused.await(60, TimeUnit.SECONDS));
    // The writer's lease lapses (its process was stopped longer than the lease's lifetime).
    assertEquals(1, backend.list(ObjectKind.LEASE).size());
    writer.get().lease().lapseForTest();

    forget(backend, a);
    PruneReport report = prune(backend, NOW);
    assertTrue(
        report.packsDeleted >= 3,
        "a lapsed lease does not hold prune back: " + report.packsDeleted);

    resume.countDown();
    Exception e = assertThrows(Exception.class, () -> c.get(60, TimeUnit.SECONDS));
    assertTrue(
        e.getCause() instanceof RoadieException
            && e.getCause().getMessage().contains("no snapshot was written"),
        String.valueOf(e.getCause()));
    writerRepo.close();
    try (Repository r = Repository.open(backend, PW)) {
      assertEquals(1, r.snapshots(null).size(), "only b");
    }
    assertHealthy(backend, Map.of(b, Map.of("y", y)));
    try (Repository r = Repository.open(backend, PW)) {
      Id again = backup(r, "x", x);
      assertHealthy(backend, Map.of(again, Map.of("x", x), b, Map.of("y", y)));
    }
  }

  /** Packs whose unused share is above --max-unused are rewritten with only their live blobs. */
  @Test
  void repacksPartlyUsedPacks() throws Exception {
    LocalBackend backend = new LocalBackend(dir.resolve("repo"));
    byte[] s = random(4 << 20, 3);
    byte[] half = s.clone();
    Random rnd = new Random(4);
    for (int off = 0; off < half.length; off += 512 << 10) {
      byte[] fresh = new byte[256 << 10];
      rnd.nextBytes(fresh);
      System.arraycopy(fresh, 0, half, off, fresh.length);
    }
    Id a;
    Id b;
    try (Repository repo = Repository.init(backend, PW, 1 << 20)) {
      a = backup(repo, "s", s);
      b = backup(repo, "s", half);
    }
    forget(backend, a);
    long before = packBytes(backend);
    PruneReport dry = prune(backend, new Pruner.Options(Duration.ZERO, 0.10, true, Duration.ZERO));
    assertTrue(dry.repackedPacks > 0, "partly used packs found: " + dry.repackedPacks);
    assertEquals(before, packBytes(backend), "a dry run changes nothing");
    assertTrue(backend.list(ObjectKind.PLAN).isEmpty());

    PruneReport report = prune(backend, NOW);
    assertEquals(dry.repackedPacks, report.repackedPacks);
    assertTrue(report.repackedBlobs > 0 && report.packsWritten > 0, "live blobs copied");
    assertTrue(packBytes(backend) < before - (1 << 20), before + " -> " + packBytes(backend));
    assertHealthy(backend, Map.of(b, Map.of("s", half)));
    PruneReport again = prune(backend, NOW);
    assertEquals(0, again.plannedPacks, "nothing left to do");

    // --max-unused 100% never repacks.
    Id c;
    try (Repository repo = Repository.open(backend, PW)) {
      c = backup(repo, "s", s);
    }
    forget(backend, c);
    PruneReport none = prune(backend, new Pruner.Options(Duration.ZERO, 1.0, false, Duration.ZERO));
    assertEquals(0, none.repackedPacks);
    assertHealthy(backend, Map.of(b, Map.of("s", half)));
  }

  /**
   * Interrupts prune after each of its storage writes and deletes in turn (the state a kill -9 at
   * that moment leaves); every time, check passes, every kept snapshot restores, and the next prune
   * finishes the work.
   */
  @Test
  void interruptedAtEveryStepLeavesAHealthyRepository() throws Exception {
    Path pristine = dir.resolve("pristine");
    LocalBackend backend = new LocalBackend(pristine);
    byte[] s = random(3 << 20, 5);
    byte[] half = s.clone();
    Random rnd = new Random(6);
    for (int off = 0; off < half.length; off += 512 << 10) {
      byte[] fresh = new byte[256 << 10];
      rnd.nextBytes(fresh);
      System.arraycopy(fresh, 0, half, off, fresh.length);
    }
    byte[] other = random(1 << 20, 7);
    Map<Id, Map<String, byte[]>> kept = new LinkedHashMap<>();
    try (Repository repo = Repository.init(backend, PW, 1 << 20)) {
      Id a = backup(repo, "s", s);
      kept.put(backup(repo, "s", half), Map.of("s", half));
      Id c = backup(repo, "o", other);
      kept.put(backup(repo, "p", random(1 << 20, 8)), Map.of("p", random(1 << 20, 8)));
      forget(backend, a);
      forget(backend, c);
    }
    // An earlier plan whose grace has passed, and garbage for a new one.
    prune(backend, LATER);
    int total = countMutations(pristine);
    assertTrue(total > 5, "prune writes and deletes several objects: " + total);
    for (int k = 0; k < total; k++) {
      Path copy = dir.resolve("crash-" + k);
      copyTree(pristine, copy);
      CrashingBackend crashing = new CrashingBackend(new LocalBackend(copy), k);
      assertThrows(
          Throwable.class, () -> prune(crashing, NOW), "crash after " + k + " of " + total);
      LocalBackend after = new LocalBackend(copy);
      assertHealthy(after, kept);
      PruneReport finish = prune(after, NOW);
      assertHealthy(after, kept);
      assertEquals(
          0,
          prune(after, NOW).plannedPacks,
          "after " + k + ": the rerun finished the work: " + finish.kept);
      assertTrue(after.list(ObjectKind.PLAN).isEmpty());
      TestFiles.delete(copy);
    }
  }

  private static int countMutations(Path repo) throws IOException {
    Path copy = repo.resolveSibling("count");
    copyTree(repo, copy);
    CrashingBackend counting = new CrashingBackend(new LocalBackend(copy), Integer.MAX_VALUE);
    prune(counting, NOW);
    TestFiles.delete(copy);
    return counting.count.get();
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) Files.createDirectories(t);
        else Files.copy(p, t);
      }
    }
  }

  @Test
  void planRoundTripAndRefusals() {
    DeletionPlan p =
        new DeletionPlan(
            Id.random(),
            java.time.Instant.ofEpochMilli(1_767_225_600_123L),
            List.of(
                new DeletionPlan.Planned(Id.random(), DeletionPlan.Reason.UNUSED),
                new DeletionPlan.Planned(Id.random(), DeletionPlan.Reason.REPACKED)),
            List.of(Id.random()));
    byte[] bytes = p.encode();
    assertEquals(1 + 8 + 4 + 2 * 33 + 4 + 32, bytes.length);
    assertEquals(p, DeletionPlan.decode(p.id(), bytes));
    assertThrows(
        RoadieException.class,
        () -> DeletionPlan.decode(p.id(), java.util.Arrays.copyOf(bytes, bytes.length - 1)));
    byte[] reason = bytes.clone();
    reason[13 + 32] = 9;
    assertThrows(RoadieException.class, () -> DeletionPlan.decode(p.id(), reason));
    byte[] version = bytes.clone();
    version[0] = 2;
    assertThrows(RoadieException.class, () -> DeletionPlan.decode(p.id(), version));
  }

  /**
   * Stands in for a process killed at one point: after {@code limit} writes and deletes (leases not
   * counted), every further write or delete fails.
   */
  static class CrashingBackend implements Backend {
    final Backend inner;
    final int limit;
    final AtomicInteger count = new AtomicInteger();

    CrashingBackend(Backend inner, int limit) {
      this.inner = inner;
      this.limit = limit;
    }

    private void step(ObjectName name) {
      if (name.kind() == ObjectKind.LEASE) return;
      if (count.incrementAndGet() > limit) throw new IllegalStateException("crash before " + name);
    }

    @Override
    public String location() {
      return inner.location();
    }

    @Override
    public void write(ObjectName n, ByteBuffer d, boolean x) throws IOException {
      step(n);
      inner.write(n, d, x);
    }

    @Override
    public byte[] read(ObjectName n) throws IOException {
      return inner.read(n);
    }

    @Override
    public byte[] readRange(ObjectName n, long o, int l) throws IOException {
      return inner.readRange(n, o, l);
    }

    @Override
    public long size(ObjectName n) throws IOException {
      return inner.size(n);
    }

    @Override
    public List<ObjectInfo> list(ObjectKind k) throws IOException {
      return inner.list(k);
    }

    @Override
    public void delete(ObjectName n) throws IOException {
      step(n);
      inner.delete(n);
    }
  }
}
