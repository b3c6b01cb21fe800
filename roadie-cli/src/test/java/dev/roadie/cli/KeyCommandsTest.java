package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Passwords: add, list, remove, change; what each does to who can open the repository. */
class KeyCommandsTest {
  @TempDir Path tmp;

  private static JsonNode keys(RoadieProcess p) {
    return TestData.json(p.run("key", "list", "--json").assertOk().stdout());
  }

  private static List<String> currentIds(JsonNode keys) {
    List<String> out = new ArrayList<>();
    keys.forEach(
        k -> {
          if (k.get("current").asBoolean()) out.add(k.get("id").asText());
        });
    return out;
  }

  @Test
  void addListRemove() throws Exception {
    Path repo = tmp.resolve("repo");
    RoadieProcess one = RoadieProcess.of(repo, "password one");
    RoadieProcess two = RoadieProcess.of(repo, "password two");
    one.run("init").assertOk();
    one.copy()
        .stdin("some data\n".getBytes())
        .run("backup", "file", "--stdin", "--name", "n")
        .assertOk();
    two.run("snapshots").assertExit(12);

    Path newPw = tmp.resolve("new-pw");
    Files.writeString(newPw, "password two\nsecond line is ignored\n");
    RoadieProcess.Result added =
        one.run("key", "add", "--new-password-file", newPw.toString()).assertOk();
    assertTrue(added.stdout().startsWith("added key "), added.describe());

    // The second password opens the same data.
    RoadieProcess.Result viaTwo = two.run("restore", "latest", "--stdout").assertOk();
    assertEquals("some data\n", viaTwo.stdout());

    JsonNode listOne = keys(one);
    assertEquals(2, listOne.size(), listOne.toString());
    List<String> cur = currentIds(listOne);
    assertEquals(1, cur.size(), "exactly one key is current: " + listOne);
    String keyOne = cur.get(0);
    JsonNode listTwo = keys(two);
    assertEquals(2, listTwo.size());
    String keyTwo = currentIds(listTwo).get(0);
    assertNotEquals(keyOne, keyTwo, "each password opens through its own key file");
    assertTrue(added.stdout().contains(keyTwo.substring(0, 8)), added.describe());
    RoadieProcess.Result text = one.run("key", "list").assertOk();
    assertTrue(text.stdout().contains("*" + keyOne.substring(0, 8)), text.describe());

    // Removing the key in use is refused, and changes nothing.
    RoadieProcess.Result self = one.run("key", "remove", keyOne.substring(0, 10));
    assertEquals(2, self.exitCode(), self.describe());
    assertTrue(self.stderr().contains("opened the repository with"), self.describe());
    one.run("snapshots").assertOk();
    assertEquals(2, keys(two).size());

    // Removing the other key revokes its password.
    RoadieProcess.Result removed = one.run("key", "remove", keyTwo.substring(0, 12)).assertOk();
    assertTrue(
        removed.stdout().contains("removed key " + keyTwo.substring(0, 8)), removed.describe());
    RoadieProcess.Result revoked = two.run("snapshots");
    assertEquals(12, revoked.exitCode(), revoked.describe());
    assertTrue(revoked.stderr().contains("wrong password"), revoked.describe());
    JsonNode after = keys(one);
    assertEquals(1, after.size());
    assertEquals(keyOne, after.get(0).get("id").asText());

    // Unknown key id
    RoadieProcess.Result unknown = one.run("key", "remove", keyTwo);
    assertNotEquals(0, unknown.exitCode(), unknown.describe());
    assertFalse(unknown.stderr().contains("Exception"), unknown.describe());
    one.run("check").assertOk();
  }

  @Test
  void passwdReplacesThePassword() throws Exception {
    Path repo = tmp.resolve("repo");
    RoadieProcess old = RoadieProcess.of(repo, "old password");
    RoadieProcess neu = RoadieProcess.of(repo, "new password");
    old.run("init").assertOk();
    old.copy()
        .stdin("precious\n".getBytes())
        .run("backup", "file", "--stdin", "--name", "p")
        .assertOk();
    String oldKey = currentIds(keys(old)).get(0);

    RoadieProcess.Result noNew = old.run("key", "passwd");
    assertEquals(2, noNew.exitCode(), "no new password given: " + noNew.describe());
    old.run("snapshots").assertOk();

    RoadieProcess.Result changed =
        old.copy().env("ROADIE_NEW_PASSWORD", "new password").run("key", "passwd").assertOk();
    assertTrue(changed.stdout().contains("password changed"), changed.describe());

    RoadieProcess.Result withOld = old.run("snapshots");
    assertEquals(
        12, withOld.exitCode(), "the old password must stop working: " + withOld.describe());
    assertEquals("precious\n", neu.run("restore", "latest", "--stdout").assertOk().stdout());
    JsonNode k = keys(neu);
    assertEquals(1, k.size(), "the old key file is gone: " + k);
    assertNotEquals(oldKey, k.get(0).get("id").asText());
    assertTrue(k.get(0).get("current").asBoolean());
  }
}
