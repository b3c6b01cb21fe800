package dev.roadie.core.repo;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.ObjectLock;
import dev.roadie.core.crypto.MasterKey;
import dev.roadie.core.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;

/**
 * The repository's {@code config} object: plaintext JSON, so that any roadie can tell the format
 * version before it has a key, authenticated by an HMAC under the master key's MAC key.
 */
public record Config(
    String format,
    int version,
    String id,
    String created,
    int packSize,
    Lock objectLock,
    String mac) {
  public static final String FORMAT = "roadie";
  public static final int CURRENT_VERSION = 1;
  public static final int DEFAULT_PACK_SIZE = 16 * 1024 * 1024;

  /**
   * {@code roadie init --object-lock}: days and mode ({@code compliance} or {@code governance}).
   * Absent in repositories without object lock; when present, covered by the MAC.
   */
  public record Lock(int days, String mode) {}

  /** The repository's object lock, or null. */
  public ObjectLock lock() {
    return objectLock == null
        ? null
        : new ObjectLock(objectLock.days(), ObjectLock.Mode.parse(objectLock.mode()));
  }

  public Id repositoryId() {
    return Id.parse(id);
  }

  static Config create(
      MasterKey key, Id repositoryId, String created, int packSize, ObjectLock lock) {
    Lock l = lock == null ? null : new Lock(lock.days(), lock.mode().toString());
    Config c = new Config(FORMAT, CURRENT_VERSION, repositoryId.hex(), created, packSize, l, null);
    return new Config(
        FORMAT,
        CURRENT_VERSION,
        c.id,
        created,
        packSize,
        l,
        Base64.getEncoder().encodeToString(c.computeMac(key)));
  }

  /**
   * Whether the raw config mentions an object lock: tells, without decoding it, whether the
   * repository must be opened with {@link dev.roadie.core.backend.Backend#useObjectLock}.
   */
  static boolean declaresLock(byte[] json) {
    return new String(json, StandardCharsets.UTF_8).contains("\"objectLock\"");
  }

  static Config parse(byte[] json, String location) {
    Config c;
    try {
      c = Json.read(json, Config.class, location + ": config");
    } catch (IOException e) {
      throw new RoadieException(
          ErrorCode.INTEGRITY, e.getMessage() + "; is this a roadie repository?", e);
    }
    if (!FORMAT.equals(c.format)) {
      throw new RoadieException(
          ErrorCode.NO_REPOSITORY,
          location + " holds a config that is not roadie's (format " + c.format + ")");
    }
    if (c.version != CURRENT_VERSION) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          location
              + ": repository format version "
              + c.version
              + " is newer than this roadie reads ("
              + CURRENT_VERSION
              + "); upgrade roadie");
    }
    if (c.packSize < 1 << 20 || c.packSize > 1 << 30) {
      throw new RoadieException(
          ErrorCode.INTEGRITY, location + ": config packSize " + c.packSize + " is out of range");
    }
    if (c.objectLock != null) {
      try {
        c.lock();
      } catch (RoadieException e) {
        throw new RoadieException(
            ErrorCode.INTEGRITY, location + ": config objectLock is malformed: " + e.getMessage());
      }
    }
    return c;
  }

  void verify(MasterKey key, String location) {
    if (mac == null || !MessageDigest.isEqual(computeMac(key), Base64.getDecoder().decode(mac))) {
      throw new RoadieException(
          ErrorCode.INTEGRITY,
          location
              + ": config was changed (MAC mismatch); "
              + "restore it from a copy of the repository or re-create it with the same id");
    }
  }

  private byte[] computeMac(MasterKey key) {
    String input =
        String.join(
            "\n",
            "roadie config mac v1",
            format,
            Integer.toString(version),
            id,
            created,
            Integer.toString(packSize));
    if (objectLock != null) {
      // A line only repositories with object lock have: older configs keep their MAC byte for byte.
      input += "\nobjectLock " + objectLock.days() + " " + objectLock.mode();
    }
    return MasterKey.hmac(key.macKey()).doFinal(input.getBytes(StandardCharsets.UTF_8));
  }
}
