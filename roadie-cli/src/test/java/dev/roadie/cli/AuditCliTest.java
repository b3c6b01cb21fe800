package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit trail as a user sees it: every operation leaves one entry in the repository ({@code
 * roadie audit --json}), failures with what failed, and {@code check} reports an entry that was
 * altered or removed through the snapshots and records that name it.
 */
class AuditCliTest {
  @TempDir Path tmp;

  private static JsonNode audit(RoadieProcess p, String... more) {
    List<String> args = new ArrayList<>(List.of("audit", "--json"));
    args.addAll(List.of(more));
    return TestData.json(p.run(args.toArray(String[]::new)).assertOk().stdout());
  }

  private static JsonNode last(JsonNode entries) {
    return entries.get(entries.size() - 1);
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static String snapshotId(RoadieProcess p) {
    JsonNode all = TestData.json(p.run("snapshots", "--json").assertOk().stdout());
    return all.get(all.size() - 1).get("id").asText();
  }

  @Test
  void everyOperationLeavesItsEntry() throws Exception {
    Path repo = tmp.resolve("repo");
    RoadieProcess roadie = RoadieProcess.of(repo, "audit pw");
    Path data = tmp.resolve("data");
    Files.createDirectories(data);
    Files.writeString(data.resolve("a.txt"), "alpha\n");

    roadie.run("init").assertOk();
    JsonNode init = last(audit(roadie));
    assertEquals("init", init.get("operation").asText());
    assertEquals("ok", init.get("result").asText());
    assertEquals(64, init.get("keyId").asText().length(), init.toString());
    assertNotNull(init.get("host"));
    assertNotNull(init.get("user"));

    roadie.run("backup", "file", data.toString()).assertOk();
    String first = snapshotId(roadie);
    JsonNode backup = last(audit(roadie));
    assertEquals("backup file", backup.get("operation").asText());
    assertEquals(List.of(first), texts(backup.get("snapshots")));
    assertEquals(List.of(data.toString()), texts(backup.get("targets")));
    JsonNode snap = TestData.json(roadie.run("snapshots", "--json").assertOk().stdout()).get(0);
    assertEquals(
        backup.get("id").asText(),
        snap.get("audit").asText(),
        "the snapshot names its entry: " + snap);

    roadie.run("restore", "latest", "--target", tmp.resolve("out").toString()).assertOk();
    JsonNode restore = last(audit(roadie));
    assertEquals("restore", restore.get("operation").asText());
    assertEquals(List.of(first), texts(restore.get("snapshots")));

    Path scratch = tmp.resolve("scratch");
    Files.createDirectories(scratch);
    roadie.run("verify", "--kind", "file", "--scratch-dir", scratch.toString()).assertOk();
    JsonNode verify = last(audit(roadie));
    assertEquals("verify", verify.get("operation").asText());
    assertEquals(List.of(first), texts(verify.get("snapshots")));
    JsonNode record =
        TestData.json(roadie.run("verifications", "--json").assertOk().stdout()).get(0);
    assertEquals(verify.get("id").asText(), record.get("audit").asText(), record.toString());

    roadie.run("drill", "complete-loss", "--scratch-dir", scratch.toString()).assertOk();
    JsonNode drill = last(audit(roadie));
    assertEquals("drill", drill.get("operation").asText());
    assertEquals(List.of(first), texts(drill.get("snapshots")));

    Path other = tmp.resolve("other");
    RoadieProcess second = RoadieProcess.of(other, "other pw");
    second.run("init").assertOk();
    Path pwFile = tmp.resolve("pw");
    Files.writeString(pwFile, "audit pw\n");
    Files.setPosixFilePermissions(
        pwFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    second
        .run("copy", "--from", repo.toString(), "--from-password-file", pwFile.toString())
        .assertOk();
    JsonNode copied = last(audit(second));
    assertEquals("copy", copied.get("operation").asText());
    assertEquals(List.of(snapshotId(second)), texts(copied.get("snapshots")));

    Path newPw = tmp.resolve("new-pw");
    Files.writeString(newPw, "second password\n");
    roadie.run("key", "add", "--new-password-file", newPw.toString()).assertOk();
    JsonNode keyAdd = last(audit(roadie));
    assertEquals("key add", keyAdd.get("operation").asText());
    String addedKey = texts(keyAdd.get("targets")).get(0);
    assertTrue(addedKey.startsWith("key "), keyAdd.toString());
    roadie.run("key", "remove", addedKey.substring(4, 16)).assertOk();
    JsonNode keyRemove = last(audit(roadie));
    assertEquals("key remove", keyRemove.get("operation").asText());
    assertEquals(List.of(addedKey), texts(keyRemove.get("targets")));

    Files.writeString(data.resolve("b.txt"), "beta\n");
    roadie.run("backup", "file", data.toString()).assertOk();
    roadie.run("forget", "--keep-last", "1").assertOk();
    JsonNode forget = last(audit(roadie));
    assertEquals("forget", forget.get("operation").asText());
    assertEquals(
        List.of(first), texts(forget.get("snapshots")), "the forgotten snapshot: " + forget);
    roadie.run("prune", "--grace", "0").assertOk();
    assertEquals("prune", last(audit(roadie)).get("operation").asText());

    // Listing and checking leave none; --since filters by time.
    int count = audit(roadie).size();
    roadie.run("snapshots").assertOk();
    roadie.run("check").assertOk();
    assertEquals(count, audit(roadie).size());
    assertEquals(0, audit(roadie, "--since", "2999-01-01").size());
    assertEquals(count, audit(roadie, "--since", "1h").size());
    JsonNode all = audit(roadie);
    for (JsonNode e : all) {
      assertEquals("ok", e.get("result").asText(), e.toString());
    }
    String table = roadie.run("audit").assertOk().stdout();
    assertTrue(table.contains("key remove") && table.contains("backup file"), table);
  }

  @Test
  void failuresLeaveAnEntryWithTheError() throws Exception {
    Path repo = tmp.resolve("repo");
    RoadieProcess roadie = RoadieProcess.of(repo, "audit pw");
    roadie.run("init").assertOk();
    Path missing = tmp.resolve("no-such-dir");
    roadie.run("backup", "file", missing.toString()).assertFailed();
    JsonNode backup = last(audit(roadie));
    assertEquals("backup file", backup.get("operation").asText());
    assertEquals("failed", backup.get("result").asText());
    assertTrue(backup.get("error").asText().contains("no-such-dir"), backup.toString());

    // A backup whose data was damaged in storage: the restore fails, and its entry says why.
    roadie
        .copy()
        .stdin("precious\n".repeat(1000).getBytes())
        .run("backup", "file", "--stdin", "--name", "s")
        .assertOk();
    try (Stream<Path> packs = Files.walk(repo.resolve("data"))) {
      for (Path p : packs.filter(Files::isRegularFile).toList()) {
        byte[] b = Files.readAllBytes(p);
        b[40] ^= 0x5a;
        Files.write(p, b);
      }
    }
    RoadieProcess.Result failed = roadie.run("restore", "latest", "--stdout").assertFailed();
    JsonNode restore = last(audit(roadie));
    assertEquals("restore", restore.get("operation").asText());
    assertEquals("failed", restore.get("result").asText());
    String error = restore.get("error").asText();
    assertFalse(error.isBlank());
    assertTrue(
        failed.stderr().contains(error),
        "the entry holds the error the user saw: " + error + "\n" + failed.describe());
    assertEquals(1, restore.get("snapshots").size(), restore.toString());
  }

  @Test
  void checkReportsAnAlteredOrRemovedEntry() throws Exception {
    Path repo = tmp.resolve("repo");
    RoadieProcess roadie = RoadieProcess.of(repo, "audit pw");
    roadie.run("init").assertOk();
    roadie
        .copy()
        .stdin("one\n".getBytes())
        .run("backup", "file", "--stdin", "--name", "one")
        .assertOk();
    roadie
        .copy()
        .stdin("two\n".getBytes())
        .run("backup", "file", "--stdin", "--name", "two")
        .assertOk();
    roadie.run("check").assertOk();
    JsonNode snapshots = TestData.json(roadie.run("snapshots", "--json").assertOk().stdout());
    String entryOne = snapshots.get(0).get("audit").asText();
    String entryTwo = snapshots.get(1).get("audit").asText();

    // Bytes flipped inside an entry: it no longer opens, and the snapshot naming it says so.
    Path one = repo.resolve("audit").resolve(entryOne);
    byte[] b = Files.readAllBytes(one);
    b[b.length / 2] ^= 0x01;
    Files.write(one, b);
    RoadieProcess.Result altered = roadie.run("check").assertExit(3);
    assertTrue(
        altered.stdout().contains("audit entry " + entryOne.substring(0, 8) + " does not open"),
        altered.describe());
    assertTrue(
        altered
            .stdout()
            .contains("names audit entry " + entryOne.substring(0, 8) + ", which does not open"),
        altered.describe());
    RoadieProcess.Result listing = roadie.run("audit").assertExit(3);
    assertTrue(listing.stderr().contains(entryOne.substring(0, 8)), listing.describe());

    // An entry removed: the snapshot that names it is reported.
    Files.delete(repo.resolve("audit").resolve(entryTwo));
    RoadieProcess.Result removed = roadie.run("check").assertExit(3);
    assertTrue(
        removed
            .stdout()
            .contains("names audit entry " + entryTwo.substring(0, 8) + ", which is missing"),
        removed.describe());
  }
}
