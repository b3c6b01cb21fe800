package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stream far larger than the child's heap goes in through stdin and comes back out through stdout
 * byte for byte: proof that neither backup nor restore holds the stream in memory.
 */
@Tag("slow")
class BigStreamTest {
  static final long SIZE = Long.getLong("roadie.bigstream.bytes", 3L << 30);
  @TempDir Path tmp;

  @Test
  void streamLargerThanHeapRoundTrips() {
    Path repo = tmp.resolve("repo");
    RoadieProcess roadie =
        RoadieProcess.of(repo, "big").fullJit().jvm("-Xmx160m").timeout(Duration.ofMinutes(6));
    roadie.run("init").assertOk();

    MessageDigest sent = TestData.sha256();
    RoadieProcess.Result backup =
        roadie
            .copy()
            .stdin(out -> TestData.writeMixedStream(out, SIZE, 31337, sent))
            .run("backup", "file", "--stdin", "--name", "big", "--json")
            .assertOk();
    String sentHash = TestData.hex(sent.digest());
    JsonNode snap = TestData.json(backup.stdout());
    assertEquals(SIZE, snap.get("stats").get("bytesRead").asLong());

    MessageDigest got = TestData.sha256();
    long[] count = {0};
    RoadieProcess.Result restore =
        roadie
            .copy()
            .stdout(
                (InputStream in) -> {
                  byte[] buf = new byte[1 << 20];
                  int n;
                  while ((n = in.read(buf)) >= 0) {
                    got.update(buf, 0, n);
                    count[0] += n;
                  }
                })
            .run("restore", "latest", "--stdout")
            .assertOk();
    String gotHash = TestData.hex(got.digest());

    double mib = SIZE / (1024.0 * 1024.0);
    System.out.printf(
        "BigStreamTest: %.0f MiB; backup %.1f s (%.0f MiB/s, %s added), restore %.1f s (%.0f MiB/s)%n",
        mib,
        backup.wallTime().toMillis() / 1000.0,
        mib * 1000 / backup.wallTime().toMillis(),
        snap.get("stats").get("bytesAdded").asText(),
        restore.wallTime().toMillis() / 1000.0,
        mib * 1000 / restore.wallTime().toMillis());
    assertEquals(SIZE, count[0], "restored length");
    assertEquals(sentHash, gotHash, "restored stream's SHA-256");
  }
}
