package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The distribution of scripts/dist (bin/roadie, the jars, a jlink runtime), built once from the
 * modules just compiled: unpacked, it backs up and restores files on a PATH without any java; and
 * the Dockerfile's steps, run against the tarball (no Docker engine here), give an image whose
 * entry point runs.
 */
@Tag("slow")
class DistTest {
  static final Path SOURCE = PrometheusRulesTest.SOURCE;

  /** Test-only jars of the test class path, which the distribution must not carry. */
  static final List<String> TEST_ONLY =
      List.of(
          "/org/junit/",
          "/org/opentest4j/",
          "/org/apiguardian/",
          "/net/jqwik/",
          "/com/tngtech/",
          "/org/apache/maven/",
          "/roadie-testkit/",
          "/roadie-training/",
          "test-classes");

  static Path dir;
  static Path tarball;
  static Path home;
  static Path cleanBin;

  @BeforeAll
  static void build() throws Exception {
    dir = Files.createTempDirectory("roadie-dist-");
    List<String> cp = new ArrayList<>();
    for (String e : RoadieProcess.classPath().split(File.pathSeparator)) {
      if (!e.isEmpty() && TEST_ONLY.stream().noneMatch(e::contains)) cp.add(e);
    }
    String out =
        run(
            List.of(
                "bash",
                SOURCE.resolve("scripts/dist").toString(),
                "--classpath",
                String.join(":", cp),
                "--output",
                dir.resolve("out").toString()),
            Map.of());
    tarball = Path.of(out.strip().lines().reduce((a, b) -> b).orElseThrow());
    assertTrue(
        tarball.getFileName().toString().matches("roadie-[0-9][^/]*-linux-x64\\.tar\\.gz"),
        tarball.toString());
    Path unpacked = Files.createDirectories(dir.resolve("unpacked"));
    run(List.of("tar", "-xzf", tarball.toString(), "-C", unpacked.toString()), Map.of());
    try (Stream<Path> s = Files.list(unpacked)) {
      List<Path> top = s.toList();
      assertEquals(1, top.size(), "one directory in the tarball: " + top);
      home = top.get(0);
    }
    // A PATH with the tools the launcher uses, and no java.
    cleanBin = Files.createDirectories(dir.resolve("clean-bin"));
    for (String tool :
        List.of(
            "bash",
            "env",
            "readlink",
            "cat",
            "sha256sum",
            "stat",
            "nice",
            "setsid",
            "sleep",
            "mkdir",
            "rm",
            "id",
            "uname")) {
      for (String d : List.of("/usr/bin", "/bin")) {
        if (Files.isExecutable(Path.of(d, tool))) {
          Files.createSymbolicLink(cleanBin.resolve(tool), Path.of(d, tool));
          break;
        }
      }
    }
  }

  @AfterAll
  static void cleanUp() throws Exception {
    if (dir == null) return;
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  static String run(List<String> cmd, Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    if (!env.isEmpty()) {
      pb.environment().clear();
      pb.environment().putAll(env);
    }
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int rc = p.waitFor();
    if (rc != 0) throw new AssertionError(cmd + " exited " + rc + ":\n" + out);
    return out;
  }

  /** Runs the unpacked roadie with only the clean PATH: no JAVA_HOME, no java. */
  static String roadie(Path launcher, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(launcher.toString()));
    cmd.addAll(List.of(args));
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", cleanBin.toString());
    env.put("HOME", dir.toString());
    env.put("ROADIE_REPOSITORY", dir.resolve("repo").toString());
    env.put("ROADIE_PASSWORD_FILE", dir.resolve("password").toString());
    return run(cmd, env);
  }

