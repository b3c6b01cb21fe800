package dev.roadie.redis;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.roadie.core.RoadieException;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/**
 * Coverage-guided fuzzing (Jazzer) of the RDB parsers: a snapshot's payload is what a Redis server
 * (or something posing as one) sent. They may refuse input only as documented: {@link
 * RdbHeader#parse} with IllegalArgumentException, the key scanner with IOException ({@link
 * RdbKeys.Unsupported} among them) or RoadieException (a payload cut short). Seeds and regression
 * inputs: test resources {@code RdbFuzzTestInputs/<method>/}.
 */
class RdbFuzzTest {
  @FuzzTest(maxDuration = "10s")
  void header(byte[] data) {
    try {
      RdbHeader.parse(data);
    } catch (IllegalArgumentException expected) {
      // not an RDB
    }
  }

  @FuzzTest(maxDuration = "10s")
  void keys(byte[] data) {
    try {
      new RdbKeys(new ByteArrayInputStream(data))
          .run(
              new RdbKeys.Sink() {
                @Override
                public void key(long db, long expireAtMs, byte[] key, byte[] payload) {}

                @Override
                public void function(byte[] payload) {}
              });
    } catch (IOException | RoadieException expected) {
      // refused
    }
  }
}
