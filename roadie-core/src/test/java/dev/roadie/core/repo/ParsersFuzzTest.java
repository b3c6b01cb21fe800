package dev.roadie.core.repo;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectName;
import dev.roadie.core.crypto.Compression;
import dev.roadie.core.crypto.KeyFile;
import dev.roadie.core.crypto.MasterKey;
import dev.roadie.core.crypto.SealedObject;
import dev.roadie.core.index.IndexFile;
import dev.roadie.core.json.Json;
import dev.roadie.core.pack.PackReader;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.Tree;
import java.io.IOException;
import java.util.Arrays;

/**
 * Coverage-guided fuzzing (Jazzer) of roadie-core's parsers of bytes that come from storage: a
 * malicious or damaged repository may hold anything. Each parser may refuse its input only with its
 * documented errors ({@link RoadieException}, {@link IOException}, and for {@link IndexFile#decode}
 * {@link IllegalArgumentException}); anything else (a NullPointerException, an index out of bounds,
 * an OutOfMemoryError from a length it believed) fails the test, and Jazzer keeps the input.
 *
 * <p>Under {@code mvn test} each target runs its seed and regression inputs (test resources, {@code
 * ParsersFuzzTestInputs/<method>/}); {@code scripts/fuzz TARGET SECONDS} fuzzes one.
 */
class ParsersFuzzTest {
  private static final MasterKey KEY = new MasterKey(new byte[32], new byte[32]);
  private static final Id ID = Id.parse("00".repeat(32));

  @FuzzTest(maxDuration = "10s")
  void indexFile(byte[] data) {
    try {
      IndexFile.decode(data);
    } catch (IllegalArgumentException | RoadieException expected) {
      // refused, as documented
    }
  }

  @FuzzTest(maxDuration = "10s")
  void packHeader(byte[] data) {
    try {
      PackReader.headerOf(data, KEY, ID);
    } catch (RoadieException expected) {
      // refused
    }
  }

  @FuzzTest(maxDuration = "10s")
  void compressedPayload(byte[] data) {
    try {
      Compression.unpack(data, "fuzzed object");
    } catch (RoadieException expected) {
      // refused
    }
    try {
      Compression.unpack(data, 1 << 16, "fuzzed blob");
    } catch (RoadieException expected) {
      // refused
    }
  }

  @FuzzTest(maxDuration = "10s")
  void sealedObject(byte[] data) {
    try {
      SealedObject.open(KEY, ObjectName.of(ObjectKind.SNAPSHOT, ID.hex()), data);
    } catch (RoadieException expected) {
      // refused
    }
  }

  @FuzzTest(maxDuration = "10s")
  void snapshotAndTree(byte[] data) {
    try {
      Json.read(data, Snapshot.class, "fuzzed snapshot");
    } catch (IOException expected) {
      // refused
    }
    try {
      Json.read(data, Tree.class, "fuzzed tree");
    } catch (IOException expected) {
      // refused
    }
    try {
      Json.read(data, AuditEntry.class, "fuzzed audit entry");
    } catch (IOException expected) {
      // refused
    }
  }

  @FuzzTest(maxDuration = "10s")
  void keyFile(byte[] data) {
    KeyFile kf;
    try {
      kf = KeyFile.parse(data, "fuzzed key file");
    } catch (IOException expected) {
      return;
    }
    try {
      kf.verifyMac(KEY);
      // The fixed wrapping key stands for any password: scrypt itself is not what is fuzzed here.
      kf.unwrap(Arrays.copyOf(data, 32), ID);
    } catch (RoadieException expected) {
      // refused
    }
  }

  @FuzzTest(maxDuration = "10s")
  void config(byte[] data) {
    try {
      Config.parse(data, "fuzzed");
    } catch (RoadieException expected) {
      // refused
    }
  }
}
