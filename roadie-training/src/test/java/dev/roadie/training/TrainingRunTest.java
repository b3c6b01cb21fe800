package dev.roadie.training;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start-up archive's training runs the S3 commands against its in-memory stand-in: when an SDK
 * upgrade makes a request the stand-in does not answer, the S3 commands fail there and the archive
 * silently loses the SDK's classes (every S3 command then loads them at its start). This notices.
 */
class TrainingRunTest {
  @TempDir Path dir;

  @Test
  void s3CommandsOfTheTrainingRunSucceed() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    byte[] bytes = new byte[3 << 20];
    new java.util.Random(3).nextBytes(bytes);
    Files.write(data.resolve("random.bin"), bytes);
    Files.writeString(data.resolve("text.txt"), "roadie ".repeat(200_000));
    Path pw = Files.writeString(dir.resolve("password"), "training\n");
    PrintStream err = System.err;
    boolean ok;
    try {
      ok = TrainingRun.trainS3(dir, data, pw);
    } finally {
      System.setErr(err);
    }
    assertTrue(
        ok, "every S3 command of the training run succeeded (their errors are printed above)");
    assertTrue(
        Files.isRegularFile(dir.resolve("out-s3").resolve(data.getFileName()).resolve("random.bin"))
            || Files.walk(dir.resolve("out-s3"))
                .anyMatch(p -> p.getFileName().toString().equals("random.bin")),
        "the restore wrote the file");
  }

  /**
   * The JDK's AOT cache skips class files older than Java 6 (they need the old verifier), and
   * picocli's jar has Java 5 ones: roadie-cli compiles picocli from its sources so that the archive
   * holds the classes every command loads first.
   */
  @Test
  void picocliIsCompiledForTheStartUpArchive() throws Exception {
    byte[] header;
    try (InputStream in = picocli.CommandLine.class.getResourceAsStream("CommandLine.class")) {
      header = in.readNBytes(8);
    }
    int major = (header[6] & 0xFF) << 8 | (header[7] & 0xFF);
    assertTrue(
        major >= 50,
        "picocli.CommandLine has class file version "
            + major
            + "; the AOT cache needs 50 or later");
  }
}
