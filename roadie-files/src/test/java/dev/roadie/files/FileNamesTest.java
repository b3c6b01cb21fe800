package dev.roadie.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.RestoreRequest;
import dev.roadie.core.source.Sources;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * File names and symlink targets that are not valid UTF-8 (a Unix name is bytes) are backed up and
 * restored byte for byte, and do not collide with each other or with valid names.
 */
class FileNamesTest {
  @TempDir Path tmp;

  /** A path in {@code dir} whose last element is exactly {@code name}. */
  private static Path raw(Path dir, byte[] name) {
    StringBuilder b = new StringBuilder(dir.toAbsolutePath().toUri().toString());
    if (b.charAt(b.length() - 1) != '/') b.append('/');
    for (byte x : name) b.append('%').append(String.format("%02X", x & 0xff));
    return Path.of(URI.create(b.toString()));
  }

  private static byte[] bytes(int... b) {
    byte[] out = new byte[b.length];
    for (int i = 0; i < b.length; i++) out[i] = (byte) b[i];
    return out;
  }

  /** Every entry below {@code dir} as find(1) prints it, raw bytes: path, type, link target. */
  private static byte[] listing(Path dir) throws Exception {
    Process p =
        new ProcessBuilder("find", ".", "-printf", "%p %y %l %s\\0")
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .start();
    byte[] out = p.getInputStream().readAllBytes();
    assertEquals(0, p.waitFor(), new String(out, StandardCharsets.UTF_8));
    // find lists in directory order; sort the entries so two trees compare.
    List<String> entries =
        new java.util.ArrayList<>(
            List.of(new String(out, StandardCharsets.ISO_8859_1).split("\0")));
    entries.sort(null);
    return String.join("\0", entries).getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  void namesThatAreNotUtf8RestoreByteForByte() throws Exception {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Files.writeString(raw(data, bytes(0xff)), "ff\n");
    Files.writeString(raw(data, bytes(0xfe)), "fe\n");
    Files.writeString(data.resolve("\uFFFD"), "a valid name holding U+FFFD\n");
    Files.writeString(data.resolve("\u0000ff".substring(1)), "a valid name 'ff'\n");
    Files.writeString(raw(data, bytes('c', 'a', 'f', 0xe9)), "latin-1\n");
    Path dir = Files.createDirectories(raw(data, bytes(0xc3, 0x28, ' ', 'd')));
    Files.writeString(dir.resolve("inner.txt"), "inside a directory with a bad name\n");
    Files.createSymbolicLink(
        data.resolve("relative-link"),
        Path.of("..").resolve(raw(Path.of("/"), bytes(0xff, 'x')).getFileName()));
    Files.createSymbolicLink(
        data.resolve("absolute-link"), raw(raw(Path.of("/tmp"), bytes(0xfe, 0xfd)), bytes('y')));
    Files.createSymbolicLink(raw(data, bytes('l', 0x80)), Path.of("plain-target"));

    try (Repository repo =
        Repository.init(new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), 1 << 20)) {
      SnapshotRef snap =
          Sources.backup(
                  BackupRequest.of(
                      repo, FileSource.KIND, FileBackupOptions.paths(List.of(data), false)))
              .snapshot();
      Path out = tmp.resolve("out");
      Sources.restore(
          new RestoreRequest(
              repo,
              snap,
              new Destination.Directory(out),
              new FileRestoreOptions(null, false),
              null));
      assertArrayEquals(listing(data), listing(out.resolve("data")));
      assertEquals("ff\n", Files.readString(raw(out.resolve("data"), bytes(0xff))));
      assertEquals("fe\n", Files.readString(raw(out.resolve("data"), bytes(0xfe))));
    }
  }

  @Test
  void recordedNamesRoundTripAndNeverCollide() {
    Random r = new Random(42);
    Set<String> seen = new HashSet<>();
    Set<String> distinct = new HashSet<>();
    for (int i = 0; i < 20_000; i++) {
      byte[] name = new byte[1 + r.nextInt(6)];
      for (int j = 0; j < name.length; j++) {
        int b;
        do {
          b = r.nextInt(4) == 0 ? 0x80 + r.nextInt(0x80) : r.nextInt(0x80);
        } while (b == '/' || b == 0);
        name[j] = (byte) b;
      }
      String recorded = FileNames.record(name);
      assertArrayEquals(name, FileNames.bytes(recorded));
      distinct.add(new String(name, StandardCharsets.ISO_8859_1));
      seen.add(recorded);
    }
    assertEquals(distinct.size(), seen.size(), "one recorded name per byte string");
    assertEquals(
        "caf\u00e9",
        FileNames.record("caf\u00e9".getBytes(StandardCharsets.UTF_8)),
        "valid names as they are");
    assertNotEquals(FileNames.record(bytes(0xff)), FileNames.record(bytes(0xfe)));
  }

  @Test
  void aRecordedNameThatDecodesToASlashIsRefused() {
    assertThrows(RoadieException.class, () -> FileNames.child(tmp, "a\u00002f..\u00002fetc"));
  }
}
