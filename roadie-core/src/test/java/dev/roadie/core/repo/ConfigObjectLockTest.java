package dev.roadie.core.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.ObjectLock;
import dev.roadie.core.crypto.MasterKey;
import dev.roadie.core.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * The config's object lock field: absent configs keep their bytes and MAC, a present one is
 * authenticated.
 */
class ConfigObjectLockTest {
  final MasterKey key = MasterKey.generate();
  final Id id = Id.random();

  @Test
  void aConfigWithoutLockIsWrittenAndAuthenticatedAsBefore() throws Exception {
    Config c = Config.create(key, id, "2026-12-06T00:00:00Z", Config.DEFAULT_PACK_SIZE, null);
    String json = new String(Json.write(c), StandardCharsets.UTF_8);
    assertFalse(json.contains("objectLock"), json);
    // The MAC of repository-format.md §3: six lines, nothing else.
    String input =
        String.join(
            "\n",
            "roadie config mac v1",
            "roadie",
            "1",
            id.hex(),
            "2026-12-06T00:00:00Z",
            Integer.toString(Config.DEFAULT_PACK_SIZE));
    assertEquals(
        Base64.getEncoder()
            .encodeToString(
                MasterKey.hmac(key.macKey()).doFinal(input.getBytes(StandardCharsets.UTF_8))),
        c.mac());
    assertNull(Config.parse(Json.write(c), "here").lock());
    assertFalse(Config.declaresLock(Json.write(c)));
  }

  @Test
  void theLockIsCoveredByTheMac() throws Exception {
    Config c =
        Config.create(
            key,
            id,
            "2026-12-06T00:00:00Z",
            Config.DEFAULT_PACK_SIZE,
            new ObjectLock(30, ObjectLock.Mode.COMPLIANCE));
    byte[] bytes = Json.write(c);
    assertTrue(Config.declaresLock(bytes));
    Config parsed = Config.parse(bytes, "here");
    parsed.verify(key, "here");
    assertEquals(new ObjectLock(30, ObjectLock.Mode.COMPLIANCE), parsed.lock());

    String json = new String(bytes, StandardCharsets.UTF_8);
    for (String changed :
        new String[] {
          json.replace("\"days\":30", "\"days\":1"),
          json.replace("compliance", "governance"),
          json.replaceAll(",?\"objectLock\":\\{[^}]*\\}", "")
        }) {
      assertTrue(!changed.equals(json), changed);
      Config tampered = Config.parse(changed.getBytes(StandardCharsets.UTF_8), "here");
      RoadieException e =
          assertThrows(RoadieException.class, () -> tampered.verify(key, "here"), changed);
      assertEquals(ErrorCode.INTEGRITY, e.code());
    }
    RoadieException bad =
        assertThrows(
            RoadieException.class,
            () ->
                Config.parse(
                    json.replace("compliance", "forever").getBytes(StandardCharsets.UTF_8),
                    "here"));
    assertTrue(bad.getMessage().contains("objectLock is malformed"), bad.getMessage());
  }
}
