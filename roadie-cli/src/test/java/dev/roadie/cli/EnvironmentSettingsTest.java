package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Settings from the environment are read by the command line, which hands them to the library:
 * HOSTNAME names the host a snapshot records, and a bad ROADIE_S3_SIGN_PAYLOAD is refused.
 */
class EnvironmentSettingsTest {
  @TempDir Path tmp;

  @Test
  void hostnameIsTheHostSnapshotsRecord() throws Exception {
    RoadieProcess roadie =
        RoadieProcess.of(tmp.resolve("repo"), "pw").env("HOSTNAME", "stage-left-7");
    roadie.run("init").assertOk();
    Path data = Files.writeString(tmp.resolve("data.txt"), "some data");
    roadie.run("backup", "file", data.toString()).assertOk();
    String json = roadie.run("snapshots", "--json").assertOk().stdout();
    assertTrue(
        json.contains("\"host\":\"stage-left-7\"") || json.contains("\"host\" : \"stage-left-7\""),
        json);
  }

  @Test
  void aSigningSettingThatIsNeitherTrueNorFalseIsRefused() throws Exception {
    RoadieProcess.Result r =
        RoadieProcess.bare()
            .env("ROADIE_S3_SIGN_PAYLOAD", "sometimes")
            .run(
                "snapshots",
                "--repo",
                "s3:http://127.0.0.1:1/bucket/repo",
                "--password-file",
                "/dev/null")
            .assertExit(2);
    assertTrue(
        r.stderr().contains("ROADIE_S3_SIGN_PAYLOAD=sometimes is not true or false"), r.stderr());
  }
}
