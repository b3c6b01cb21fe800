package dev.roadie.core.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.roadie.core.Id;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.chunk.ChunkerParams;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.Tree;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/** restore(backup(x)) == x for streams of every interesting size, through the whole engine. */
class RoundTripTest {
  static final ChunkerParams TINY = new ChunkerParams(64, 256, 1024);
  static Path dir;
  static Repository repo;

  @BeforeContainer
  static void open() throws IOException {
    dir = Files.createTempDirectory("roadie-roundtrip");
    repo = Repository.init(new LocalBackend(dir.resolve("repo")), "pw".toCharArray(), 1 << 20);
  }

  @AfterContainer
  static void close() throws IOException {
    repo.close();
    TestFiles.delete(dir);
  }

  static Id backupStreams(Repository repo, Map<String, byte[]> streams, ChunkerParams params)
      throws IOException {
    return backupStreams(repo, streams, params, w -> {});
  }

  /** As above, with {@code setup} applied to the writer first. */
  static Id backupStreams(
      Repository repo,
      Map<String, byte[]> streams,
      ChunkerParams params,
      java.util.function.Consumer<BackupWriter> setup)
      throws IOException {
    try (BackupWriter w = new BackupWriter(repo, new Progress())) {
      setup.accept(w);
      List<Node> nodes = new ArrayList<>();
      for (var e : streams.entrySet()) {
        Content c = w.writeStream(new ByteArrayInputStream(e.getValue()), params);
        nodes.add(
            new Node(
                e.getKey(),
                Node.STREAM,
                c.size(),
                null,
                null,
                null,
                null,
                null,
                c.chunksHex(),
                c.chunkListsHex(),
                null,
                null));
      }
      Id tree = w.writeTree(new Tree(nodes));
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

  static byte[] restore(Repository repo, Id snapshot, String name) throws IOException {
    Tree tree = repo.readTree(Id.parse(repo.readSnapshot(snapshot).snapshot().tree()));
    for (Node n : tree.nodes()) {
      if (n.name().equals(name)) {
        try (InputStream in = new ContentReader(repo, n, name)) {
          return in.readAllBytes();
        }
      }
    }
    throw new AssertionError("no stream " + name);
  }

  @Provide
  Arbitrary<byte[]> streams() {
    Arbitrary<Integer> sizes =
        Arbitraries.oneOf(
            Arbitraries.of(0, 1, 63, 64, 65, 255, 256, 257, 1023, 1024, 1025, 3 * 1024 + 7),
            Arbitraries.integers().between(0, 200_000));
    return sizes.flatMap(
        n ->
            Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofSize(n),
                Arbitraries.longs().map(seed -> repetitive(n, seed))));
  }

  static byte[] repetitive(int n, long seed) {
    byte[] b = new byte[n];
    byte[] word = ("roadie-" + seed + " ").getBytes();
    for (int i = 0; i < n; i++) b[i] = word[i % word.length];
    return b;
  }

  @Property(tries = 60)
  void streamRoundTrip(@ForAll("streams") byte[] data) throws IOException {
    Id id = backupStreams(repo, Map.of("s", data), TINY);
    assertArrayEquals(data, restore(repo, id, "s"));
  }

  @Property(tries = 5)
  void manyStreamsInOneSnapshot(@ForAll("streams") byte[] a, @ForAll("streams") byte[] b)
      throws IOException {
    Map<String, byte[]> streams = new java.util.TreeMap<>();
    for (int i = 0; i < 50; i++) {
      streams.put("f" + i, i % 2 == 0 ? a : java.util.Arrays.copyOf(b, Math.max(0, b.length - i)));
    }
    Id id = backupStreams(repo, streams, TINY);
    for (var e : streams.entrySet()) {
      assertArrayEquals(e.getValue(), restore(repo, id, e.getKey()));
    }
  }

  @Property(tries = 3)
  void longContentUsesChunkListsAndRestores(@ForAll("seeds") long seed) throws IOException {
    // 3 MiB at 256 B per chunk is about 12,000 chunks: two chunk-list blobs.
    byte[] data = new byte[3 << 20];
    new Random(seed).nextBytes(data);
    Id id = backupStreams(repo, Map.of("long", data), TINY);
    Tree tree = repo.readTree(Id.parse(repo.readSnapshot(id).snapshot().tree()));
    assertEquals(null, tree.nodes().get(0).content());
    assertEquals(true, tree.nodes().get(0).contentLists().size() >= 2);
    assertArrayEquals(data, restore(repo, id, "long"));
  }

  @Property(tries = 5)
  void blocksHandedBackAreDecodedIntoAgainWithoutMixingContent(@ForAll("seeds") long seed)
      throws IOException {
    // Same-length chunks (as a physical backup's relation files have), so recycled blocks are
    // reused;
    // half of them repeat a pattern (stored compressed), half are random (stored raw), and the last
    // is short.
    Random random = new Random(seed);
    java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
    Node node;
    try (BackupWriter w = new BackupWriter(repo, new Progress())) {
      BackupWriter.ContentBuilder content = w.newContent();
      for (int i = 0; i < 300; i++) {
        byte[] chunk =
            i % 2 == 0 ? repetitive(i == 299 ? 1000 : 4096, random.nextLong()) : new byte[4096];
        if (i % 2 == 1) random.nextBytes(chunk);
        expected.write(chunk);
        content.chunk(w.writeChunk(chunk), chunk.length);
      }
      Content c = content.finish();
      node =
          new Node(
              "f",
              Node.FILE,
              c.size(),
              null,
              null,
              null,
              null,
              null,
              c.chunksHex(),
              c.chunkListsHex(),
              null,
              null);
      w.commit(
          new Snapshot(
              Snapshot.VERSION,
              "2026-01-01T00:00:00Z",
              "t",
              "test",
              "h",
              "u",
              List.of(),
              List.of(),
              w.writeTree(new Tree(List.of(node))).hex(),
              null,
              null,
              Map.of()));
    }
    java.io.ByteArrayOutputStream restored = new java.io.ByteArrayOutputStream();
    java.util.Set<byte[]> seen =
        java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    int reused = 0;
    try (ContentReader in = new ContentReader(repo, node, "f")) {
      byte[] block;
      while ((block = in.nextBlock()) != null) {
        if (!seen.add(block)) reused++;
        restored.write(block);
        in.recycle(block);
      }
    }
    assertArrayEquals(expected.toByteArray(), restored.toByteArray());
    assertEquals(true, reused > 0, "no block was decoded into twice");
  }

  @Provide
  Arbitrary<Long> seeds() {
    return Arbitraries.longs();
  }

  @Property(tries = 1)
  void identicalDataIsStoredOnce(@ForAll("seeds") long seed) throws IOException {
    byte[] data = new byte[2 << 20];
    new Random(seed).nextBytes(data);
    Id first = backupStreams(repo, Map.of("x", data), ChunkerParams.FILE);
    Id second = backupStreams(repo, Map.of("x", data), ChunkerParams.FILE);
    long added1 = repo.readSnapshot(first).snapshot().stats().bytesAdded();
    long added2 = repo.readSnapshot(second).snapshot().stats().bytesAdded();
    assertEquals(true, added1 > data.length, "random data is stored whole the first time");
    assertEquals(true, added2 < 20_000, "the second backup adds only metadata, added " + added2);
  }
}
