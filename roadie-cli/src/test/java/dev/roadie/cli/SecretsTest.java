package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.postgres.PgCluster;
import dev.roadie.testkit.KubeCluster;
import dev.roadie.testkit.MinioServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * No secret leaves roadie: every source backs up and restores with a distinctive password, key or
 * token, and nothing roadie produced contains it: standard output and error of every command (also
 * failing ones), the decrypted snapshot metadata, the audit trail, and the argv of every child
 * process (watched in /proc while the command runs, and logged by wrappers of the PostgreSQL
 * programs, which also catch children too short-lived to be seen there).
 */
class SecretsTest {
  static final String REPO_PW = "RepoPw-Zq81-secret";
  static final String PG_PW = "PgPw-Xk47-secret";
  static final String REDIS_PW = "RedisPw-Vb29-secret";
  static final String WRONG_PW = "WrongPw-Lm63-secret";

  @TempDir static Path tmp;
  static Path pgBin;
  static Path pgData;
  static int pgPort;
  static Process redis;
  static int redisPort;
  static MinioServer minio;
  static KubeCluster kube;
  static String kubeToken;
  static Path kubeconfig;
  static Path wrappers;
  static Path argvLog;

  /** Everything roadie printed and every child argv seen, to scan at the end of each test. */
  static final List<String> produced = Collections.synchronizedList(new ArrayList<>());

  @BeforeAll
  static void start() throws Exception {
    pgBin = PostgresCliTest.findBin();
    Assumptions.assumeTrue(pgBin != null, "PostgreSQL is not installed");
    Path dir = Files.createTempDirectory("roadie-secrets-pg-");
    pgData = dir.resolve("data");
    Files.writeString(dir.resolve("pw"), PG_PW + "\n");
    if ("root".equals(System.getProperty("user.name")))
      PostgresCliTest.exec(List.of("chown", "-R", "postgres", dir.toString()));
    PgCluster.initdb(pgBin, pgData, dir.resolve("pw"));
    pgPort = freePort();
    PostgresCliTest.exec(
        PostgresCliTest.asPostgres(
            pgBin.resolve("pg_ctl").toString(),
            "-D",
            pgData.toString(),
            "-l",
            dir.resolve("log").toString(),
            "-o",
            "-p " + pgPort + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off",
            "-w",
            "start"));
    PostgresCliTest.exec(
        List.of(
            pgBin.resolve("psql").toString(),
            "-h",
            dir.toString(),
            "-p",
            Integer.toString(pgPort),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-c",
            "CREATE TABLE t (id int PRIMARY KEY, v text); "
                + "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 1000) g"));

    // Wrappers of the PostgreSQL programs that log their argv, so a short-lived child is seen too.
    wrappers = tmp.resolve("pg-wrappers");
    argvLog = tmp.resolve("argv.log");
    Files.createDirectories(wrappers);
    Files.createFile(argvLog);
    Files.setPosixFilePermissions(argvLog, PosixFilePermissions.fromString("rw-rw-rw-"));
    try (Stream<Path> programs = Files.list(pgBin)) {
      for (Path p : programs.toList()) {
        Path w = wrappers.resolve(p.getFileName());
        Files.writeString(
            w, "#!/bin/sh\nprintf '%s\\n' \"$0 $*\" >> " + argvLog + "\nexec " + p + " \"$@\"\n");
        Files.setPosixFilePermissions(w, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
    }

    redisPort = freePort();
    Path redisDir = Files.createDirectories(tmp.resolve("redis"));
    redis =
        new ProcessBuilder(
                "redis-server",
                "--port",
                Integer.toString(redisPort),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                redisDir.toString(),
                "--requirepass",
                REDIS_PW,
                "--repl-diskless-sync-delay",
                "0")
            .redirectErrorStream(true)
            .redirectOutput(redisDir.resolve("out").toFile())
            .start();
    awaitPort(redisPort);

    minio = MinioServer.start();
    try (S3Client s3 =
        S3Client.builder()
            .endpointOverride(minio.endpoint())
            .forcePathStyle(true)
            .region(Region.of(minio.region()))
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(minio.accessKey(), minio.secretKey())))
            .build()) {
      s3.createBucket(b -> b.bucket("secret-photos"));
      s3.putObject(b -> b.bucket("secret-photos").key("a.txt"), RequestBody.fromString("a photo"));
    }

    kube = KubeCluster.start();
    kubectl("create", "namespace", "secrets");
    kubectl("-n", "secrets", "create", "configmap", "c", "--from-literal=k=v");
    kubectl("-n", "secrets", "create", "serviceaccount", "backup");
    kubectl(
        "create",
        "clusterrolebinding",
        "backup-admin",
        "--clusterrole=cluster-admin",
        "--serviceaccount=secrets:backup");
    kubeToken = kubectl("-n", "secrets", "create", "token", "backup").strip();
    String server =
        kubectl(
                "config",
                "view",
                "--raw",
                "--minify",
                "-o",
                "jsonpath={.clusters[0].cluster.server}")
            .strip();
    String ca =
        kubectl(
                "config",
                "view",
                "--raw",
                "--minify",
                "-o",
                "jsonpath={.clusters[0].cluster.certificate-authority-data}")
            .strip();
    kubeconfig = tmp.resolve("token-kubeconfig");
    Files.writeString(
        kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: "
            + server
            + "\n    certificate-authority-data: "
            + ca
            + "\nusers:\n- name: u\n  user:\n    token: "
            + kubeToken
            + "\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\ncurrent-context: x\n");
  }

