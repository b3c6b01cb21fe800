package dev.roadie.core.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every backend must do; one subclass per backend. */
abstract class BackendContractTest {
  protected Backend backend;

  protected abstract Backend create() throws IOException;

  @BeforeEach
  void setUp() throws IOException {
    backend = create();
  }

  @AfterEach
  void tearDown() throws IOException {
    backend.close();
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void writeThenReadWholeAndRanges() throws IOException {
    byte[] data = random(100_000, 1);
    ObjectName name = ObjectName.of(ObjectKind.PACK, Id.random().hex());
    backend.write(name, ByteBuffer.wrap(data), false);
    assertArrayEquals(data, backend.read(name));
    assertEquals(data.length, backend.size(name));
    byte[] range = backend.readRange(name, 12_345, 5_000);
    for (int i = 0; i < range.length; i++) assertEquals(data[12_345 + i], range[i]);
    assertEquals(0, backend.readRange(name, 100, 0).length);
  }

  @Test
  void writeUsesOnlyTheBufferRemaining() throws IOException {
    byte[] data = random(1000, 2);
    ByteBuffer buf = ByteBuffer.wrap(data, 100, 300);
    ObjectName name = ObjectName.of(ObjectKind.INDEX, Id.random().hex());
    backend.write(name, buf, false);
    byte[] got = backend.read(name);
    assertEquals(300, got.length);
    for (int i = 0; i < 300; i++) assertEquals(data[100 + i], got[i]);
    assertEquals(100, buf.position(), "the caller's buffer position is left alone");
  }

  @Test
  void emptyObject() throws IOException {
    ObjectName name = ObjectName.of(ObjectKind.SNAPSHOT, Id.random().hex());
    backend.write(name, ByteBuffer.allocate(0), false);
    assertEquals(0, backend.read(name).length);
    assertEquals(0, backend.size(name));
  }

  @Test
  void missingObjects() throws IOException {
    ObjectName name = ObjectName.of(ObjectKind.PACK, Id.random().hex());
    assertEquals(-1, backend.size(name));
    assertThrows(NoSuchObjectException.class, () -> backend.read(name));
    assertThrows(NoSuchObjectException.class, () -> backend.readRange(name, 0, 1));
    backend.delete(name); // deleting a missing object succeeds
    assertFalse(backend.exists());
  }

  @Test
  void readPastTheEndFails() throws IOException {
    ObjectName name = ObjectName.of(ObjectKind.PACK, Id.random().hex());
    backend.write(name, ByteBuffer.wrap(random(10, 3)), false);
    assertThrows(IOException.class, () -> backend.readRange(name, 5, 10));
  }

  @Test
  void exclusiveWriteRefusesAnExistingObject() throws IOException {
    backend.write(ObjectName.CONFIG, ByteBuffer.wrap(new byte[] {1}), true);
    assertThrows(
        ObjectExistsException.class,
        () -> backend.write(ObjectName.CONFIG, ByteBuffer.wrap(new byte[] {2}), true));
    assertArrayEquals(new byte[] {1}, backend.read(ObjectName.CONFIG));
    assertTrue(backend.exists());
  }

  @Test
  void listShowsWhatWasWrittenAndNotWhatWasDeleted() throws IOException {
    Set<String> written = new HashSet<>();
    for (int i = 0; i < 40; i++) {
      ObjectName n = ObjectName.of(ObjectKind.PACK, Id.random().hex());
      backend.write(n, ByteBuffer.wrap(random(i, i)), false);
      written.add(n.id());
    }
    backend.write(
        ObjectName.of(ObjectKind.INDEX, Id.random().hex()), ByteBuffer.wrap(new byte[3]), false);
    Set<String> listed = new HashSet<>();
    for (ObjectInfo info : backend.list(ObjectKind.PACK)) {
      listed.add(info.name().id());
      assertEquals(backend.size(info.name()), info.size());
    }
    assertEquals(written, listed);
    String gone = written.iterator().next();
    backend.delete(ObjectName.of(ObjectKind.PACK, gone));
    assertEquals(39, backend.list(ObjectKind.PACK).size());
    assertEquals(1, backend.list(ObjectKind.INDEX).size());
    assertEquals(0, backend.list(ObjectKind.SNAPSHOT).size());
  }

  /**
   * Side objects live at AREA/GROUP/NAME from the root, listed by area and by group, never mixed
   * with the repository's own objects; ids the core does not recognise are not listed.
   */
  @Test
  void sideObjectsAreListedByAreaAndGroup() throws IOException {
    ObjectName a1 = ObjectName.side("wal", "5f2a6b0c1d3e4f70", "000000010000000000000001");
    ObjectName a2 = ObjectName.side("wal", "5f2a6b0c1d3e4f70", "000000010000000000000002.partial");
    ObjectName b1 = ObjectName.side("wal", "0000000000000001", "00000002.history");
    ObjectName c1 = ObjectName.side("other-area", "g", "x.y");
    assertEquals("wal/5f2a6b0c1d3e4f70/000000010000000000000001", a1.path());
    for (ObjectName n : List.of(a1, a2, b1, c1))
      backend.write(n, ByteBuffer.wrap(random(7, n.hashCode())), false);
    backend.write(
        ObjectName.of(ObjectKind.PACK, Id.random().hex()), ByteBuffer.wrap(new byte[3]), false);
    assertEquals(Set.of(a1, a2), names(backend.list(ObjectKind.SIDE, "wal/5f2a6b0c1d3e4f70/")));
    assertEquals(
        Set.of(a2),
        names(backend.list(ObjectKind.SIDE, "wal/5f2a6b0c1d3e4f70/000000010000000000000002")));
    assertEquals(Set.of(a1, a2, b1), names(backend.list(ObjectKind.SIDE, "wal/")));
    assertEquals(Set.of(a1, a2, b1, c1), names(backend.list(ObjectKind.SIDE)));
    assertEquals(1, backend.list(ObjectKind.PACK).size(), "side objects are not packs");
    assertArrayEquals(random(7, a2.hashCode()), backend.read(a2));
    backend.delete(a1);
    assertEquals(Set.of(a2), names(backend.list(ObjectKind.SIDE, "wal/5f2a6b0c1d3e4f70/")));
    assertThrows(
        IllegalArgumentException.class,
        () -> ObjectName.side("data", "ab", "cd"),
        "a directory of the repository's own");
    assertThrows(IllegalArgumentException.class, () -> ObjectName.side("wal", "..", "x"));
    assertThrows(IllegalArgumentException.class, () -> ObjectName.of(ObjectKind.SIDE, "wal/x"));
  }

  private static Set<ObjectName> names(List<ObjectInfo> infos) {
    Set<ObjectName> out = new HashSet<>();
    for (ObjectInfo i : infos) out.add(i.name());
    return out;
  }

  @Test
  void concurrentWritersAndReaders() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        int seed = i;
        fs.add(
            pool.submit(
                () -> {
                  byte[] data = random(50_000 + seed, seed);
                  ObjectName n = ObjectName.of(ObjectKind.PACK, Id.random().hex());
                  backend.write(n, ByteBuffer.wrap(data), false);
                  assertArrayEquals(data, backend.read(n));
                  return null;
                }));
      }
      for (Future<?> f : fs) f.get();
      assertEquals(64, backend.list(ObjectKind.PACK).size());
    } finally {
      pool.shutdownNow();
    }
  }
}
