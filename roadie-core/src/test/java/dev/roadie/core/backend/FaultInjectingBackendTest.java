package dev.roadie.core.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract holds through the wrapper when no fault is armed; armed faults behave as documented.
 */
class FaultInjectingBackendTest extends BackendContractTest {
  @TempDir Path dir;

  @Override
  protected Backend create() {
    return new FaultInjectingBackend(new LocalBackend(dir.resolve("repo")));
  }

  private FaultInjectingBackend faults() {
    return (FaultInjectingBackend) backend;
  }

  @Test
  void failedWriteStoresNothing() throws IOException {
    ObjectName n = ObjectName.of(ObjectKind.PACK, Id.random().hex());
    faults().inject(FaultInjectingBackend.Fault.FAIL_WRITE, x -> true, 1);
    assertThrows(
        RoadieException.Retriable.class,
        () -> backend.write(n, ByteBuffer.wrap(new byte[] {1}), false));
    assertEquals(-1, backend.size(n));
    backend.write(n, ByteBuffer.wrap(new byte[] {1}), false); // the fault was used up
    assertEquals(1, backend.size(n));
  }

  @Test
  void lostResponseStoresTheObject() throws IOException {
    ObjectName n = ObjectName.of(ObjectKind.INDEX, Id.random().hex());
    faults().inject(FaultInjectingBackend.Fault.LOSE_WRITE_RESPONSE, x -> true, 1);
    assertThrows(
        RoadieException.Retriable.class,
        () -> backend.write(n, ByteBuffer.wrap(new byte[] {7}), false));
    assertArrayEquals(new byte[] {7}, backend.read(n));
  }

  @Test
  void readFaultsOnlyHitMatchingObjects() throws IOException {
    ObjectName a = ObjectName.of(ObjectKind.PACK, Id.random().hex());
    ObjectName b = ObjectName.of(ObjectKind.INDEX, Id.random().hex());
    backend.write(a, ByteBuffer.wrap(new byte[] {1}), false);
    backend.write(b, ByteBuffer.wrap(new byte[] {2}), false);
    faults().inject(FaultInjectingBackend.Fault.FAIL_READ, x -> x.kind() == ObjectKind.PACK, 2);
    assertArrayEquals(new byte[] {2}, backend.read(b));
    assertThrows(RoadieException.Retriable.class, () -> backend.read(a));
    assertThrows(RoadieException.Retriable.class, () -> backend.readRange(a, 0, 1));
    assertArrayEquals(new byte[] {1}, backend.read(a));
    assertEquals(2, faults().injected());
  }
}
