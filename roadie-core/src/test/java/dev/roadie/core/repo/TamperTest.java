package dev.roadie.core.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.backend.ObjectInfo;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectName;
import dev.roadie.core.check.Checker;
import dev.roadie.core.chunk.ChunkerParams;
import dev.roadie.core.index.BlobLocation;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.Tree;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One changed byte in each kind of object: check names the damage and the snapshots it affects, and
 * a restore fails with an integrity error instead of returning wrong bytes.
 */
class TamperTest {
  @TempDir Path dir;
  Path repoDir;
  Repository repo;
  Id snapA;
  Id snapB;
  byte[] a = random(400_000, 1);
  byte[] b = random(400_000, 2);

  static byte[] random(int n, long seed) {
    byte[] x = new byte[n];
    new Random(seed).nextBytes(x);
    return x;
  }

  @BeforeEach
  void backUp() throws IOException {
    repoDir = dir.resolve("repo");
    repo = Repository.init(new LocalBackend(repoDir), "pw".toCharArray(), 1 << 20);
    Map<String, byte[]> first = new LinkedHashMap<>();
    first.put("a", a);
    snapA = RoundTripTest.backupStreams(repo, first, ChunkerParams.FILE);
    snapB = RoundTripTest.backupStreams(repo, Map.of("b", b), ChunkerParams.FILE);
    assertTrue(new Checker(repo, m -> {}).run(1.0).ok(), "the untouched repository checks clean");
    repo.close();
    repo = null;
  }

  @AfterEach
  void closeRepo() throws IOException {
    if (repo != null) repo.close();
  }

  private Repository reopen() throws IOException {
    repo = Repository.open(new LocalBackend(repoDir), "pw".toCharArray());
    return repo;
  }

