package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backs up a directory tree with every kind of entry through the real command, restores it in
 * several ways, and compares what comes back with the original.
 */
class BackupRestoreCliTest {
  private static final String PASSWORD = "backup-restore-pw";
  private static final String FIRST_TIME = "2026-01-31T02:00:00+01:00";
  @TempDir static Path tmp;
  static Path repo;
  static Path data;
  static RoadieProcess roadie;
  static JsonNode first;
  static JsonNode second;
  static JsonNode stream;
  static byte[] streamBytes;
  static long dataBytes;

  @BeforeAll
  static void setUp() throws Exception {
    repo = tmp.resolve("repo");
    data = tmp.resolve("src").resolve("data");
    makeTree(data);
    roadie = RoadieProcess.of(repo, PASSWORD);
    roadie.run("init").assertOk();

    first =
        TestData.json(
            roadie
                .run(
                    "backup",
                    "file",
                    data.toString(),
                    "--target",
                    "docs",
                    "--tag",
                    "first",
                    "--tag",
                    "weekly",
                    "--time",
                    FIRST_TIME,
                    "--json")
                .assertOk()
                .stdout());
    second =
        TestData.json(
            roadie
                .run(
                    "backup",
                    "file",
                    data.toString(),
                    "--target",
                    "docs",
                    "--tag",
                    "second",
                    "--time",
                    "2026-02-01T00:00:00Z",
                    "--json")
                .assertOk()
                .stdout());
    streamBytes = new byte[3 << 20];
    new TestData.Rng(5).fill(streamBytes);
    byte[] text = new byte[1 << 20];
    TestData.fillText(new TestData.Rng(6), text);
    System.arraycopy(text, 0, streamBytes, 1 << 20, text.length); // a compressible middle part
    System.arraycopy(
        "-- PostgreSQL database dump\n".getBytes(StandardCharsets.US_ASCII), 0, streamBytes, 0, 27);
    stream =
        TestData.json(
            roadie
                .copy()
                .stdin(streamBytes)
                .run(
                    "backup",
                    "file",
                    "--stdin",
                    "--name",
                    "db.dump",
                    "--tag",
                    "db",
                    "--time",
                    "2026-02-02T00:00:00Z",
                    "--json")
                .assertOk()
                .stdout());
  }

