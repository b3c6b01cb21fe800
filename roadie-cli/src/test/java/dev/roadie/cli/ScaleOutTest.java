package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.roadie.redis.RedisServer;
import dev.roadie.redis.RedisUrl;
import dev.roadie.redis.RespConnection;
import dev.roadie.testkit.MinioServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scale-out path (issue 19): four {@code roadie agent} processes on overlapping schedules back
 * up file and Redis targets into one S3 repository (a real MinIO) at the same time, while their
 * targets keep changing; {@code roadie forget} and two {@code roadie prune}s (the second carries
 * the first's plan out) run in between, while the agents keep backing up. Afterwards every job
 * succeeded, {@code check --read-data} passes and every remaining snapshot restores to exactly what
 * its target held during that backup.
 *
 * <p>Each target's content is a function of a counter the test bumps every few seconds and records
 * with its time: a file's first line and a Redis key say which counter they hold, so the restored
 * bytes are compared against content generated anew, and the counter must have been the live one at
 * some moment of the backup.
 */
@Tag("slow")
class ScaleOutTest {
  private static final int AGENTS = 4;
  private static final int REDIS_KEYS = 40;

  /**
   * Restores at once at the end: each one is mostly a JVM starting and waiting for MinIO, so two
   * keep a small machine busy without crowding it.
   */
  private static final int RESTORES_AT_ONCE = 2;

  /** Clock slack for "the counter was live during the backup" (second-resolution times). */
  private static final Duration SLACK = Duration.ofSeconds(2);

  @TempDir Path tmp;
  private final List<RedisServer> servers = new ArrayList<>();
  private final List<RoadieProcess.Running> agents = new ArrayList<>();
  private MinioServer minio;
  private volatile Throwable mutatorFailure;

  /** Target → the times each counter value began and finished being written. */
  private final Map<String, List<Instant[]>> written = new ConcurrentHashMap<>();

  @AfterEach
  void stopAll() throws Exception {
    for (RoadieProcess.Running a : agents) {
      if (a.isAlive()) a.kill();
    }
    for (RedisServer r : servers) r.close();
    if (minio != null) minio.close();
  }

  @Test
  void fourAgentsOneS3RepositoryAndAPruneInBetween() throws Exception {
    minio = MinioServer.start();
    RoadieProcess roadie =
        RoadieProcess.bare()
            .env("ROADIE_REPOSITORY", "s3://fleet/repo")
            .env("ROADIE_PASSWORD", "fleet-pw")
            .env("HOME", tmp.toString())
            .unsetEnv("AWS_PROFILE")
            .unsetEnv("AWS_ENDPOINT_URL_S3");
    minio.env().forEach(roadie::env);
    // Small packs: many of them, so that prune has packs to delete and to repack.
    roadie.run("init", "--pack-size", "1").assertOk();
    Path password = Files.writeString(tmp.resolve("password"), "fleet-pw\n");

    int[] redisPorts = new int[AGENTS];
    for (int i = 0; i < AGENTS; i++) {
      redisPorts[i] = startRedis(tmp.resolve("redis-" + i));
      Files.createDirectories(tmp.resolve("files-" + i));
      Files.createDirectories(tmp.resolve("docs-" + i));
    }
    // Restores run two at a time (below), each into a Redis server of its own.
    BlockingQueue<Integer> scratchRedis = new LinkedBlockingQueue<>();
    for (int i = 0; i < RESTORES_AT_ONCE; i++) {
      scratchRedis.add(startRedis(tmp.resolve("redis-scratch-" + i)));
    }
    Files.createDirectories(tmp.resolve("staging"));
    mutate(redisPorts, 0);

    for (int i = 0; i < AGENTS; i++) {
      // Every target every 20 seconds (a six-field schedule: seconds first; jitter spreads each
      // run over the first 10 s after its time): the four agents' jobs overlap each other, the
      // prunes, and the test's changes.
      String yaml =
          "repository: s3://fleet/repo\npasswordFile: "
              + password
              + "\nlisten: 127.0.0.1:0\nmaxParallel: 2\nretries: {attempts: 1}\ntargets:\n"
              + "  - {name: files-"
              + i
              + ", kind: file, paths: ["
              + tmp.resolve("files-" + i)
              + "], schedule: \"*/20 * * * * *\", jitter: 10s, retention: {keepLast: 3}}\n"
              + "  - {name: docs-"
              + i
              + ", kind: file, paths: ["
              + tmp.resolve("docs-" + i)
              + "], schedule: \"*/20 * * * * *\", jitter: 10s}\n"
              + "  - {name: cache-"
              + i
              + ", kind: redis, url: \"redis://127.0.0.1:"
              + redisPorts[i]
              + "\", schedule: \"*/20 * * * * *\", jitter: 10s}\n";
      Path config = Files.writeString(tmp.resolve("agent-" + i + ".yaml"), yaml);
      RoadieProcess agent = RoadieProcess.bare().env("HOME", tmp.toString());
      minio.env().forEach(agent::env);
      agents.add(agent.unsetEnv("AWS_PROFILE").start("agent", "--config", config.toString()));
    }

    // The targets change every few seconds for the whole test.
    Thread mutator =
        Thread.ofPlatform()
            .daemon()
            .start(
                () -> {
                  try {
                    for (int c = 1; !Thread.currentThread().isInterrupted(); c++) {
                      Thread.sleep(3000);
                      mutate(redisPorts, c);
                    }
                  } catch (InterruptedException e) {
                    // stopped
                  } catch (Exception | AssertionError e) {
                    mutatorFailure = e;
                  }
                });

    List<String> targets = new ArrayList<>();
    for (int i = 0; i < AGENTS; i++)
      targets.addAll(List.of("files-" + i, "docs-" + i, "cache-" + i));
    awaitSnapshots(roadie, targets, 2, null);

    // Retention forgets some snapshots (beside the agents' own keepLast on files-*), and a prune
    // plans their packs; once the plan is past its grace, a second prune carries it out while the
    // agents go on backing up.
    JsonNode forgot =
        TestData.json(roadie.run("forget", "--keep-last", "1", "--json").assertOk().stdout());
    int removed = 0;
    for (JsonNode g : forgot) removed += g.get("remove").size();
    assertTrue(removed > 0, "retention forgets snapshots: " + forgot);
    JsonNode plan =
        TestData.json(roadie.run("prune", "--grace", "10s", "--json").assertOk().stdout());
    assertTrue(plan.get("plannedPacks").asInt() > 0, "the forgotten data is planned: " + plan);
    String planId = plan.get("planId").asText();
    Thread.sleep(12_000);
    JsonNode pruned =
        TestData.json(
            roadie
                .copy()
                .timeout(Duration.ofMinutes(8))
                .run("prune", "--grace", "10s", "--wait", "6m", "--json")
                .assertOk()
                .stdout());
    assertTrue(
        pruned.get("plansCarriedOut").toString().contains(planId),
        "the plan was carried out while the agents ran: " + pruned);
    assertTrue(pruned.get("packsDeleted").asInt() > 0, pruned.toString());
    Instant prunedAt = Instant.now();

    // Every target backs up again after the deletion.
    awaitSnapshots(roadie, targets, 1, prunedAt);
    mutator.interrupt();
    mutator.join(30_000);
    if (mutatorFailure != null) throw new AssertionError("changing the targets", mutatorFailure);
    for (RoadieProcess.Running a : agents) a.process.toHandle().destroy(); // SIGTERM
    for (RoadieProcess.Running a : agents) {
      RoadieProcess.Result r = a.await(Duration.ofMinutes(5));
      assertEquals(0, r.exitCode(), r.describe());
      assertFalse(r.stderr().contains("FAILED"), "every job succeeded: " + r.describe());
      assertTrue(r.stderr().contains("succeeded"), r.describe());
    }

    RoadieProcess.Result check =
        roadie.copy().timeout(Duration.ofMinutes(10)).run("check", "--read-data").assertOk();
    assertTrue(check.stdout().contains("no errors"), check.describe());

    JsonNode snapshots = TestData.json(roadie.run("snapshots", "--json").assertOk().stdout());
    Map<String, Integer> perTarget = new HashMap<>();
    List<Future<?>> restores = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(RESTORES_AT_ONCE);
    try {
      for (JsonNode s : snapshots) {
        String target = s.get("target").asText();
        perTarget.merge(target, 1, Integer::sum);
        Instant start = Instant.parse(s.get("time").asText());
        Instant end = start.plusMillis(s.get("stats").get("durationMillis").asLong());
        String id = s.get("id").asText();
        restores.add(
            pool.submit(
                () -> {
                  if (target.startsWith("cache-")) {
                    int port = scratchRedis.take();
                    try {
                      roadie
                          .run("restore", id, "--to", "redis://127.0.0.1:" + port, "--flush")
                          .assertOk();
                      assertRedis(target, port, start, end, id);
                    } finally {
                      scratchRedis.add(port);
                    }
                  } else {
                    Path out = tmp.resolve("restored/" + id);
                    roadie.run("restore", id, "--target", out.toString()).assertOk();
                    assertFiles(target, out.resolve(target), start, end, id);
                  }
                  return null;
                }));
      }
      for (Future<?> r : restores) {
        try {
          r.get();
        } catch (ExecutionException e) {
          if (e.getCause() instanceof AssertionError a) throw a;
          throw e;
        }
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(targets.size(), perTarget.size(), "every target has snapshots: " + perTarget);
  }

  // ---- the targets' content ----

  private static final String[] FILES = {"big.bin", "small.txt"};
  private static final String[] DOCS = {"shared.bin", "notes.txt"};

  /**
   * A file's bytes for counter {@code c}: its first line names the counter; {@code big.bin} changes
   * every fifth counter, {@code shared.bin} is the same in every agent's docs (the agents
   * deduplicate against each other) and changes every fourth, the text files change every time.
   */
  static byte[] content(String target, String file, int c) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] header = ("counter=" + c + "\n").getBytes(StandardCharsets.UTF_8);
    out.writeBytes(header);
    switch (file) {
      case "big.bin" -> out.writeBytes(random(3 << 19, (target + "/big/" + c / 5).hashCode()));
      case "shared.bin" -> out.writeBytes(random(1 << 20, ("shared/" + c / 4).hashCode()));
      default -> {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 400; i++) b.append(target).append(' ').append(c).append(' ').append(i);
        out.writeBytes(b.toString().getBytes(StandardCharsets.UTF_8));
      }
    }
    return out.toByteArray();
  }

  private static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static String redisValue(String target, int c, int key) {
    return target + ":" + c + ":" + key + ":" + "x".repeat(100 + (c * 31 + key) % 200);
  }

  /**
   * Moves every target to counter {@code c}: each file replaced atomically (a backup reads the old
   * or the new one, never half of each), each Redis server's keys in one MULTI/EXEC.
   */
  private void mutate(int[] redisPorts, int c) throws Exception {
    for (int i = 0; i < AGENTS; i++) {
      Instant begun = Instant.now();
      for (String[] set :
          List.of(new String[] {"files-" + i, "files"}, new String[] {"docs-" + i, "docs"})) {
        String target = set[0];
        Path dir = tmp.resolve(target);
        for (String f : set[1].equals("files") ? FILES : DOCS) {
          // Written beside the target, not in it: a backup must never see a half-written file.
          Path part = tmp.resolve("staging/" + target + "-" + f);
          Files.write(part, content(target, f, c));
          Files.move(part, dir.resolve(f), StandardCopyOption.ATOMIC_MOVE);
        }
        record(target, c, begun);
      }
      String cache = "cache-" + i;
      try (RespConnection r = redis(redisPorts[i])) {
        r.call("MULTI");
        r.call("SET", "counter", Integer.toString(c));
        for (int k = 0; k < REDIS_KEYS; k++) r.call("SET", "k" + k, redisValue(cache, c, k));
        r.call("EXEC");
      }
      record(cache, c, begun);
    }
  }

  private void record(String target, int c, Instant begun) {
    List<Instant[]> l = written.computeIfAbsent(target, t -> new ArrayList<>());
    synchronized (l) {
      assertEquals(c, l.size());
      l.add(new Instant[] {begun, Instant.now()});
    }
  }

  /**
   * Counter {@code c} of {@code target} was live at some moment of a backup from {@code start} to
   * {@code end}: written before the backup ended, and not yet replaced when it began.
   */
  private void assertLiveDuring(String target, int c, Instant start, Instant end, String what) {
    List<Instant[]> l = written.get(target);
    synchronized (l) {
      assertTrue(c >= 0 && c < l.size(), what + ": counter " + c + " was never written");
      assertTrue(
          !l.get(c)[0].isAfter(end.plus(SLACK)),
          what + ": counter " + c + " was written after the backup ended (" + end + ")");
      if (c + 1 < l.size()) {
        assertTrue(
            !l.get(c + 1)[1].isBefore(start.minus(SLACK)),
            what + ": counter " + c + " had been replaced before the backup began (" + start + ")");
      }
    }
  }

  private void assertFiles(String target, Path dir, Instant start, Instant end, String id)
      throws IOException {
    String[] names = target.startsWith("files-") ? FILES : DOCS;
    try (var list = Files.list(dir)) {
      assertEquals(
          names.length,
          list.count(),
          "snapshot " + id + " of " + target + " holds exactly the target's files");
    }
    for (String f : names) {
      byte[] got = Files.readAllBytes(dir.resolve(f));
      String first = new String(got, 0, Math.min(got.length, 32), StandardCharsets.UTF_8);
      assertTrue(first.startsWith("counter="), id + " " + f + ": " + first);
      int c = Integer.parseInt(first.substring(8, first.indexOf('\n')));
      String what = "snapshot " + id + " of " + target + ", " + f;
      assertLiveDuring(target, c, start, end, what);
      assertArrayEquals(content(target, f, c), got, what + " restores byte for byte");
    }
  }

  private void assertRedis(String target, int port, Instant start, Instant end, String id)
      throws IOException {
    String what = "snapshot " + id + " of " + target;
    try (RespConnection r = redis(port)) {
      assertEquals(REDIS_KEYS + 1L, r.call("DBSIZE"), what + " holds exactly the target's keys");
      Object counter = r.call("GET", "counter");
      assertNotNull(counter, what);
      int c = Integer.parseInt(new String((byte[]) counter, StandardCharsets.UTF_8));
      assertLiveDuring(target, c, start, end, what);
      for (int k = 0; k < REDIS_KEYS; k++) {
        assertEquals(
            redisValue(target, c, k),
            new String((byte[]) r.call("GET", "k" + k), StandardCharsets.UTF_8),
            what + ", key k" + k);
      }
    }
  }

  // ---- servers and waiting ----

  private static RespConnection redis(int port) {
    return RespConnection.open(RedisUrl.parse("redis://127.0.0.1:" + port, null));
  }

  private int startRedis(Path dir) throws Exception {
    RedisServer r = RedisServer.start(dir);
    servers.add(r);
    return r.port;
  }

  /**
   * Waits until every target has {@code n} snapshots (taken after {@code after}, if given); fails
   * early when an agent died.
   */
  private void awaitSnapshots(RoadieProcess roadie, List<String> targets, int n, Instant after)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(6);
    Map<String, Integer> count = Map.of();
    while (System.nanoTime() < deadline) {
      for (RoadieProcess.Running a : agents) {
        assertTrue(a.isAlive(), "an agent ended: " + a.stderrNow());
      }
      Map<String, Integer> c = new HashMap<>();
      for (JsonNode s : TestData.json(roadie.run("snapshots", "--json").assertOk().stdout())) {
        if (after == null || Instant.parse(s.get("time").asText()).isAfter(after))
          c.merge(s.get("target").asText(), 1, Integer::sum);
      }
      count = c;
      if (targets.stream().allMatch(t -> c.getOrDefault(t, 0) >= n)) return;
      Thread.sleep(3_000);
    }
    StringBuilder logs = new StringBuilder();
    for (RoadieProcess.Running a : agents) logs.append(a.stderrNow()).append("\n---\n");
    throw new AssertionError("snapshots per target: " + count + "; agents:\n" + logs);
  }
}
