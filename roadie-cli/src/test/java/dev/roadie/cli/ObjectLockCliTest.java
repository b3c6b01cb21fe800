package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.roadie.core.repo.ConfigForgery;
import dev.roadie.core.repo.Repository;
import dev.roadie.s3.S3Backend;
import dev.roadie.s3.S3Location;
import dev.roadie.s3.S3Settings;
import dev.roadie.testkit.MinioServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeleteMarkerEntry;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse;
import software.amazon.awssdk.services.s3.model.ObjectVersion;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * A repository with object lock on MinIO, used by IAM users that hold exactly the policies of
 * {@code deploy/iam/} (docs/security.md): each role does its job and no more, and an attacker with
 * the maintainer's credentials (which may write and delete everything roadie ever deletes) cannot
 * make a backup unrestorable.
 */
@Tag("slow")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ObjectLockCliTest {
  static final String BUCKET = "vault";
  static final String PREFIX = "prod";
  static final String REPO = "s3://" + BUCKET + "/" + PREFIX;

  @TempDir static Path tmp;
  static MinioServer minio;
  static S3Client root;

  /** Snapshot id → the bytes of every file it holds (relative path → content). */
  static final Map<String, Map<String, byte[]>> backedUp = new java.util.LinkedHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    minio = MinioServer.start();
    root = client(minio.accessKey(), minio.secretKey());
    Path iam = deployIam();
    for (String role : List.of("writer", "maintainer", "reader")) {
      Path policy = tmp.resolve(role + ".json");
      Files.writeString(
          policy,
          Files.readString(iam.resolve(role + ".json"))
              .replace("BUCKET", BUCKET)
              .replace("PREFIX", PREFIX));
      mc("admin", "policy", "create", "t", "roadie-" + role, policy);
      mc("admin", "user", "add", "t", role, secret(role));
      mc("admin", "policy", "attach", "t", "roadie-" + role, "--user", role);
    }
  }

  /** The PostgreSQL cluster of the WAL test (and its restored copy), when it ran. */
  static Path pgDir;

  static Path pgPassword;
  static PgServer pg;
  static String pgTargetTime;
  static final List<PgServer> pgServers = new ArrayList<>();

  @AfterAll
  static void stop() throws Exception {
    for (PgServer s : pgServers) {
      try {
        s.close();
      } catch (Exception ignored) {
        // already stopped
      }
    }
    if (pgDir != null) {
      try (var s = Files.walk(pgDir)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    if (root != null) root.close();
    if (minio != null) minio.close();
  }

  @Test
  @Order(1)
  void initCreatesTheBucketWithObjectLockAndRefusesOneWithout() throws Exception {
    root.createBucket(b -> b.bucket("plain"));
    RoadieProcess.Result plain =
        as("maintainer")
            .env("ROADIE_REPOSITORY", "s3://plain/repo")
            .env("AWS_ACCESS_KEY_ID", minio.accessKey())
            .env("AWS_SECRET_ACCESS_KEY", minio.secretKey())
            .run("init", "--object-lock", "1")
            .assertExit(1);
    assertTrue(
        plain.stderr().contains("the bucket plain exists without object lock"), plain.describe());
    assertTrue(
        root.listObjectsV2(b -> b.bucket("plain")).contents().isEmpty(), "nothing written into it");

    RoadieProcess.Result local =
        RoadieProcess.of(tmp.resolve("local"), "pw")
            .run("init", "--object-lock", "1")
            .assertExit(2);
    assertTrue(local.stderr().contains("object lock needs an S3 bucket"), local.describe());
    RoadieProcess.Result mode =
        as("maintainer")
            .run("init", "--object-lock", "1", "--object-lock-mode", "forever")
            .assertExit(2);
    assertTrue(mode.stderr().contains("must be compliance or governance"), mode.describe());

    RoadieProcess.Result init = as("maintainer").run("init", "--object-lock", "1").assertExit(0);
    assertTrue(init.stdout().contains("object lock: compliance mode"), init.describe());
    assertEquals(
        "Enabled",
        root.getObjectLockConfiguration(b -> b.bucket(BUCKET))
            .objectLockConfiguration()
            .objectLockEnabledAsString());
  }

  @Test
  @Order(2)
  void eachRoleDoesItsJobAndTheWriterCannotPrune() throws Exception {
    Path data = tmp.resolve("data");
    Files.createDirectories(data);
    Random random = new Random(21);
    for (int i = 0; i < 3; i++) {
      byte[] big = new byte[1_500_000];
      random.nextBytes(big);
      Files.write(data.resolve("big-" + i), big);
      Files.writeString(data.resolve("note"), "backup " + i);
      RoadieProcess.Result b =
          as("writer").run("backup", "file", data.toString(), "--target", "app").assertExit(0);
      backedUp.put(snapshotId(b.stdout()), contents(data));
    }
    // Every object of a locked kind carries a retention of at least the lock's day.
    for (ObjectVersion v : versions(root).versions()) {
      if (v.key().contains("/leases/") || v.key().contains("/plans/")) continue;
      var head = root.headObject(b -> b.bucket(BUCKET).key(v.key()).versionId(v.versionId()));
      assertEquals("COMPLIANCE", head.objectLockModeAsString(), v.key());
      assertTrue(
          head.objectLockRetainUntilDate().isAfter(java.time.Instant.now().plusSeconds(86_000)),
          v.key());
    }
    assertTrue(
        versions(root).versions().stream().noneMatch(v -> v.key().contains("/leases/")),
        "the writer deletes its lease, every version of it");

    Map<String, String> before = state();
    Map<String, String> beforeBackups = backups();
    RoadieProcess.Result forget = as("writer").run("forget", "--keep-last", "1").assertExit(1);
    assertTrue(
        forget.stderr().contains("S3 refused to upload")
            && forget.stderr().contains("/tombstones/")
            && forget.stderr().contains("docs/security.md"),
        forget.describe());
    assertEquals(
        beforeBackups, backups(), "the writer's forget changed nothing but the audit trail");
    assertEquals(1, audit().size() - auditOf(before).size(), "one audit entry: the failed forget");

    as("maintainer").run("forget", "--keep-last", "2").assertExit(0);
    String oldest = backedUp.keySet().iterator().next();
    RoadieProcess.Result listed = as("reader").run("snapshots").assertExit(0);
    assertTrue(listed.stdout().contains("2 snapshots"), listed.describe());
    before = state();
    beforeBackups = backups();
    RoadieProcess.Result prune = as("writer").run("prune").assertExit(1);
    assertTrue(
        prune.stderr().contains("S3 refused to upload")
            && prune.stderr().contains("/plans/")
            && prune.stderr().contains("check the credentials"),
        prune.describe());
    assertEquals(
        beforeBackups, backups(), "the writer's prune changed nothing but the audit trail");
    assertEquals(1, audit().size() - auditOf(before).size(), "one audit entry: the failed prune");

    RoadieProcess.Result pruned = as("maintainer").run("prune", "--grace", "0s").assertExit(0);
    assertTrue(pruned.stdout().contains("object lock, which keeps"), pruned.describe());

    RoadieProcess.Result check = as("reader").run("check", "--read-data").assertExit(0);
    assertTrue(check.stdout().contains("2 snapshots"), check.describe());
    for (String id : backedUp.keySet()) {
      // The forgotten snapshot too: named by its id, it restores while the lock keeps it.
      assertRestores(as("reader"), id);
    }
    RoadieProcess.Result readerBackup =
        as("reader").run("backup", "file", data.toString()).assertExit(1);
    assertTrue(readerBackup.stderr().contains("S3 refused"), readerBackup.describe());
    RoadieProcess.Result readerForget =
        as("reader").run("forget", "--keep-last", "1").assertExit(1);
    assertTrue(readerForget.stderr().contains("S3 refused"), readerForget.describe());
    assertTrue(
        versions(root).versions().stream().anyMatch(v -> v.key().contains("/tombstones/" + oldest)),
        "forget wrote a tombstone for the oldest snapshot");
  }

  /**
   * A PostgreSQL cluster that archives into the locked repository with {@code archive_command =
   * 'roadie wal-push %p'} under the writer's credentials, and a physical backup of it: archived
   * segments carry retention as backups do, the fragments of the backup's own WAL carry none, and a
   * forget (which needs no WAL from before the backup) leaves what object lock keeps, and says so.
   */
  @Test
  @Order(3)
  void archivedWalIsLockedLikeBackupsAndForgetWaitsForIt() throws Exception {
    Path bin = PostgresCliTest.findBin();
    Assumptions.assumeTrue(bin != null, "PostgreSQL is not installed");
    pgDir = Files.createTempDirectory("roadie-lock-wal-");
    Path launcher =
        PhysicalFixture.writeLauncher(Files.createDirectories(pgDir.resolve("launcher")));
    pgPassword = pgDir.resolve("password");
    Files.writeString(pgPassword, "lock-pw\n");
    Path dbPassword = Files.writeString(pgDir.resolve("dbpw"), PgServer.DB_PW + "\n");
    if (PgServer.root()) PgServer.exec(List.of("chown", "-R", "postgres", pgDir.toString()));
    PgServer.exec(List.of("chmod", "600", pgPassword.toString()));
    pg =
        PgServer.initdb(
            bin,
            pgDir.resolve("primary"),
            dbPassword,
            "wal_level = replica\narchive_mode = on\narchive_command = '"
                + roadieCommand("writer", launcher)
                + " wal-push %p'\n");
    pgServers.add(pg);
    pg.start();
    String url = pg.url();
    // wal-stream beside archive_command, as the writer: its fragments carry no retention, and it
    // deletes them (every version) once their segment is stored whole.
    RoadieProcess.Running stream =
        as("writer")
            .start(
                "wal-stream", "--url", url, "--slot", "roadie_lock", "--flush-interval", "200ms");
    WalStreamCliTest.await(
        () ->
            pg.query("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
                .equals("1"),
        "wal-stream connects: " + stream.stderrNow());
    pg.sql("CREATE TABLE pitr (batch text, n int)");
    pg.sql("INSERT INTO pitr SELECT 'A', g FROM generate_series(1, 100) g");
    pg.archiveCurrentWal(); // so the backup starts in a later segment: the archived one is unneeded
    as("writer").run("backup", "postgres", "--physical", "--url", url).assertExit(0);
    pg.sql("INSERT INTO pitr SELECT 'B', g FROM generate_series(1, 100) g");
    Thread.sleep(1100);
    pgTargetTime =
        pg.query(
            "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
                + "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
    Thread.sleep(1100);
    pg.sql("INSERT INTO pitr SELECT 'C', g FROM generate_series(1, 100) g");
    pg.archiveCurrentWal();
    String last = pg.query("SELECT last_archived_wal FROM pg_stat_archiver");
    WalStreamCliTest.await(
        () -> stream.stderrNow().contains(" " + last), "wal-stream stores " + last);
    // WAL in the segment after the switch, and its fragment stored (every 200 ms), before the
    // stream stops: a segment just begun may hold nothing yet to store.
    pg.sql("INSERT INTO pitr SELECT 'D', g FROM generate_series(1, 100) g");
    WalStreamCliTest.await(
        () ->
            versions(root).versions().stream()
                .anyMatch(v -> v.key().contains("/wal/") && v.key().endsWith(".partial")),
        "wal-stream stores a fragment of the segment after " + last);
    stream.process.toHandle().destroy(); // SIGTERM: stores what it holds and exits
    RoadieProcess.Result streamed = stream.await(java.time.Duration.ofSeconds(60));
    assertFalse(
        streamed.stderr().contains("cannot delete") || streamed.stderr().contains("refused"),
        streamed.describe());
    assertTrue(
        versions(root).deleteMarkers().stream().noneMatch(m -> m.key().contains("/wal/")),
        "fragments are deleted version by version, no delete marker left");

    int segments = 0;
    int fragments = 0;
    for (ObjectVersion v : versions(root).versions()) {
      if (!v.key().startsWith(PREFIX + "/wal/")) continue;
      var head = root.headObject(b -> b.bucket(BUCKET).key(v.key()).versionId(v.versionId()));
      if (v.key().endsWith(".partial")) {
        fragments++;
        assertEquals(null, head.objectLockRetainUntilDate(), v.key() + " is short-lived");
      } else {
        segments++;
        assertEquals("COMPLIANCE", head.objectLockModeAsString(), v.key());
        assertTrue(
            head.objectLockRetainUntilDate().isAfter(java.time.Instant.now().plusSeconds(86_000)),
            v.key());
      }
    }
    assertTrue(
        segments >= 3 && fragments >= 1, segments + " segments, " + fragments + " fragments");

    // The WAL before the backup's start is no longer needed, but object lock keeps it: forget
    // deletes none of it, and says so.
    Map<String, String> walBefore = new TreeMap<>(state());
    walBefore.keySet().removeIf(k -> !k.contains("/wal/") || k.contains(".partial"));
    RoadieProcess.Result forget = as("maintainer").run("forget", "--keep-last", "1").assertExit(0);
    assertTrue(forget.stdout().contains("until object lock lets go of"), forget.describe());
    Map<String, String> walAfter = new TreeMap<>(state());
    walAfter.keySet().removeIf(k -> !k.contains("/wal/") || k.contains(".partial"));
    assertEquals(walBefore, walAfter, "forget left every locked WAL object as it was");
  }

  /** The restore_command or archive_command prefix that runs roadie as {@code role}. */
  static String roadieCommand(String role, Path launcher) {
    StringBuilder b = new StringBuilder();
    Map<String, String> env = new TreeMap<>(minio.env());
    env.put("AWS_ACCESS_KEY_ID", role);
    env.put("AWS_SECRET_ACCESS_KEY", secret(role));
    env.put("ROADIE_REPOSITORY", REPO);
    env.put("ROADIE_PASSWORD_FILE", pgPassword.toString());
    env.forEach((k, v) -> b.append(k).append('=').append(v).append(' '));
    return b.append(launcher).toString();
  }

  @Test
  @Order(4)
  void anAttackerWithTheMaintainersCredentialsCannotDestroyALockedBackup() throws Exception {
    // roadie itself, run by the attacker: forget everything it can, prune with no grace.
    as("maintainer").run("forget", "--keep-last", "1", "--prune", "--grace", "0s").assertExit(0);
    as("maintainer").run("prune", "--grace", "0s").assertExit(0);

    try (S3Client attacker = client("maintainer", secret("maintainer"))) {
      ListObjectVersionsResponse all = versions(attacker);
      // Overwrite every snapshot, then delete every version of everything, then every key.
      for (ObjectVersion v : all.versions()) {
        if (v.key().contains("/snapshots/")) {
          attacker.putObject(
              b -> b.bucket(BUCKET).key(v.key()), RequestBody.fromString("ransom note"));
        }
      }
      int refused = 0;
      List<String> lockedVersions = new ArrayList<>();
      for (ObjectVersion v : versions(attacker).versions()) {
        try {
          attacker.deleteObject(b -> b.bucket(BUCKET).key(v.key()).versionId(v.versionId()));
        } catch (S3Exception e) {
          refused++;
          lockedVersions.add(v.key() + "@" + v.versionId());
        }
      }
      for (DeleteMarkerEntry m : versions(attacker).deleteMarkers()) {
        attacker.deleteObject(b -> b.bucket(BUCKET).key(m.key()).versionId(m.versionId()));
      }
      for (ObjectVersion v : versions(attacker).versions()) {
        attacker.deleteObject(b -> b.bucket(BUCKET).key(v.key()));
      }
      assertTrue(refused > 0, "object lock refused to delete locked versions");
      assertTrue(
          attacker.listObjectsV2(b -> b.bucket(BUCKET).prefix(PREFIX + "/")).contents().isEmpty(),
          "to a plain listing, the repository is gone");
      for (String kv : lockedVersions) {
        String key = kv.substring(0, kv.indexOf('@'));
        String version = kv.substring(kv.indexOf('@') + 1);
        root.headObject(b -> b.bucket(BUCKET).key(key).versionId(version)); // still there
      }
    }

    // With the password, the attacker can also write a config without object lock, MAC and all.
    // roadie keeps to the first version of config (init writes it once), so the lock stays on.
    try (S3Backend backend =
            new S3Backend(
                S3Location.parse(REPO),
                S3Settings.of(
                    minio.endpoint(),
                    minio.region(),
                    StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(minio.accessKey(), minio.secretKey()))));
        Repository repo = Repository.open(backend, "lock-pw".toCharArray())) {
      byte[] forged = ConfigForgery.withoutObjectLock(repo);
      root.putObject(b -> b.bucket(BUCKET).key(PREFIX + "/config"), RequestBody.fromBytes(forged));
    }

    for (String id : backedUp.keySet()) {
      assertRestores(as("reader"), id);
    }
    if (pgTargetTime != null) {
      // The physical backup, recovered to a point in time after it with the archived WAL.
      Path restored = pgDir.resolve("restored");
      as("reader")
          .run(
              "restore",
              "latest",
              "--kind",
              "postgres-physical",
              "--pgdata",
              restored.toString(),
              "--archive-mode",
              "off",
              "--target-time",
              pgTargetTime,
              "--restore-command",
              roadieCommand("reader", pgDir.resolve("launcher/roadie")) + " wal-fetch %f %p")
          .assertExit(0);
      if (PgServer.root()) PgServer.exec(List.of("chown", "-R", "postgres", restored.toString()));
      PgServer copy = new PgServer(pg.bin, restored, PgServer.freePort(), Map.of());
      pgServers.add(copy);
      copy.start();
      copy.awaitPromoted();
      assertEquals(
          "A,B",
          copy.query("SELECT string_agg(DISTINCT batch, ',' ORDER BY batch) FROM pitr"),
          "recovered to the target time with WAL archived after the backup");
    }
    RoadieProcess.Result check = as("reader").run("check").assertExit(3);
    assertTrue(
        check.stdout().contains("possible tampering: snapshots/")
            || check.stderr().contains("possible tampering: snapshots/"),
        check.describe());
    String all = check.stdout() + check.stderr();
    assertTrue(all.contains("hidden by a delete marker"), check.describe());
    assertTrue(all.contains("possible tampering: config: a later version"), check.describe());
    assertFalse(all.contains("cannot be restored"), check.describe());
    if (pgTargetTime != null) {
      assertTrue(all.contains("possible tampering: wal/"), check.describe());
      assertFalse(all.contains(".partial: "), "deleted fragments are no tampering");
    }
  }

  /**
   * Governance mode, and what happens once retention passes: prune waits for it, then deletes the
   * forgotten snapshot's packs and the snapshot object itself (retention is cut short here by the
   * bucket's root, who may bypass governance retention, instead of waiting a day).
   */
  @Test
  @Order(5)
  void pruneWaitsForRetentionThenDeletes() throws Exception {
    RoadieProcess roadie =
        RoadieProcess.bare()
            .env("ROADIE_REPOSITORY", "s3://governed/repo")
            .env("ROADIE_PASSWORD", "gov-pw")
            .unsetEnv("AWS_PROFILE");
    minio.env().forEach(roadie::env);
    roadie.run("init", "--object-lock", "3", "--object-lock-mode", "governance").assertExit(0);
    Path data = Files.createDirectories(tmp.resolve("gov"));
    byte[] first = new byte[700_000];
    new Random(4).nextBytes(first);
    Files.write(data.resolve("f"), first);
    String old =
        snapshotId(
            roadie.run("backup", "file", data.toString(), "--target", "g").assertExit(0).stdout());
    byte[] second = new byte[600_000];
    new Random(5).nextBytes(second);
    Files.write(data.resolve("f"), second);
    String kept =
        snapshotId(
            roadie.run("backup", "file", data.toString(), "--target", "g").assertExit(0).stdout());
    var retention =
        root.getObjectRetention(b -> b.bucket("governed").key("repo/config")).retention();
    assertEquals("GOVERNANCE", retention.modeAsString());

    roadie.run("forget", "--keep-last", "1").assertExit(0);
    RoadieProcess.Result waits = roadie.run("prune", "--grace", "0s").assertExit(0);
    assertTrue(
        waits.stdout().contains("waits for object lock, which keeps 2 of its packs until"),
        waits.describe());
    long packs =
        root.listObjectsV2(b -> b.bucket("governed").prefix("repo/data/")).contents().size();

    // Each version retained until seconds after it is set (a date fixed before the loop can be
    // past by the time a busy machine reaches the last version, which S3 refuses).
    java.time.Instant last = java.time.Instant.now();
    for (ObjectVersion v : root.listObjectVersions(b -> b.bucket("governed")).versions()) {
      java.time.Instant soon = java.time.Instant.now().plusSeconds(3);
      root.putObjectRetention(
          b ->
              b.bucket("governed")
                  .key(v.key())
                  .versionId(v.versionId())
                  .bypassGovernanceRetention(true)
                  .retention(r -> r.mode("GOVERNANCE").retainUntilDate(soon)));
      last = soon;
    }
    Thread.sleep(
        Math.max(0, java.time.Duration.between(java.time.Instant.now(), last).toMillis()) + 500);
    RoadieProcess.Result done = roadie.run("prune", "--grace", "0s").assertExit(0);
    assertTrue(
        done.stderr().contains("deleted 2 packs")
            && done.stderr().contains("deleted 1 forgotten snapshot"),
        done.describe());
    assertEquals(
        packs - 2,
        root.listObjectsV2(b -> b.bucket("governed").prefix("repo/data/")).contents().size());
    assertTrue(
        root.listObjectVersions(b -> b.bucket("governed").prefix("repo/snapshots/" + old))
            .versions()
            .isEmpty(),
        "the forgotten snapshot is gone, every version");
    roadie.run("check", "--read-data").assertExit(0);
    Path to = tmp.resolve("gov-restore");
    roadie.run("restore", kept, "--target", to.toString()).assertExit(0);
    try (var files = Files.walk(to)) {
      Path f = files.filter(p -> p.getFileName().toString().equals("f")).findFirst().orElseThrow();
      assertArrayEquals(second, Files.readAllBytes(f));
    }
  }

  // ---- helpers ----

  static void assertRestores(RoadieProcess p, String id) throws Exception {
    Path to = Files.createTempDirectory(tmp, "restore");
    p.run("restore", id, "--target", to.toString()).assertExit(0);
    Map<String, byte[]> want = backedUp.get(id);
    Map<String, byte[]> got = new TreeMap<>();
    try (var files = Files.walk(to)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String rel = to.relativize(f).toString();
        got.put(rel.substring(rel.lastIndexOf('/') + 1), Files.readAllBytes(f));
      }
    }
    assertEquals(want.keySet(), got.keySet(), "files of snapshot " + id);
    for (String name : want.keySet())
      assertArrayEquals(want.get(name), got.get(name), name + " of " + id);
  }

  static Map<String, byte[]> contents(Path dir) throws Exception {
    Map<String, byte[]> out = new TreeMap<>();
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) out.put(f.getFileName().toString(), Files.readAllBytes(f));
    }
    return out;
  }

  /** Every version and delete marker under the repository: what a command changed, if anything. */
  /** Every version and delete marker but the audit trail's, which every command adds to. */
  static Map<String, String> backups() {
    Map<String, String> out = new TreeMap<>(state());
    out.keySet().removeIf(k -> k.contains("/audit/"));
    return out;
  }

  static Map<String, String> audit() {
    return auditOf(state());
  }

  static Map<String, String> auditOf(Map<String, String> state) {
    Map<String, String> out = new TreeMap<>(state);
    out.keySet().removeIf(k -> !k.contains("/audit/"));
    return out;
  }

  static Map<String, String> state() {
    Map<String, String> out = new TreeMap<>();
    ListObjectVersionsResponse r = versions(root);
    for (ObjectVersion v : r.versions()) out.put(v.key() + "@" + v.versionId(), v.eTag());
    for (DeleteMarkerEntry m : r.deleteMarkers())
      out.put(m.key() + "@" + m.versionId(), "delete marker");
    return out;
  }

  static ListObjectVersionsResponse versions(S3Client c) {
    List<ObjectVersion> v = new ArrayList<>();
    List<DeleteMarkerEntry> m = new ArrayList<>();
    for (ListObjectVersionsResponse page :
        c.listObjectVersionsPaginator(b -> b.bucket(BUCKET).prefix(PREFIX + "/"))) {
      v.addAll(page.versions());
      m.addAll(page.deleteMarkers());
    }
    return ListObjectVersionsResponse.builder().versions(v).deleteMarkers(m).build();
  }

  static String snapshotId(String stdout) {
    Matcher m = Pattern.compile("snapshot ([0-9a-f]{8}) ").matcher(stdout);
    if (!m.find()) fail("no snapshot id in: " + stdout);
    return m.group(1);
  }

  static RoadieProcess as(String role) {
    RoadieProcess p =
        RoadieProcess.bare()
            .env("ROADIE_REPOSITORY", REPO)
            .env("ROADIE_PASSWORD", "lock-pw")
            .unsetEnv("AWS_PROFILE");
    minio.env().forEach(p::env);
    return p.env("AWS_ACCESS_KEY_ID", role).env("AWS_SECRET_ACCESS_KEY", secret(role));
  }

  static String secret(String role) {
    return role + "-secret-0123456789";
  }

  static S3Client client(String key, String secret) {
    return S3Client.builder()
        .endpointOverride(minio.endpoint())
        .forcePathStyle(true)
        .region(Region.of(minio.region()))
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create(key, secret)))
        .build();
  }

  static Path deployIam() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isDirectory(d.resolve("deploy/iam"))) return d.resolve("deploy/iam");
    }
    throw new IllegalStateException("deploy/iam not found above " + Path.of("").toAbsolutePath());
  }

  static void mc(Object... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(MinioServer.mc().toString()));
    for (Object a : args) cmd.add(a.toString());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    Map<String, String> env = new HashMap<>(minio.mcEnv("t", tmp.resolve("mc")));
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), cmd + ": " + out);
  }
}