  private static void flip(Path file, long offset) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    int at = (int) (offset < 0 ? bytes.length + offset : offset);
    bytes[at] ^= 0x01;
    Files.write(file, bytes);
  }

  private Path path(ObjectName n) {
    return repoDir.resolve(n.path());
  }

  private Node streamNode(Repository r, Id snapshot) throws IOException {
    Tree t = r.readTree(Id.parse(r.readSnapshot(snapshot).snapshot().tree()));
    return t.nodes().get(0);
  }

  /** Reads a stream as a restore does; returns what was delivered before any failure. */
  private static RoadieException restoreFails(Repository r, Node n, byte[] original)
      throws IOException {
    ByteArrayOutputStream delivered = new ByteArrayOutputStream();
    RoadieException e =
        assertThrows(
            RoadieException.class,
            () -> {
              try (InputStream in = new ContentReader(r, n, n.name())) {
                in.transferTo(delivered);
              }
            });
    byte[] got = delivered.toByteArray();
    assertTrue(got.length < original.length, "a damaged stream is never delivered whole");
    for (int i = 0; i < got.length; i++) {
      if (got[i] != original[i]) throw new AssertionError("wrong byte delivered at " + i);
    }
    return e;
  }

  private BlobLocation firstBlobOf(Repository r, Id snapshot) throws IOException {
    return r.index().get(Id.parse(streamNode(r, snapshot).content().get(0)));
  }

  @Test
  void flippedByteInPackData() throws IOException {
    Repository r = reopen();
    BlobLocation loc = firstBlobOf(r, snapA);
    flip(path(ObjectName.of(ObjectKind.PACK, loc.packId().hex())), loc.offset() + 40);

    Checker.Report quick = new Checker(r, m -> {}).run(0);
    assertTrue(quick.ok(), "without --read-data the blob bytes are not read: " + quick.errors());
    Checker.Report full = new Checker(r, m -> {}).run(1.0);
    assertFalse(full.ok());
    assertEquals(List.of(snapA.hex()), full.damagedSnapshots());
    assertTrue(
        full.errors().stream()
            .anyMatch(e -> e.contains(snapA.shortHex()) && e.contains("cannot be restored")),
        full.errors().toString());

    RoadieException e = restoreFails(r, streamNode(r, snapA), a);
    assertEquals(ErrorCode.INTEGRITY, e.code());
    assertTrue(e.getMessage().contains("failed authentication"), e.getMessage());
    assertArrayEquals(b, RoundTripTest.restore(r, snapB, "b"), "the other snapshot still restores");
  }

  @Test
  void flippedByteInPackHeader() throws IOException {
    Repository r = reopen();
    BlobLocation loc = firstBlobOf(r, snapA);
    flip(path(ObjectName.of(ObjectKind.PACK, loc.packId().hex())), -10);

    Checker.Report report = new Checker(r, m -> {}).run(0);
    assertFalse(report.ok());
    assertTrue(report.damagedSnapshots().contains(snapA.hex()));
    assertTrue(
        report.errors().stream()
            .anyMatch(e -> e.contains(loc.packId().shortHex()) && e.contains("header")),
        report.errors().toString());
  }

  @Test
  void flippedByteInIndex() throws IOException {
    for (ObjectInfo info : new LocalBackend(repoDir).list(ObjectKind.INDEX)) {
      flip(path(info.name()), 30);
    }
    Repository r = reopen();
    Checker.Report report = new Checker(r, m -> {}).run(1.0);
    assertFalse(report.ok());
    assertTrue(
        report.errors().stream()
            .anyMatch(e -> e.startsWith("index ") && e.contains("failed authentication")),
        report.errors().toString());
    assertTrue(report.damagedSnapshots().containsAll(List.of(snapA.hex(), snapB.hex())));
    RoadieException e = assertThrows(RoadieException.class, () -> streamNode(r, snapA));
    assertEquals(ErrorCode.INTEGRITY, e.code());
    assertTrue(e.getMessage().contains("not in the index"), e.getMessage());
  }

  @Test
  void flippedByteInSnapshot() throws IOException {
    flip(path(ObjectName.of(ObjectKind.SNAPSHOT, snapA.hex())), 25);
    Repository r = reopen();
    Checker.Report report = new Checker(r, m -> {}).run(0);
    assertFalse(report.ok());
    assertTrue(
        report.errors().stream()
            .anyMatch(e -> e.contains(snapA.hex()) && e.contains("failed authentication")),
        report.errors().toString());
    RoadieException e = assertThrows(RoadieException.class, () -> r.readSnapshot(snapA));
    assertEquals(ErrorCode.INTEGRITY, e.code());
    assertArrayEquals(b, RoundTripTest.restore(r, snapB, "b"));
  }

  @Test
  void changedKeyFileOfAnotherPassword() throws IOException {
    Id second = reopen().addKey("second".toCharArray());
    repo.close();
    Path keyFile = path(ObjectName.of(ObjectKind.KEY, second.hex()));
    String json = Files.readString(keyFile, StandardCharsets.UTF_8);
    // Change one base64 digit of the salt: still valid JSON and base64, but not what was written.
    int i = json.indexOf("\"salt\":\"") + 8;
    char c = json.charAt(i);
    Files.writeString(
        keyFile, json.substring(0, i) + (c == 'A' ? 'B' : 'A') + json.substring(i + 1));

    Repository r = reopen();
    Checker.Report report = new Checker(r, m -> {}).run(0);
    assertFalse(report.ok());
    assertTrue(
        report.errors().stream().anyMatch(e -> e.contains("key file " + second.shortHex())),
        report.errors().toString());
    repo.close();
    repo = null;
    RoadieException wrong =
        assertThrows(
            RoadieException.class,
            () -> Repository.open(new LocalBackend(repoDir), "second".toCharArray()));
    assertEquals(ErrorCode.WRONG_PASSWORD, wrong.code());
  }

  @Test
  void backupAfterALostPackStoresTheDataAgain() throws IOException {
    Repository r = reopen();
    BlobLocation loc = firstBlobOf(r, snapA);
    Files.delete(path(ObjectName.of(ObjectKind.PACK, loc.packId().hex())));
    r.close();
    r = reopen();
    // The same data again: its blobs are indexed, but their pack is gone, so they are written anew.
    Id again = RoundTripTest.backupStreams(r, Map.of("a", a), ChunkerParams.FILE);
    assertTrue(
        r.readSnapshot(again).snapshot().stats().bytesAdded() > 16 * 1024,
        "the lost chunks were stored again");
    assertArrayEquals(a, RoundTripTest.restore(r, again, "a"));
    r.close();
    r = reopen(); // a fresh process resolves the twice-indexed blobs to the copy that exists
    assertArrayEquals(a, RoundTripTest.restore(r, again, "a"));
    // Snapshot A's blobs have intact copies again (blobs are content-addressed): it restores too.
    assertArrayEquals(a, RoundTripTest.restore(r, snapA, "a"));
    Checker.Report report = new Checker(r, m -> {}).run(1.0);
    assertEquals(List.of(), report.damagedSnapshots(), report.errors().toString());
    assertTrue(
        report.errors().stream()
            .anyMatch(e -> e.contains(loc.packId().shortHex()) && e.contains("missing")));
  }

  @Test
  void changedConfigIsRefused() throws IOException {
    Path config = path(ObjectName.CONFIG);
    String json = Files.readString(config).replace("\"packSize\":1048576", "\"packSize\":2097152");
    Files.writeString(config, json);
    RoadieException e = assertThrows(RoadieException.class, () -> reopen());
    assertEquals(ErrorCode.INTEGRITY, e.code());
    assertTrue(e.getMessage().contains("config was changed"), e.getMessage());
  }
}