  @Test
  void theUnpackedTarballBacksUpAndRestoresWithoutAJdk() throws Exception {
    assertTrue(Files.isExecutable(home.resolve("bin/roadie")));
    assertTrue(Files.isExecutable(home.resolve("runtime/bin/java")), "the jlink runtime is inside");
    assertTrue(Files.isRegularFile(home.resolve("lib/roadie-cli.jar")));
    assertFalse(Files.exists(cleanBin.resolve("java")), "the clean PATH has no java");
    assertFalse(
        Files.list(home.resolve("lib"))
            .anyMatch(p -> p.getFileName().toString().startsWith("junit")),
        "no test jars in the distribution");

    Files.writeString(dir.resolve("password"), "dist-pw\n");
    Path data = Files.createDirectories(dir.resolve("data"));
    byte[] big = new byte[3 << 20];
    new Random(19).nextBytes(big);
    Files.write(data.resolve("big.bin"), big);
    Files.writeString(
        Files.createDirectories(data.resolve("sub")).resolve("note.txt"), "restored exactly\n");

    Path launcher = home.resolve("bin/roadie");
    assertTrue(roadie(launcher, "version").startsWith("roadie "));
    roadie(launcher, "init");
    roadie(launcher, "backup", "file", data.toString());
    Path restored = dir.resolve("restored");
    roadie(launcher, "restore", "latest", "--target", restored.toString());
    assertArrayEquals(big, Files.readAllBytes(restored.resolve("data/big.bin")));
    assertEquals("restored exactly\n", Files.readString(restored.resolve("data/sub/note.txt")));
  }

  /**
   * The Dockerfile's steps that concern roadie, run against the tarball in a directory standing for
   * the image's root: ADD unpacks the tarball the build argument names, {@code ln -s} in RUN makes
   * its links, PATH names the launcher's directory, and the ENTRYPOINT runs. Steps that install
   * Debian packages or users need a Docker engine and are only required to be present.
   */
  @Test
  void dockerfileStepsMatchTheTarball() throws Exception {
    String dockerfile = Files.readString(SOURCE.resolve("Dockerfile")).replaceAll("\\\\\n", " ");
    Matcher v =
        Pattern.compile("roadie-(.+)-linux-x64\\.tar\\.gz")
            .matcher(tarball.getFileName().toString());
    assertTrue(v.matches());
    String version = v.group(1);
    Path image = Files.createDirectories(dir.resolve("image"));
    boolean added = false;
    Path entrypoint = null;
    String path = null;
    for (String line :
        dockerfile
            .lines()
            .map(String::strip)
            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
            .toList()) {
      String[] words = line.split("\\s+", 2);
      String rest = words.length > 1 ? words[1].replace("${VERSION}", version) : "";
      switch (words[0]) {
        case "ADD", "COPY" -> {
          String[] args = rest.split("\\s+");
          assertEquals(2, args.length, line);
          assertEquals(
              tarball.getFileName().toString(),
              args[0],
              "the Dockerfile adds the tarball scripts/dist builds");
          assertEquals("ADD", words[0], "ADD, not COPY: ADD unpacks the tarball");
          Path dest = Files.createDirectories(image.resolve(args[1].substring(1)));
          run(List.of("tar", "-xzf", tarball.toString(), "-C", dest.toString()), Map.of());
          added = true;
        }
        case "RUN" -> {
          for (String step : rest.split("&&")) {
            String[] a = step.strip().split("\\s+");
            if (a[0].equals("ln")) {
              assertEquals(List.of("ln", "-s"), List.of(a[0], a[1]), step);
              Path target = image.resolve(a[2].substring(1));
              assertTrue(
                  added && Files.isDirectory(target),
                  step + ": " + a[2] + " is not in the unpacked tarball");
              Files.createSymbolicLink(image.resolve(a[3].substring(1)), target);
            } else {
              assertTrue(
                  List.of("apt-get", "rm", "useradd").contains(a[0]),
                  "a RUN step this test does not know: " + step);
            }
          }
        }
        case "ENV" -> {
          if (rest.startsWith("PATH=")) path = rest.substring(5);
        }
        case "ENTRYPOINT" -> {
          Matcher m = Pattern.compile("\\[\"([^\"]+)\"]").matcher(rest);
          assertTrue(m.matches(), "ENTRYPOINT in exec form: " + line);
          entrypoint = image.resolve(m.group(1).substring(1));
        }
        default -> {
          // FROM, ARG, USER, WORKDIR, CMD: nothing of the tarball in them
        }
      }
    }
    assertTrue(added, "the Dockerfile ADDs the tarball");
    assertTrue(
        path != null && path.startsWith("/opt/roadie/bin:"),
        "PATH starts with the launcher's directory: " + path);
    assertTrue(
        Files.isExecutable(image.resolve(path.substring(1, path.indexOf(':'))).resolve("roadie")));
    assertTrue(
        entrypoint != null && Files.isExecutable(entrypoint),
        "the ENTRYPOINT is the tarball's launcher: " + entrypoint);
    assertTrue(roadie(entrypoint, "version").startsWith("roadie "), "the entry point runs");
  }
}
