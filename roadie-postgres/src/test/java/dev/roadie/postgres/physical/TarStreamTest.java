package dev.roadie.postgres.physical;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tar reader against archives written by GNU tar in ustar format (as pg_basebackup writes
 * them).
 */
class TarStreamTest {
  @TempDir Path tmp;

  byte[] tar(Path dir, String... entries) throws Exception {
    Path out = tmp.resolve("t.tar");
    List<String> cmd =
        new ArrayList<>(
            List.of("tar", "--format=ustar", "-cf", out.toString(), "-C", dir.toString()));
    cmd.addAll(List.of(entries));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String msg = new String(p.getInputStream().readAllBytes());
    Assumptions.assumeTrue(p.waitFor() == 0, "GNU tar not usable: " + msg);
    return Files.readAllBytes(out);
  }

  @Test
  void readsFilesDirectoriesSymlinksAndLongNames() throws Exception {
    Path d = Files.createDirectories(tmp.resolve("src/base/16384"));
    byte[] rel = new byte[3 * 8192 + 100];
    new Random(7).nextBytes(rel);
    Files.write(d.resolve("2608"), rel);
    Files.write(tmp.resolve("src/empty"), new byte[0]);
    String longDir = "pg_tblspc/" + "d".repeat(90) + "/" + "e".repeat(60);
    Files.createDirectories(tmp.resolve("src").resolve(longDir));
    Files.writeString(tmp.resolve("src").resolve(longDir).resolve("f"), "long");
    Files.createSymbolicLink(tmp.resolve("src/link"), Path.of("/somewhere/else"));
    byte[] archive = tar(tmp.resolve("src"), "./base", "empty", longDir + "/f", "link");

    TarStream t = new TarStream(new ByteArrayInputStream(archive));
    List<String> seen = new ArrayList<>();
    TarStream.Entry e;
    while ((e = t.next()) != null) {
      seen.add(e.type() + " " + e.path());
      if (e.path().equals("base/16384/2608")) {
        assertEquals(rel.length, e.size());
        assertArrayEquals(rel, t.content().readAllBytes());
      }
      if (e.path().endsWith("/f")) {
        assertEquals(longDir + "/f", e.path());
        // not read: next() skips the rest of an entry
      }
      if (e.path().equals("link")) assertEquals("/somewhere/else", e.linkTarget());
      if (e.path().equals("empty")) assertEquals(0, e.size());
    }
    assertEquals(
        List.of(
            "DIRECTORY base",
            "DIRECTORY base/16384",
            "FILE base/16384/2608",
            "FILE empty",
            "FILE " + longDir + "/f",
            "SYMLINK link"),
        seen);
  }

  @Test
  void damageIsReported() throws Exception {
    Files.createDirectories(tmp.resolve("src"));
    Files.write(tmp.resolve("src/a"), new byte[5000]);
    byte[] archive = tar(tmp.resolve("src"), "a");
    byte[] bad = archive.clone();
    bad[10] ^= 1; // the name: the header checksum no longer matches
    assertThrows(IOException.class, () -> new TarStream(new ByteArrayInputStream(bad)).next());
    byte[] cut = java.util.Arrays.copyOf(archive, 512 + 1000);
    TarStream t = new TarStream(new ByteArrayInputStream(cut));
    t.next();
    IOException ex = assertThrows(IOException.class, () -> t.content().readAllBytes());
    assertTrue(ex.getMessage().contains("ended inside a file"), ex.getMessage());
    // Without the two zero blocks at the end (pg_basebackup may end so): still the end.
    TarStream u =
        new TarStream(new ByteArrayInputStream(java.util.Arrays.copyOf(archive, 512 + 5120)));
    u.next();
    assertNull(u.next());
  }
}