  @AfterAll
  static void stop() throws Exception {
    if (redis != null) {
      redis.destroy();
      redis.waitFor(10, TimeUnit.SECONDS);
    }
    if (minio != null) minio.close();
    if (kube != null) kube.close();
    if (pgData != null) {
      PostgresCliTest.exec(
          PostgresCliTest.asPostgres(
              pgBin.resolve("pg_ctl").toString(),
              "-D",
              pgData.toString(),
              "-m",
              "fast",
              "-w",
              "stop"));
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static void awaitPort(int port) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
        return;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) throw e;
        Thread.sleep(50);
      }
    }
  }

  static String kubectl(String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                KubeCluster.kubectl().toString(), "--kubeconfig", kube.kubeconfig().toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), String.join(" ", args) + ": " + out);
    return out;
  }

  /**
   * Runs roadie, watching the argv of its children in /proc while it runs; records its output and
   * the argv seen for the scan.
   */
  static RoadieProcess.Result run(RoadieProcess roadie, String... args) throws Exception {
    RoadieProcess.Running running = roadie.start(args);
    Set<String> argv = new LinkedHashSet<>();
    while (running.process.isAlive()) {
      running
          .process
          .descendants()
          .forEach(
              h -> {
                try {
                  byte[] raw =
                      Files.readAllBytes(Path.of("/proc", Long.toString(h.pid()), "cmdline"));
                  String line = new String(raw, StandardCharsets.UTF_8).replace('\0', ' ');
                  // roadie's own JVM (under a launcher or nice it is a descendant too) holds the
                  // test's arguments, secrets included: what counts is what roadie passes on.
                  if (!line.contains(" " + Main.class.getName() + " ")) argv.add(line);
                } catch (IOException e) {
                  // gone already
                }
              });
      Thread.sleep(5);
    }
    RoadieProcess.Result r = running.await(Duration.ofMinutes(3));
    // What roadie printed, headed by the command's name only: its arguments are the test's, with
    // the secrets.
    produced.add(
        "output of roadie "
            + args[0]
            + (args.length > 1 ? " " + args[1] : "")
            + ":\n"
            + r.stdout()
            + "\n"
            + r.stderr());
    produced.addAll(argv);
    return r;
  }

  static void assertNoSecretIn(List<String> texts, List<String> secrets) {
    for (String text : texts) {
      for (String secret : secrets) {
        assertFalse(
            text.contains(secret),
            "a secret (" + secret.substring(0, 4) + "…) appears in:\n" + text);
      }
    }
  }

  @Test
  void noSecretInOutputMetadataAuditOrChildArgv() throws Exception {
    Path pwFile = tmp.resolve("repo-pw");
    Files.writeString(pwFile, REPO_PW + "\n");
    Files.setPosixFilePermissions(pwFile, PosixFilePermissions.fromString("rw-------"));
    RoadieProcess roadie =
        RoadieProcess.of(tmp.resolve("repo"), "unused")
            .env("ROADIE_PASSWORD", null)
            .env("ROADIE_PASSWORD_FILE", pwFile.toString())
            .env("KUBECONFIG", kubeconfig.toString())
            .timeout(Duration.ofMinutes(3));
    minio.env().forEach(roadie::env);
    run(roadie, "init").assertOk();

    Path files = Files.createDirectories(tmp.resolve("files"));
    Files.writeString(files.resolve("f.txt"), "file data\n");
    run(roadie, "backup", "file", files.toString()).assertOk();

    String pgUrl = "postgresql://postgres:" + PG_PW + "@127.0.0.1:" + pgPort + "/postgres";
    run(roadie, "backup", "postgres", "--url", pgUrl, "--pg-bin", wrappers.toString()).assertOk();
    run(
            roadie,
            "backup",
            "postgres",
            "--format",
            "pg_dump",
            "--url",
            pgUrl,
            "--pg-bin",
            wrappers.toString())
        .assertOk();
    run(
            roadie,
            "backup",
            "postgres",
            "--physical",
            "--wal-method",
            "fetch",
            "--url",
            pgUrl,
            "--pg-bin",
            wrappers.toString())
        .assertOk();
    run(
            roadie.copy().env("PGPASSWORD", PG_PW),
            "backup",
            "postgres",
            "--url",
            "postgresql://postgres@127.0.0.1:" + pgPort + "/postgres",
            "--pg-bin",
            wrappers.toString())
        .assertOk();
    run(
            roadie,
            "backup",
            "postgres",
            "--url",
            "postgresql://postgres:" + WRONG_PW + "@127.0.0.1:" + pgPort + "/postgres",
            "--pg-bin",
            wrappers.toString())
        .assertFailed();
    run(
            roadie,
            "restore",
            "latest",
            "--kind",
            "postgres",
            "--to",
            "postgresql://postgres:" + PG_PW + "@127.0.0.1:" + pgPort + "/restored",
            "--pg-bin",
            wrappers.toString())
        .assertOk();

    run(roadie, "backup", "redis", "--url", "redis://:" + REDIS_PW + "@127.0.0.1:" + redisPort)
        .assertOk();
    run(
            roadie.copy().env("REDISCLI_AUTH", REDIS_PW),
            "backup",
            "redis",
            "--url",
            "redis://127.0.0.1:" + redisPort)
        .assertOk();
    run(roadie, "backup", "redis", "--url", "redis://:" + WRONG_PW + "@127.0.0.1:" + redisPort)
        .assertFailed();

    run(roadie, "backup", "bucket", "s3://secret-photos").assertOk();
    run(
            roadie.copy().env("AWS_SECRET_ACCESS_KEY", WRONG_PW),
            "backup",
            "bucket",
            "s3://secret-photos")
        .assertFailed();

    run(roadie, "backup", "k8s", "-n", "secrets").assertOk();

    RoadieProcess.Result snapshots = run(roadie, "snapshots", "--json").assertOk();
    for (String kind : List.of("file", "postgres", "postgres-physical", "redis", "bucket", "k8s")) {
      assertTrue(
          snapshots.stdout().contains("\"kind\" : \"" + kind + "\""),
          kind + " backed up: " + snapshots.stdout());
    }
    run(roadie, "audit", "--json").assertOk();
    run(roadie, "check").assertOk();
    scanTheAgentsMetricsAndStatus(pwFile);
    List<String> everything = new ArrayList<>(produced);
    everything.add(Files.readString(argvLog));
    assertTrue(
        Files.readString(argvLog).contains("pg_dump"),
        "the wrappers saw pg_dump run: " + Files.readString(argvLog));
    assertNoSecretIn(
        everything, List.of(REPO_PW, PG_PW, REDIS_PW, WRONG_PW, minio.secretKey(), kubeToken));
  }

  /**
   * The agent over the repository the test filled ({@code --metrics-only}: it runs no job), with
   * targets whose passwords come from files: its metric labels and status name every target and
   * snapshot, and must carry none of their secrets.
   */
  static void scanTheAgentsMetricsAndStatus(Path repoPasswordFile) throws Exception {
    Path pgPwFile = Files.writeString(tmp.resolve("pg-pw"), PG_PW + "\n");
    Path redisPwFile = Files.writeString(tmp.resolve("redis-pw"), REDIS_PW + "\n");
    for (Path f : List.of(pgPwFile, redisPwFile))
      Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    Path config =
        Files.writeString(
            tmp.resolve("roadie.yaml"),
            "repository: "
                + tmp.resolve("repo")
                + "\npasswordFile: "
                + repoPasswordFile
                + "\nlisten: 127.0.0.1:0\ntargets:\n"
                + "  - {name: db, kind: postgres, url: \"postgresql://postgres@127.0.0.1:"
                + pgPort
                + "/postgres\", passwordFile: "
                + pgPwFile
                + ", schedule: \"0 3 * * *\"}\n"
                + "  - {name: cache, kind: redis, url: \"redis://127.0.0.1:"
                + redisPort
                + "\", passwordFile: "
                + redisPwFile
                + ", schedule: \"0 3 * * *\"}\n");
    RoadieProcess.Running agent =
        RoadieProcess.bare().start("agent", "--config", config.toString(), "--metrics-only");
    try {
      Matcher listening = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)").matcher("");
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!listening.reset(agent.stderrNow()).find()) {
        if (!agent.process.isAlive() || System.nanoTime() > deadline)
          throw new AssertionError("the agent did not start: " + agent.stderrNow());
        Thread.sleep(50);
      }
      int port = Integer.parseInt(listening.group(1));
      HttpClient http = HttpClient.newHttpClient();
      for (String path : List.of("/metrics", "/api/v1/status")) {
        String body =
            http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        produced.add("the agent's " + path + ":\n" + body);
        if (path.equals("/metrics")) {
          // Not an empty page: the labels name the repository's targets, PostgreSQL's URL too.
          assertTrue(
              body.contains("kind=\"postgres\"") && body.contains("127.0.0.1:" + pgPort), body);
          assertTrue(body.contains("kind=\"redis\""), body);
        }
      }
    } finally {
      agent.process.toHandle().destroy(); // SIGTERM
      RoadieProcess.Result r = agent.await(Duration.ofSeconds(60));
      produced.add("output of roadie agent:\n" + r.stdout() + "\n" + r.stderr());
    }
  }

  @Test
  void aPasswordFileOthersCanReadDrawsOneWarning() throws Exception {
    Path open = tmp.resolve("open-pw");
    Files.writeString(open, "warned password\n");
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
    RoadieProcess roadie =
        RoadieProcess.of(tmp.resolve("warned"), "unused")
            .env("ROADIE_PASSWORD", null)
            .env("ROADIE_PASSWORD_FILE", open.toString());
    RoadieProcess.Result init = roadie.run("init").assertOk();
    List<String> warnings = init.stderr().lines().filter(l -> l.contains("warning")).toList();
    assertEquals(1, warnings.size(), init.describe());
    assertTrue(warnings.get(0).contains("chmod 600 " + open), init.describe());
    RoadieProcess.Result listed = roadie.run("snapshots").assertOk();
    assertEquals(
        1, listed.stderr().lines().filter(l -> l.contains("chmod 600")).count(), listed.describe());

    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-------"));
    RoadieProcess.Result quiet = roadie.run("snapshots").assertOk();
    assertFalse(quiet.stderr().contains("warning"), quiet.describe());
  }
}
