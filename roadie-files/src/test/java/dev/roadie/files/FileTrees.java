package dev.roadie.files;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Directory trees for the file source's tests: made with every kind of entry, and described for
 * comparison.
 */
final class FileTrees {
  private FileTrees() {}

  /**
   * Nested directories, an empty file and directory, symlinks (one dangling), a file of several
   * chunks, modes, unicode names; distinct mtimes in the past.
   */
  static void make(Path root) throws IOException {
    Files.createDirectories(root.resolve("sub/dir/deeper"));
    Files.createDirectories(root.resolve("empty-dir"));
    Files.createDirectories(root.resolve("Ünïcødé dïr"));
    Files.writeString(root.resolve("readme.txt"), "hello roadie\n");
    Files.write(root.resolve("empty.txt"), new byte[0]);
    random(root.resolve("big.bin"), 3 << 20, 11);
    random(root.resolve("sub/dir/deeper/b.bin"), 100_000, 13);
    Files.writeString(root.resolve("sub/dir/a.txt"), "in sub/dir\n");
    Files.writeString(root.resolve("Ünïcødé dïr/ファイル 名前.txt"), "ユニコード ✓\n");
    Path secret = root.resolve("secret.txt");
    Files.writeString(secret, "top secret\n");
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
    Files.setPosixFilePermissions(
        root.resolve("sub/dir"), PosixFilePermissions.fromString("rwx--x---"));
    Files.createSymbolicLink(root.resolve("link-to-a"), Path.of("sub/dir/a.txt"));
    Files.createSymbolicLink(root.resolve("sub/dir/dangling"), Path.of("../../nowhere"));
    long t = Instant.parse("2024-03-04T05:06:07Z").getEpochSecond();
    List<Path> all = new ArrayList<>();
    try (Stream<Path> s = Files.walk(root)) {
      s.forEach(all::add);
    }
    all.sort((a, b) -> b.getNameCount() - a.getNameCount()); // directories after their entries
    int i = 0;
    for (Path p : all) {
      if (Files.isSymbolicLink(p)) continue;
      Files.setLastModifiedTime(p, FileTime.from(Instant.ofEpochSecond(t + 3601L * i++)));
    }
  }

  static void random(Path file, int size, long seed) throws IOException {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    Files.write(file, b);
  }

  /**
   * Every entry below root: type, size, content hash, mode and mtime (to the second), or link
   * target.
   */
  static Map<String, String> describe(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a)
              throws IOException {
            out.put(root.relativize(d) + "/", "dir " + meta(d, a));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
            String key = root.relativize(f).toString();
            out.put(
                key,
                a.isSymbolicLink()
                    ? "symlink -> " + Files.readSymbolicLink(f)
                    : "file " + a.size() + " " + sha256(f) + " " + meta(f, a));
            return FileVisitResult.CONTINUE;
          }
        });
    return out;
  }

  private static String meta(Path p, BasicFileAttributes a) throws IOException {
    return PosixFilePermissions.toString(
            Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS))
        + " mtime="
        + a.lastModifiedTime().toInstant().getEpochSecond();
  }

  static String sha256(Path f) throws IOException {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