  /**
   * A tree with nested directories, an empty file and directory, a symlink, a 5 MiB file, modes,
   * unicode.
   */
  static void makeTree(Path root) throws IOException {
    Files.createDirectories(root.resolve("sub/dir/deeper"));
    Files.createDirectories(root.resolve("empty-dir"));
    Files.createDirectories(root.resolve("Ünïcødé dïr"));
    Files.writeString(root.resolve("readme.txt"), "hello roadie\n");
    Files.write(root.resolve("empty.txt"), new byte[0]);
    TestData.writeRandom(root.resolve("big.bin"), 5 << 20, 11);
    TestData.writeText(root.resolve("sub/log.txt"), 300_000, 12);
    Files.writeString(root.resolve("sub/dir/a.txt"), "in sub/dir\n");
    TestData.writeRandom(root.resolve("sub/dir/deeper/b.bin"), 100_000, 13);
    Files.writeString(root.resolve("Ünïcødé dïr/ファイル 名前.txt"), "ユニコード ✓\n");
    Files.writeString(root.resolve("naïve – ü.txt"), "café\n");
    Path secret = root.resolve("secret.txt");
    Files.writeString(secret, "top secret\n");
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
    Path script = root.resolve("run.sh");
    Files.writeString(script, "#!/bin/sh\necho hi\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(
        root.resolve("sub/dir"), PosixFilePermissions.fromString("rwx--x---"));
    Files.createSymbolicLink(root.resolve("link-to-log"), Path.of("sub/log.txt"));
    Files.createSymbolicLink(root.resolve("sub/dir/dangling"), Path.of("../../nowhere"));
    // Distinct mtimes in the past, directories last (writing into a directory changes its mtime).
    long t = Instant.parse("2024-03-04T05:06:07Z").getEpochSecond();
    List<Path> all = new ArrayList<>();
    try (Stream<Path> s = Files.walk(root)) {
      s.forEach(all::add);
    }
    all.sort((a, b) -> b.getNameCount() - a.getNameCount());
    int i = 0;
    for (Path p : all) {
      if (Files.isSymbolicLink(p)) continue;
      Files.setLastModifiedTime(p, FileTime.from(Instant.ofEpochSecond(t + 3601L * i++)));
    }
    long total = 0;
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) total += Files.size(p);
      }
    }
    dataBytes = total;
  }

  /** Every entry below root: type, content hash, mode and mtime to the second, or link target. */
  static Map<String, String> describe(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a)
              throws IOException {
            out.put(root.relativize(d).toString() + "/", "dir " + meta(d, a));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
            String key = root.relativize(f).toString();
            if (a.isSymbolicLink()) {
              out.put(key, "symlink -> " + Files.readSymbolicLink(f));
            } else {
              out.put(key, "file " + a.size() + " " + TestData.sha256(f) + " " + meta(f, a));
            }
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

  private static String id(JsonNode snap) {
    return snap.get("id").asText();
  }

  @Test
  void restoreReproducesEveryFileModeMtimeAndLink() throws Exception {
    Path out = tmp.resolve("restore-full");
    RoadieProcess.Result r =
        roadie.run("restore", id(first), "--target", out.toString()).assertOk();
    assertTrue(r.stdout().contains("restored snapshot"), r.describe());
    assertEquals(
        List.of("data"), list(out), "the snapshot's top level is the backed-up directory's name");
    assertEquals(describe(data), describe(out.resolve("data")));
    assertEquals("sub/log.txt", Files.readSymbolicLink(out.resolve("data/link-to-log")).toString());
    try (Stream<Path> s = Files.walk(out)) {
      assertFalse(
          s.anyMatch(p -> p.getFileName().toString().startsWith(".roadie-restore-")),
          "temporary files left");
    }
  }

  @Test
  void restoreLatestOfTargetIntoExistingDirectory() throws Exception {
    Path out = tmp.resolve("restore-latest");
    Files.createDirectories(out);
    roadie.run("restore", "latest", "--of", "docs", "--target", out.toString()).assertOk();
    assertEquals(describe(data), describe(out.resolve("data")));
  }

  @Test
  void restoreOverEntriesInTheWayRefusesBeforeWritingOrReplacesThemWithForce() throws Exception {
    Path out = tmp.resolve("restore-in-the-way");
    Files.createDirectories(out.resolve("data"));
    Files.writeString(out.resolve("data/sub"), "a file where the snapshot has a directory\n");
    Files.createDirectories(out.resolve("data/readme.txt/inside"));
    Map<String, String> before = describe(out);
    RoadieProcess.Result refused =
        roadie.run("restore", id(first), "--target", out.toString()).assertExit(1);
    assertTrue(
        refused
            .stderr()
            .contains(
                "2 entries are in the way of the snapshot's; nothing was restored: "
                    + out.resolve("data/readme.txt")
                    + " is a directory where the snapshot has a file; "
                    + out.resolve("data/sub")
                    + " is a file where the snapshot has a directory"),
        refused.describe());
    assertEquals(before, describe(out), "nothing written: " + refused.describe());
    RoadieProcess.Result forced =
        roadie.run("restore", id(first), "--target", out.toString(), "--force").assertOk();
    assertEquals(describe(data), describe(out.resolve("data")));
    assertTrue(forced.stdout().contains(": 10 files, "), forced.describe());

    Path file = Files.writeString(tmp.resolve("restore-into-a-file"), "x");
    RoadieProcess.Result intoFile =
        roadie.run("restore", id(first), "--target", file.toString()).assertExit(2);
    assertTrue(
        intoFile
            .stderr()
            .contains("cannot restore into " + file + ": it is a file, not a directory"),
        intoFile.describe());
  }

  @Test
  void backupAndRestoreReportTheSameNumberOfFiles() throws Exception {
    assertEquals(10, first.get("stats").get("files").asLong(), first.toString());
    RoadieProcess.Result r =
        roadie
            .run("restore", id(second), "--target", tmp.resolve("restore-count").toString())
            .assertOk();
    assertTrue(r.stdout().contains(": 10 files, "), r.describe());
  }

  @Test
  void includeRestoresOnlyThatSubtree() throws Exception {
    Path out = tmp.resolve("restore-include");
    roadie
        .run("restore", id(first), "--include", "data/sub/dir", "--target", out.toString())
        .assertOk();
    assertEquals(List.of("dir"), list(out), "only the included directory");
    assertEquals(describe(data.resolve("sub/dir")), describe(out.resolve("dir")));

    Path one = tmp.resolve("restore-include-file");
    roadie
        .run(
            "restore",
            id(first),
            "--include",
            "/data/Ünïcødé dïr/ファイル 名前.txt/",
            "--target",
            one.toString())
        .assertOk();
    assertEquals(List.of("ファイル 名前.txt"), list(one));
    assertEquals("ユニコード ✓\n", Files.readString(one.resolve("ファイル 名前.txt")));

    RoadieProcess.Result missing =
        roadie.run(
            "restore",
            id(first),
            "--include",
            "data/nope",
            "--target",
            tmp.resolve("restore-nope").toString());
    assertEquals(1, missing.exitCode(), missing.describe());
    assertTrue(missing.stderr().contains("'data/nope'"), missing.describe());
  }

  @Test
  void stdoutWithIncludeWritesExactlyThatFile() throws Exception {
    RoadieProcess.Result r =
        roadie
            .run("restore", "latest", "--of", "docs", "--stdout", "--include", "data/big.bin")
            .assertOk();
    assertArrayEquals(Files.readAllBytes(data.resolve("big.bin")), r.stdoutBytes());
    RoadieProcess.Result e =
        roadie.run("restore", id(first), "--stdout", "--include", "data/empty.txt").assertOk();
    assertEquals(0, e.stdoutBytes().length, e.describe());
    RoadieProcess.Result u =
        roadie.run("restore", id(first), "--stdout", "--include", "data/naïve – ü.txt").assertOk();
    assertEquals("café\n", u.stdout());
    // A directory or a many-file snapshot cannot go to stdout.
    RoadieProcess.Result dir =
        roadie.run("restore", id(first), "--stdout", "--include", "data/sub");
    assertNotEquals(0, dir.exitCode(), dir.describe());
    assertEquals(0, dir.stdoutBytes().length, dir.describe());
    RoadieProcess.Result several = roadie.run("restore", id(first), "--stdout");
    assertNotEquals(0, several.exitCode(), several.describe());
    assertTrue(several.stderr().contains("--include"), several.describe());
  }

  @Test
  void stdinStreamComesBackIdentical() {
    assertEquals("db.dump", stream.get("target").asText(), "a stream's default target is its name");
    RoadieProcess.Result r = roadie.run("restore", "latest", "--stdout").assertOk();
    assertEquals(
        TestData.sha256(streamBytes), TestData.sha256(r.stdoutBytes()), "restored stream differs");
    assertArrayEquals(streamBytes, r.stdoutBytes());
    RoadieProcess.Result byName =
        roadie
            .run("restore", "latest", "--of", "db.dump", "--stdout", "--include", "db.dump")
            .assertOk();
    assertArrayEquals(streamBytes, byName.stdoutBytes());
  }

  @Test
  void latestHonoursOfTagAndKind() throws Exception {
    RoadieProcess.Result byTag =
        roadie
            .run("restore", "latest", "--tag", "first", "--stdout", "--include", "data/readme.txt")
            .assertOk();
    assertEquals("hello roadie\n", byTag.stdout());
    // --tag selects the older snapshot: prove it by comparing ids through 'snapshots --tag'
    JsonNode tagged =
        TestData.json(roadie.run("snapshots", "--tag", "weekly", "--json").assertOk().stdout());
    assertEquals(1, tagged.size());
    assertEquals(id(first), id(tagged.get(0)));
    JsonNode both =
        TestData.json(
            roadie
                .run("snapshots", "--tag", "weekly", "--tag", "first", "--json")
                .assertOk()
                .stdout());
    assertEquals(1, both.size());
    JsonNode none =
        TestData.json(
            roadie
                .run("snapshots", "--tag", "weekly", "--tag", "second", "--json")
                .assertOk()
                .stdout());
    assertEquals(0, none.size(), "all given tags must match");
    JsonNode docs =
        TestData.json(
            roadie
                .run("snapshots", "--target", "docs", "--kind", "file", "--json")
                .assertOk()
                .stdout());
    assertEquals(List.of(id(first), id(second)), ids(docs), "oldest first");
    assertEquals(
        0,
        TestData.json(roadie.run("snapshots", "--kind", "postgres", "--json").assertOk().stdout())
            .size());

    RoadieProcess.Result noMatch =
        roadie.run(
            "restore",
            "latest",
            "--tag",
            "no-such-tag",
            "--target",
            tmp.resolve("nomatch").toString());
    assertEquals(1, noMatch.exitCode(), noMatch.describe());
    assertTrue(noMatch.stderr().contains("no snapshot matches"), noMatch.describe());
    assertFalse(Files.exists(tmp.resolve("nomatch").resolve("data")));
  }

  @Test
  void idPrefixesResolve() throws Exception {
    String full = id(first);
    for (String prefix : List.of(full.substring(0, 12), first.get("shortId").asText())) {
      RoadieProcess.Result r =
          roadie.run("restore", prefix, "--stdout", "--include", "data/secret.txt").assertOk();
      assertEquals("top secret\n", r.stdout(), prefix);
    }
    String unknown = unusedId(List.of(id(first), id(second), id(stream)));
    RoadieProcess.Result u =
        roadie.run("restore", unknown, "--target", tmp.resolve("unknown").toString());
    assertEquals(1, u.exitCode(), u.describe());
    assertTrue(u.stderr().contains("no snapshot with id " + unknown), u.describe());
    assertTrue(
        u.stderr().strip().lines().count() <= 2 && !u.stderr().contains("Exception"), u.describe());

    RoadieProcess.Result notHex = roadie.run("restore", "yesterday", "--stdout");
    assertEquals(2, notHex.exitCode(), notHex.describe());
  }

  @Test
  void ambiguousPrefixIsRefused() throws Exception {
    // Tiny snapshots (of another target, dated long ago so they never are 'latest') until two
    // snapshots share a first hex digit: at most 17 in all, usually a handful.
    Map<Character, List<String>> byDigit = new HashMap<>();
    String prefix = null;
    List<String> existing =
        ids(TestData.json(roadie.run("snapshots", "--json").assertOk().stdout()));
    for (int i = 0; i < 18 && prefix == null; i++) {
      String id;
      if (i < existing.size()) {
        id = existing.get(i);
      } else {
        id =
            id(
                TestData.json(
                    roadie
                        .copy()
                        .stdin(("filler " + i).getBytes())
                        .run(
                            "backup",
                            "file",
                            "--stdin",
                            "--name",
                            "filler",
                            "--time",
                            "2020-01-01T00:00:0" + (i % 10) + "Z",
                            "--json")
                        .assertOk()
                        .stdout()));
      }
      List<String> l = byDigit.computeIfAbsent(id.charAt(0), c -> new ArrayList<>());
      l.add(id);
      if (l.size() == 2) {
        int n = 0;
        while (l.get(0).charAt(n) == l.get(1).charAt(n)) n++;
        prefix = id.substring(0, n);
      }
    }
    assertNotNull(prefix);
    RoadieProcess.Result r = roadie.run("restore", prefix, "--stdout");
    assertNotEquals(0, r.exitCode(), r.describe());
    assertTrue(r.stderr().contains("ambiguous"), r.describe());
    assertEquals(0, r.stdoutBytes().length);
    assertFalse(r.stderr().contains("Exception"), r.describe());
  }

  private static String unusedId(List<String> used) {
    for (char c : "0123456789abcdef".toCharArray()) {
      String candidate = String.valueOf(c).repeat(8);
      if (used.stream().noneMatch(u -> u.startsWith(candidate))) return candidate;
    }
    throw new AssertionError();
  }

  @Test
  void snapshotsJsonContract() throws Exception {
    JsonNode listed = TestData.json(roadie.run("snapshots", "--json").assertOk().stdout());
    assertTrue(listed.isArray());
    assertEquals(snapshotFiles(), listed.size(), "every snapshot is listed");
    JsonNode all = withoutFillers(listed);
    assertEquals(List.of(id(first), id(second), id(stream)), ids(all), "oldest first");
    for (JsonNode s : all) {
      assertTrue(s.get("id").asText().matches("[0-9a-f]{64}"), s.toString());
      assertNotNull(OffsetDateTime.parse(s.get("time").asText()), s.toString());
      assertTrue(s.get("target").isTextual(), s.toString());
      assertEquals("file", s.get("kind").asText(), s.toString());
      assertTrue(s.get("tags").isArray(), s.toString());
      assertFalse(s.get("host").asText().isBlank(), s.toString());
      assertTrue(s.get("stats").get("bytesRead").isIntegralNumber(), s.toString());
      assertTrue(s.get("stats").get("bytesAdded").isIntegralNumber(), s.toString());
    }
    JsonNode f = all.get(0);
    assertEquals("docs", f.get("target").asText());
    assertEquals(List.of("first", "weekly"), texts(f.get("tags")));
    assertEquals(
        dataBytes, f.get("stats").get("bytesRead").asLong(), "bytesRead = bytes of all files");
    assertTrue(
        f.get("stats").get("bytesAdded").asLong() > 5 << 20 - 1,
        "the 5 MiB random file is stored: " + f);
    OffsetDateTime t = OffsetDateTime.parse(f.get("time").asText());
    assertEquals(OffsetDateTime.parse(FIRST_TIME), t);
    assertEquals("+01:00", t.getOffset().getId(), "the offset given with --time is kept");
    assertEquals(streamBytes.length, all.get(2).get("stats").get("bytesRead").asLong());
    // the backup's own --json output is the same object as the listing's
    assertEquals(first, f);
  }

  @Test
  void snapshotTimeIsPrintedAsGiven() throws Exception {
    JsonNode all =
        withoutFillers(TestData.json(roadie.run("snapshots", "--json").assertOk().stdout()));
    // BUG: BackupOptions.snapshotTime() stores OffsetDateTime.parse(time).toString(), and
    // OffsetDateTime.toString() drops zero seconds: --time 2026-01-31T02:00:00+01:00 is listed as
    // "2026-01-31T02:00+01:00", which is not RFC 3339 (seconds are mandatory there) and breaks
    // strict parsers of the JSON contract (e.g. Go's time.RFC3339). Same for default times whose
    // seconds and millis happen to be zero.
    assertEquals(FIRST_TIME, all.get(0).get("time").asText());
    assertEquals("2026-02-01T00:00:00Z", all.get(1).get("time").asText());
  }

  @Test
  void unchangedDataIsNotReadAgainAndAddsAlmostNothing() throws Exception {
    long firstAdded = first.get("stats").get("bytesAdded").asLong();
    long secondAdded = second.get("stats").get("bytesAdded").asLong();
    assertEquals(
        0,
        second.get("stats").get("bytesRead").asLong(),
        "unchanged files are not read: " + second);
    assertEquals(
        first.get("stats").get("files").asLong(), second.get("stats").get("files").asLong());
    assertEquals(
        first.get("stats").get("files").asLong(),
        second.get("source").get("unchangedFiles").asLong());
    assertEquals(dataBytes, second.get("source").get("unchangedBytes").asLong());
    assertEquals(
        id(first),
        second.get("parent").asText(),
        "the previous snapshot of the target is the parent");
    assertTrue(
        secondAdded < 64 * 1024 && secondAdded * 50 < firstAdded,
        "second backup of unchanged data added "
            + secondAdded
            + " bytes (first: "
            + firstAdded
            + ")");
    assertEquals(first.get("tree").asText(), second.get("tree").asText(), "same data, same tree");
    Path out = tmp.resolve("restore-second");
    roadie.run("restore", id(second), "--target", out.toString()).assertOk();
    assertEquals(describe(data), describe(out.resolve("data")));
  }

  @Test
  void forceReadsEveryFile() throws Exception {
    JsonNode forced =
        TestData.json(
            roadie
                .run(
                    "backup",
                    "file",
                    data.toString(),
                    "--target",
                    "forced-copy",
                    "--force",
                    "--time",
                    "2020-01-01T00:00:00Z",
                    "--json")
                .assertOk()
                .stdout());
    JsonNode again =
        TestData.json(
            roadie
                .run(
                    "backup",
                    "file",
                    data.toString(),
                    "--target",
                    "forced-copy",
                    "--force",
                    "--time",
                    "2020-01-02T00:00:00Z",
                    "--json")
                .assertOk()
                .stdout());
    assertEquals(dataBytes, again.get("stats").get("bytesRead").asLong(), again.toString());
    assertEquals(0, again.get("source").get("unchangedFiles").asLong(), again.toString());
    assertEquals(forced.get("tree").asText(), again.get("tree").asText());
    RoadieProcess.Result text =
        roadie
            .run(
                "backup",
                "file",
                data.toString(),
                "--target",
                "forced-copy",
                "--time",
                "2020-01-03T00:00:00Z")
            .assertOk();
    assertTrue(
        text.stdout().contains(" saved: 10 files (10 unchanged), 0 B read, "), text.describe());
  }

  @Test
  void statsJsonContract() throws Exception {
    JsonNode s = TestData.json(roadie.run("stats", "--json").assertOk().stdout());
    assertEquals(snapshotFiles(), s.get("snapshots").asInt(), s.toString());
    long packs;
    try (Stream<Path> st = Files.walk(repo.resolve("data"))) {
      packs =
          st.filter(Files::isRegularFile)
              .filter(p -> !p.getFileName().toString().startsWith("."))
              .count();
    }
    assertEquals(packs, s.get("packs").asLong(), s.toString());
    assertTrue(s.get("blobs").asLong() > 3, s.toString());
    long onDisk;
    try (Stream<Path> st = Files.walk(repo)) {
      onDisk =
          st.filter(
                  p ->
                      Files.isRegularFile(p)
                          && !p.getFileName().toString().startsWith(".")
                          && !p.startsWith(repo.resolve("leases")))
              .mapToLong(
                  p -> {
                    try {
                      return Files.size(p);
                    } catch (IOException e) {
                      throw new java.io.UncheckedIOException(e);
                    }
                  })
              .sum();
    }
    assertEquals(
        onDisk,
        s.get("storedBytes").asLong(),
        "storedBytes = bytes of the repository's files: " + s);
    RoadieProcess.Result text = roadie.run("stats").assertOk();
    assertTrue(text.stdout().contains("snapshots:     " + snapshotFiles() + ","), text.describe());
  }

  @Test
  void checkPasses() throws IOException {
    RoadieProcess.Result r = roadie.run("check", "--read-data").assertOk();
    assertTrue(r.stdout().contains("no errors"), r.describe());
    JsonNode j =
        TestData.json(
            roadie.run("check", "--read-data-subset", "50%", "--json").assertOk().stdout());
    assertEquals(0, j.get("errors").size(), j.toString());
    assertEquals(snapshotFiles(), j.get("snapshots").asInt(), j.toString());
  }

  /** Snapshots in the repository, counted on disk. */
  private static int snapshotFiles() throws IOException {
    try (Stream<Path> s = Files.list(repo.resolve("snapshots"))) {
      return (int) s.filter(p -> !p.getFileName().toString().startsWith(".")).count();
    }
  }

  private static JsonNode withoutFillers(JsonNode arr) {
    var out = TestData.JSON.createArrayNode();
    arr.forEach(
        n -> {
          if (!List.of("filler", "forced-copy").contains(n.get("target").asText())) out.add(n);
        });
    return out;
  }

  private static List<String> ids(JsonNode arr) {
    List<String> out = new ArrayList<>();
    arr.forEach(n -> out.add(n.get("id").asText()));
    return out;
  }

  private static List<String> texts(JsonNode arr) {
    List<String> out = new ArrayList<>();
    arr.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static List<String> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
