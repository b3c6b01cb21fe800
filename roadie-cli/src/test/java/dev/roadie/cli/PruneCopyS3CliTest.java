package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.roadie.s3.S3ProxyServer;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** copy local → S3 → local, and forget --prune on S3, against a real S3 server (s3proxy). */
class PruneCopyS3CliTest {
  static S3ProxyServer server;
  @TempDir static Path tmp;

  @BeforeAll
  static void start() throws Exception {
    server = S3ProxyServer.start();
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  static RoadieProcess roadie(String repo) {
    RoadieProcess p =
        RoadieProcess.bare()
            .env("ROADIE_REPOSITORY", repo)
            .unsetEnv("AWS_PROFILE")
            .unsetEnv("AWS_ENDPOINT_URL_S3")
            .env("HOME", tmp.toString());
    for (String[] e : server.env()) p.env(e[0], e[1]);
    return p;
  }

  @Test
  void copyBothWaysAndPruneOnS3() {
    Path local = tmp.resolve("local");
    RoadieProcess l = RoadieProcess.of(local, "local-pw");
    l.run("init").assertOk();
    byte[][] data = new byte[3][];
    for (int i = 0; i < 3; i++) {
      data[i] = PruneCliTest.random(2 << 20, 10 + i);
      l.copy()
          .stdin(data[i])
          .run(
              "backup",
              "file",
              "--stdin",
              "--name",
              "s",
              "--target",
              "t",
              "--time",
              "2026-02-0" + (i + 1) + "T00:00:00Z")
          .assertOk();
    }
    String s3 = "s3://prune-bucket/dr";
    RoadieProcess s =
        roadie(s3).env("ROADIE_PASSWORD", "s3-pw").env("ROADIE_FROM_PASSWORD", "local-pw");
    s.run("init").assertOk();
    JsonNode out =
        TestData.json(s.run("copy", "--from", local.toString(), "--json").assertOk().stdout());
    assertEquals(3, out.get("copied").size(), out.toString());
    assertEquals(
        0,
        TestData.json(s.run("copy", "--from", local.toString(), "--json").assertOk().stdout())
            .get("copied")
            .size(),
        "idempotent");
    assertArrayEquals(data[2], s.run("restore", "latest", "--stdout").assertOk().stdoutBytes());

    // Retention and prune on S3.
    JsonNode pruned =
        TestData.json(
            s.run("forget", "--keep-last", "1", "--prune", "--grace", "0", "--json")
                .assertOk()
                .stdout());
    assertTrue(pruned.get("prune").get("packsDeleted").asInt() >= 2, pruned.toString());
    assertTrue(s.run("check", "--read-data").assertOk().stdout().contains("no errors"));
    assertArrayEquals(data[2], s.run("restore", "latest", "--stdout").assertOk().stdoutBytes());

    // S3 → a second local repository.
    Path back = tmp.resolve("back");
    RoadieProcess b =
        roadie(back.toString())
            .env("ROADIE_PASSWORD", "back-pw")
            .env("ROADIE_FROM_PASSWORD", "s3-pw");
    b.run("init").assertOk();
    b.run("copy", "--from", s3).assertOk();
    assertArrayEquals(data[2], b.run("restore", "latest", "--stdout").assertOk().stdoutBytes());
    // The copy of a copy remembers the original: copying from the first repository adds nothing of
    // it.
    JsonNode again =
        TestData.json(
            b.env("ROADIE_FROM_PASSWORD", "local-pw")
                .run("copy", "--from", local.toString(), "--json")
                .assertOk()
                .stdout());
    assertEquals(2, again.get("copied").size(), "only the two snapshots forgotten on S3: " + again);
    assertEquals(1, again.get("skipped").size());
  }

  /**
   * A roadie process whose only AWS settings are the shared config and credentials files at {@code
   * aws}: no keys, profile, endpoint or region in the environment.
   */
  static RoadieProcess withProfiles(Path aws) {
    RoadieProcess p =
        RoadieProcess.bare()
            .env("HOME", tmp.toString())
            .env("AWS_CONFIG_FILE", aws.resolve("config").toString())
            .env("AWS_SHARED_CREDENTIALS_FILE", aws.resolve("credentials").toString());
    for (String v :
        new String[] {
          "AWS_ACCESS_KEY_ID",
          "AWS_SECRET_ACCESS_KEY",
          "AWS_SESSION_TOKEN",
          "AWS_PROFILE",
          "AWS_ENDPOINT_URL",
          "AWS_ENDPOINT_URL_S3",
          "AWS_REGION",
          "AWS_DEFAULT_REGION"
        }) {
      p.unsetEnv(v);
    }
    return p;
  }

  @Test
  void copyBetweenTwoEndpointsWithTheirOwnProfiles() throws Exception {
    try (S3ProxyServer dr = S3ProxyServer.start("dr-access", "dr-secret-do-not-print")) {
      Path aws = java.nio.file.Files.createDirectories(tmp.resolve("aws"));
      java.nio.file.Files.writeString(
          aws.resolve("credentials"),
          String.join(
              "\n",
              "[primary]",
              "aws_access_key_id = " + S3ProxyServer.IDENTITY,
              "aws_secret_access_key = " + S3ProxyServer.CREDENTIAL,
              "[dr]",
              "aws_access_key_id = dr-access",
              "aws_secret_access_key = dr-secret-do-not-print",
              "[stale]",
              "aws_access_key_id = dr-access",
              "aws_secret_access_key = stale-secret-do-not-print",
              ""));
      java.nio.file.Files.writeString(
          aws.resolve("config"),
          String.join(
              "\n",
              "[profile primary]",
              "region = us-east-1",
              "[profile dr]",
              "region = eu-west-1",
              ""));

      // The primary: s3://… with --s3-endpoint; the DR copy names its endpoint in the location.
      String primary = "s3://primary/prod";
      RoadieProcess p = withProfiles(aws).env("ROADIE_PASSWORD", "primary-pw");
      String[] onPrimary = {
        "--repo", primary, "--s3-endpoint", server.endpoint(), "--profile", "primary"
      };
      p.run(args(new String[] {"init"}, onPrimary)).assertOk();
      byte[] data = PruneCliTest.random(3 << 20, 21);
      p.copy()
          .stdin(data)
          .run(args(new String[] {"backup", "file", "--stdin", "--name", "db"}, onPrimary))
          .assertOk();

      String drRepo = "s3:" + dr.endpoint() + "/dr-bucket/copy";
      RoadieProcess d =
          withProfiles(aws)
              .env("ROADIE_PASSWORD", "dr-pw")
              .env("ROADIE_FROM_PASSWORD", "primary-pw");
      d.run("init", "--repo", drRepo, "--profile", "dr").assertOk();
      String[] fromPrimary = {
        "--from", primary, "--from-s3-endpoint", server.endpoint(), "--from-profile", "primary"
      };
      JsonNode out =
          TestData.json(
              d.run(
                      args(
                          new String[] {"copy", "--repo", drRepo, "--profile", "dr", "--json"},
                          fromPrimary))
                  .assertOk()
                  .stdout());
      assertEquals(1, out.get("copied").size(), out.toString());
      assertArrayEquals(
          data,
          d.run("restore", "latest", "--stdout", "--repo", drRepo, "--profile", "dr")
              .assertOk()
              .stdoutBytes());

      // Wrong credentials on one side: the error says which repository and which profile.
      RoadieProcess.Result badSource =
          d.run(
              args(
                  new String[] {
                    "copy",
                    "--repo",
                    drRepo,
                    "--profile",
                    "dr",
                    "--from",
                    primary,
                    "--from-s3-endpoint",
                    server.endpoint(),
                    "--from-profile",
                    "dr"
                  }));
      assertEquals(1, badSource.exitCode(), badSource.describe());
      assertTrue(
          badSource.stderr().contains("source repository (--from): " + primary),
          badSource.describe());
      assertTrue(
          badSource.stderr().contains("check the credentials (the profile 'dr')"),
          badSource.describe());
      RoadieProcess.Result badDest =
          d.run(args(new String[] {"copy", "--repo", drRepo, "--profile", "stale"}, fromPrimary));
      assertEquals(1, badDest.exitCode(), badDest.describe());
      assertTrue(
          badDest.stderr().contains("destination repository (--repo): " + drRepo),
          badDest.describe());
      assertTrue(
          badDest.stderr().contains("check the credentials (the profile 'stale')"),
          badDest.describe());
      for (RoadieProcess.Result r : new RoadieProcess.Result[] {badSource, badDest}) {
        S3CliTest.assertClean(r, "secret-do-not-print");
        S3CliTest.assertClean(r, S3ProxyServer.CREDENTIAL);
      }

      // --s3-endpoint is the destination's: given for a local destination it is refused, not
      // silently dropped.
      Path local = tmp.resolve("local-dr");
      RoadieProcess l =
          withProfiles(aws)
              .env("ROADIE_PASSWORD", "local-pw")
              .env("ROADIE_FROM_PASSWORD", "primary-pw");
      l.run("init", "--repo", local.toString()).assertOk();
      RoadieProcess.Result misplaced =
          l.run(
                  "copy",
                  "--repo",
                  local.toString(),
                  "--from",
                  primary,
                  "--s3-endpoint",
                  server.endpoint(),
                  "--from-profile",
                  "primary")
              .assertExit(2);
      assertTrue(
          misplaced.stderr().contains("--s3-endpoint applies to a repository on S3"),
          misplaced.describe());
      l.run(args(new String[] {"copy", "--repo", local.toString()}, fromPrimary)).assertOk();
      assertArrayEquals(
          data,
          l.run("restore", "latest", "--stdout", "--repo", local.toString())
              .assertOk()
              .stdoutBytes());
    }
  }

  private static String[] args(String[] first, String[]... more) {
    java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of(first));
    for (String[] m : more) all.addAll(java.util.List.of(m));
    return all.toArray(new String[0]);
  }
}
