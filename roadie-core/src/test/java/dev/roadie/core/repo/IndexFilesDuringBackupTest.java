package dev.roadie.core.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import dev.roadie.core.backend.FaultInjectingBackend;
import dev.roadie.core.backend.FaultInjectingBackend.Fault;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.backend.ObjectInfo;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.check.Checker;
import dev.roadie.core.chunk.ChunkerParams;
import dev.roadie.core.index.IndexFile;
import dev.roadie.core.prune.Pruner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup writes index files as its packs become durable (not one at the end), so that a backup of
 * millions of small blobs does not hold all their entries in memory; an index file only names packs
 * already stored, and a backup interrupted after some were written leaves a repository that checks
 * clean, whose earlier snapshots restore, and whose leftovers prune removes.
 */
class IndexFilesDuringBackupTest {
  @TempDir Path dir;

  @Test
  void indexFilesAreWrittenAsPacksAreStored() throws Exception {
    byte[] data = random(1, 12 << 20);
    try (Repository repo = Repository.init(new LocalBackend(dir), "pw".toCharArray(), 1 << 20)) {
      Id id =
          RoundTripTest.backupStreams(
              repo, Map.of("s", data), ChunkerParams.FILE, w -> w.indexFileBlobs(1));
      LocalBackend backend = new LocalBackend(dir);
      int indexFiles = backend.list(ObjectKind.INDEX).size();
      int packs = backend.list(ObjectKind.PACK).size();
      assertTrue(packs > 2, packs + " packs");
      assertTrue(indexFiles > 2, indexFiles + " index files for " + packs + " packs");
      assertEquals(packsStored(backend), packsIndexed(repo, backend));
      assertTrue(new Checker(repo, m -> {}).run(1.0).ok());
      assertArrayEquals(data, RoundTripTest.restore(repo, id, "s"));
    }
  }

  @Test
  void anInterruptedBackupLeavesIndexedPacksThatPruneRemoves() throws Exception {
    FaultInjectingBackend backend = new FaultInjectingBackend(new LocalBackend(dir));
    byte[] first = random(2, 3 << 20);
    byte[] second = random(3, 12 << 20);
    Set<Id> goodPacks;
    try (Repository repo = Repository.init(backend, "pw".toCharArray(), 1 << 20)) {
      Id good = RoundTripTest.backupStreams(repo, Map.of("s", first), ChunkerParams.FILE);
      goodPacks = packsStored(backend);
      int goodIndexFiles = backend.list(ObjectKind.INDEX).size();
      backend.inject(Fault.FAIL_WRITE, n -> n.kind() == ObjectKind.SNAPSHOT, 1);
      assertThrows(
          Exception.class,
          () ->
              RoundTripTest.backupStreams(
                  repo, Map.of("s", second), ChunkerParams.FILE, w -> w.indexFileBlobs(1)));
      backend.clear();
      assertEquals(1, repo.snapshots(null).size(), "no snapshot for the failed backup");
      assertTrue(
          backend.list(ObjectKind.INDEX).size() > goodIndexFiles + 1,
          "the failed backup wrote index files while it ran");
      assertTrue(new Checker(repo, m -> {}).run(1.0).ok());
      assertArrayEquals(first, RoundTripTest.restore(repo, good, "s"));
    }
    try (Repository repo = Repository.open(new LocalBackend(dir), "pw".toCharArray())) {
      new Pruner(repo, new Pruner.Options(Duration.ZERO, 0.1, false, Duration.ZERO), m -> {}).run();
    }
    try (Repository repo = Repository.open(new LocalBackend(dir), "pw".toCharArray())) {
      LocalBackend local = new LocalBackend(dir);
      assertEquals(goodPacks, packsStored(local), "only the first backup's packs are left");
      assertEquals(goodPacks, packsIndexed(repo, local));
      assertTrue(new Checker(repo, m -> {}).run(1.0).ok());
      assertArrayEquals(first, RoundTripTest.restore(repo, repo.snapshots(null).get(0).id(), "s"));
    }
  }

  private static byte[] random(long seed, int size) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static Set<Id> packsStored(dev.roadie.core.backend.Backend backend) throws Exception {
    Set<Id> out = new HashSet<>();
    for (ObjectInfo i : backend.list(ObjectKind.PACK)) out.add(Id.parse(i.name().id()));
    return out;
  }

  private static Set<Id> packsIndexed(Repository repo, dev.roadie.core.backend.Backend backend)
      throws Exception {
    Set<Id> out = new HashSet<>();
    for (ObjectInfo i : backend.list(ObjectKind.INDEX)) {
      for (IndexFile.PackEntries p : repo.readIndexFile(i.name()).packs()) out.add(p.packId());
    }
    return out;
  }
}
