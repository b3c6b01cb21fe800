package dev.roadie.core.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalBackendTest extends BackendContractTest {
  @TempDir Path dir;

  @Override
  protected Backend create() {
    return new LocalBackend(dir.resolve("repo"));
  }

  @Test
  void packsAreSpreadBySubdirectoryAndTempFilesAreNotListed() throws IOException {
    Id id = Id.random();
    backend.write(
        ObjectName.of(ObjectKind.PACK, id.hex()), ByteBuffer.wrap(new byte[] {1, 2}), false);
    assertTrue(Files.exists(dir.resolve("repo/data/" + id.hex().substring(0, 2) + "/" + id.hex())));
    // What a crash in the middle of a write leaves behind: a temporary file, never listed.
    Files.writeString(
        dir.resolve("repo/data/" + id.hex().substring(0, 2) + "/.tmp-crashed"), "partial");
    Files.writeString(
        dir.resolve("repo/data/" + id.hex().substring(0, 2) + "/not-an-id"), "foreign");
    assertEquals(1, backend.list(ObjectKind.PACK).size());
  }

  /**
   * Large objects take the direct-I/O path (whole blocks, the tail padded and truncated away) where
   * the file system allows it: every size comes back exactly, with no temporary file left over.
   */
  @Test
  void largeObjectsOfUnalignedSizesRoundTrip() throws IOException {
    Random random = new Random(7);
    for (int size :
        new int[] {
          DirectFileWriter.MIN_SIZE, DirectFileWriter.MIN_SIZE + 1, (9 << 20) + 4095, (8 << 20)
        }) {
      byte[] data = new byte[size];
      random.nextBytes(data);
      ObjectName name = ObjectName.of(ObjectKind.PACK, Id.random().hex());
      backend.write(name, ByteBuffer.wrap(data, 0, size), false);
      assertEquals(size, backend.size(name));
      assertArrayEquals(data, backend.read(name));
      assertArrayEquals(
          java.util.Arrays.copyOfRange(data, size - 10, size),
          backend.readRange(name, size - 10, 10));
    }
    try (Stream<Path> files = Files.walk(dir.resolve("repo"))) {
      assertEquals(0, files.filter(p -> p.getFileName().toString().startsWith(".tmp-")).count());
    }
  }
}
