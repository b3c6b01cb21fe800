package dev.roadie.postgres.physical;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.roadie.postgres.wal.WalFileHeader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Coverage-guided fuzzing (Jazzer) of the parsers of what a PostgreSQL server sends or an archive
 * holds: the base backup's tar stream (refused only with IOException) and a WAL segment's first
 * page header (null when it is not one). Seeds and regression inputs: test resources {@code
 * TarAndWalFuzzTestInputs/<method>/}.
 */
class TarAndWalFuzzTest {
  @FuzzTest(maxDuration = "10s")
  void tar(byte[] data) {
    TarStream tar = new TarStream(new ByteArrayInputStream(data));
    try {
      for (int i = 0; i < 10_000 && tar.next() != null; i++) {
        tar.content().transferTo(OutputStream.nullOutputStream());
      }
    } catch (IOException | dev.roadie.core.RoadieException expected) {
      // refused
    }
  }

  @FuzzTest(maxDuration = "10s")
  void walHeader(byte[] data) {
    WalFileHeader.parse(data);
  }
}
