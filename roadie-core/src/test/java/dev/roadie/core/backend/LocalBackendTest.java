package dev.roadie.core.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
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
    backend.write(ObjectName.of(ObjectKind.PACK, id.hex()), ByteBuffer.wrap(new byte[] {1, 2}), false);
    assertTrue(Files.exists(dir.resolve("repo/data/" + id.hex().substring(0, 2) + "/" + id.hex())));
    // What a crash in the middle of a write leaves behind: a temporary file, never listed.
    Files.writeString(dir.resolve("repo/data/" + id.hex().substring(0, 2) + "/.tmp-crashed"), "partial");
    Files.writeString(dir.resolve("repo/data/" + id.hex().substring(0, 2) + "/not-an-id"), "foreign");
    assertEquals(1, backend.list(ObjectKind.PACK).size());
  }
}
