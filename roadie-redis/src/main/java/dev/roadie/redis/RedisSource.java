package dev.roadie.redis;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.Plural;
import dev.roadie.core.RoadieException;
import dev.roadie.core.browse.SnapshotBrowser;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.BackupResult;
import dev.roadie.core.source.Check;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.RestoreRequest;
import dev.roadie.core.source.RestoreResult;
import dev.roadie.core.source.ScratchVerifyRequest;
import dev.roadie.core.source.ScratchVerifyResult;
import dev.roadie.core.source.SourceMetadata;
import dev.roadie.core.source.SourceProvider;
import dev.roadie.core.source.TargetOptions;
import dev.roadie.core.source.VerifyRequest;
import dev.roadie.core.source.VerifyResult;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code redis} source on the source SPI: {@link RedisBackup} and {@link RedisRestore} behind
 * typed options. Restores into a running server ({@code redis://}, {@code rediss://}) or as a
 * {@code dump.rdb} file for a stopped one.
 */
public final class RedisSource implements SourceProvider {
  private static final Set<String> SCHEMES = Set.of("redis", "rediss");

  /**
   * The server to back up (its password, if any, is in the parsed URL), and the average chunk size
   * of the RDB stream ({@link RedisBackup#chunkerParams(int)}; 0: the default).
   */
  public record BackupOptions(RedisUrl url, int chunkSize) implements BackupRequest.Options {
    public BackupOptions {
      RedisBackup.chunkerParams(chunkSize);
    }

    public BackupOptions(RedisUrl url) {
      this(url, 0);
    }
  }

  /**
   * How a snapshot is restored into a server: what to do with the keys it has. {@code password} is
   * used when the destination's URL has none ($REDISCLI_AUTH for the CLI); null for none.
   */
  public record RestoreOptions(RedisRestore.Mode mode, char[] password)
      implements RestoreRequest.Options {
    public static final RestoreOptions DEFAULTS =
        new RestoreOptions(RedisRestore.Mode.REFUSE_NON_EMPTY, null);

    @Override
    public String toString() {
      return "RestoreOptions[mode=" + mode + (password != null ? ", password=***" : "") + "]";
    }
  }

  @Override
  public Set<String> kinds() {
    return Set.of(RedisBackup.KIND);
  }

  @Override
  public SnapshotBrowser browse(Repository repo, SnapshotRef snapshot) {
    return new DatabaseBrowser(repo, snapshot);
  }

  @Override
  public Class<? extends SourceMetadata> metadataType(String kind) {
    return RedisMetadata.class;
  }

  @Override
  public BackupResult backup(BackupRequest request) throws IOException {
    BackupOptions o = request.options(BackupOptions.class);
    RedisUrl url = o.url();
    Id id =
        new RedisBackup(request.repository(), request.progress(), o.chunkSize())
            .backup(url, request.targetOr(url.target()), request.tags(), request.time());
    return new BackupResult(request.repository().readSnapshot(id), List.of());
  }

  /**
   * {@code url} (required, without a password), the password by {@code passwordFile} or {@code
   * passwordEnv}, and {@code chunkSize}: as {@code roadie backup redis}.
   */
  @Override
  public BackupRequest.Options backupOptions(String kind, TargetOptions options) {
    String url = options.requiredString("url", "redis://cache:6379");
    String password = options.secret("password");
    int chunkSize = options.integer("chunkSize", 0, 0, 1 << 20);
    options.refuseUnknown(kind);
    if (url.contains("@")) {
      throw options.error(
          "url",
          "a password is never written into the config: take it out of the URL and give "
              + "passwordFile: PATH or passwordEnv: NAME");
    }
    try {
      return new BackupOptions(RedisUrl.parse(url, password), chunkSize);
    } catch (RoadieException e) {
      throw options.error(e.getMessage().startsWith("'") ? "url" : "chunkSize", e.getMessage());
    }
  }

  @Override
  public List<Destination.Fit> destinations(String kind) {
    return List.of(
        Destination.Fit.server("redis://HOST:PORT", "redis", "rediss"),
        Destination.Fit.of(Destination.Type.FILE));
  }

  @Override
  public RestoreResult restore(RestoreRequest request) throws IOException {
    RedisRestore restore = new RedisRestore(request.repository(), request.progress());
    RestoreOptions o = request.options(RestoreOptions.class, RestoreOptions.DEFAULTS);
    Snapshot snapshot = request.snapshot().snapshot();
    // Every byte of the RDB is read, whatever the destination: the progress display's whole.
    request
        .progress()
        .expectedBytes
        .set(snapshot.stats() == null ? -1 : snapshot.stats().bytesRead());
    switch (request.destination()) {
      case Destination.File f -> {
        long size = restore.toFile(request.snapshot(), f.path());
        Path abs = f.path().toAbsolutePath();
        RedisMetadata m = SourceMetadata.of(snapshot, RedisMetadata.class);
        return new RestoreResult(
            abs.toString(),
            List.of(RestoreResult.Count.of(1, "file", "files")),
            size,
            List.of(
                "written from Redis "
                    + (m.redisVersion() == null ? "?" : m.redisVersion())
                    + ". To load it:",
                "  1. stop the Redis server (redis-cli shutdown nosave, or systemctl stop redis-server)",
                "  2. copy "
                    + abs.getFileName()
                    + " to the server's 'dir' as its 'dbfilename'"
                    + " (CONFIG GET dir / dbfilename), owned by the redis user",
                "  3. if it uses AOF (appendonly yes): set 'appendonly no' in redis.conf, otherwise Redis"
                    + " loads the AOF and ignores dump.rdb; move the old appendonlydir away",
                "  4. start Redis; check DBSIZE / INFO keyspace",
                "  5. if AOF was on: redis-cli CONFIG SET appendonly yes (rewrites the AOF from memory), wait"
                    + " until INFO persistence shows aof_rewrite_in_progress:0, then set 'appendonly yes' in redis.conf again"));
      }
      case Destination.Server s when SCHEMES.contains(s.scheme()) -> {
        RedisUrl url =
            RedisUrl.parse(s.url(), o.password() == null ? null : new String(o.password()));
        RedisRestore.Result res = restore.online(request.snapshot(), url, o.mode());
        List<RestoreResult.Count> counts = new java.util.ArrayList<>();
        RestoreResult.Count keys = RestoreResult.Count.of(res.keys(), "key", "keys");
        counts.add(keys);
        if (res.functions() > 0)
          counts.add(
              RestoreResult.Count.of(res.functions(), "function library", "function libraries"));
        List<String> notes = new java.util.ArrayList<>();
        if (res.expiredSkipped() > 0)
          notes.add(res.expiredSkipped() + " keys had expired already and were skipped");
        if (res.functionsSkipped() > 0) {
          notes.add(
              "not restored: "
                  + res.functionsSkipped()
                  + " function libraries (they belong to the whole"
                  + " server, not to database "
                  + res.database()
                  + "; restore without /"
                  + res.database()
                  + " to get them)");
        }
        // A snapshot of one database goes into that database when the URL names none.
        String to =
            url + (res.database() >= 0 && url.database() < 0 ? " database " + res.database() : "");
        return new RestoreResult(to, counts, res.bytes(), notes, List.of(), keys);
      }
      default ->
          throw new RoadieException(
              ErrorCode.USAGE,
              "a redis snapshot restores into a server (redis://HOST:PORT)"
                  + " or a dump.rdb file, not "
                  + request.destination().describe());
    }
  }

  /**
   * Counts the keys per database and type in a running server (the copy) and compares them with the
   * counts the backup read from the snapshot's RDB ({@link RedisVerify#keys}). The copy is taken to
   * hold each database under its own number, or all of them in the one its URL names ({@code /N}).
   * Keys whose expiry passed since the backup are missing from a faithful copy too; this check
   * cannot tell them from lost ones and reports them ({@link #verifyInScratch}, which restores
   * itself, subtracts them).
   */
  @Override
  public VerifyResult verify(VerifyRequest request) throws IOException {
    if (!(request.copy() instanceof Destination.Server s) || !SCHEMES.contains(s.scheme())) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "a redis snapshot is verified in a server (redis://HOST:PORT), not "
              + request.copy().describe());
    }
    RedisUrl url = RedisUrl.parse(s.url(), null);
    RedisMetadata m = SourceMetadata.of(request.snapshot().snapshot(), RedisMetadata.class);
    Check keys =
        RedisVerify.keys(
            m, new RedisRestore.Result(0, 0, 0, 0, url.database(), 0, 0, java.util.Map.of()), url);
    if (Check.SKIPPED.equals(keys.status())) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "snapshot "
              + request.snapshot().id().shortHex()
              + " cannot be "
              + "verified: "
              + keys.summary());
    }
    Object checked = keys.figures().get("keys");
    return new VerifyResult(
        checked instanceof Number n ? n.longValue() : 0, "keys", keys.details());
  }

  /** How a redis snapshot is verified: the redis-server to start (null: the one on PATH). */
  public record VerifyOptions(String redisServer) implements ScratchVerifyRequest.Options {}

  /**
   * Restores into a throwaway redis-server and compares its keys with the snapshot's ({@link
   * RedisVerify}).
   */
  @Override
  public ScratchVerifyResult verifyInScratch(ScratchVerifyRequest request) throws IOException {
    VerifyOptions o = request.options(VerifyOptions.class, new VerifyOptions(null));
    return new RedisVerify(request.repository(), request.progress())
        .run(request.snapshot(), request.scratch(), o.redisServer());
  }

  /**
   * {@code redis://HOST:PORT[/N]} and {@code rediss://HOST:PORT[/N]}: a backup records the scheme
   * it connected with, and a user names the server with either. A database number ({@code /N} or
   * {@code ?db=N}, as {@link RedisUrl} reads it) names that database's snapshots only, and a URL
   * without one the whole server's only: a snapshot of every database is not one of database N's.
   */
  @Override
  public Set<String> targetNames(String kind, String given) {
    int i = given.indexOf("://");
    if (i <= 0) return Set.of();
    String scheme = given.substring(0, i).toLowerCase(Locale.ROOT);
    if (!SCHEMES.contains(scheme)) return Set.of();
    RedisUrl url;
    try {
      url = RedisUrl.parse(scheme + given.substring(i), null);
    } catch (RoadieException e) {
      return Set.of(); // a URL a backup refuses names no snapshot
    }
    String target = url.target();
    String rest = target.substring(target.indexOf("://"));
    return Set.of("redis" + rest, "rediss" + rest);
  }

  @Override
  public String summary(Snapshot snapshot) {
    RedisMetadata m = SourceMetadata.of(snapshot, RedisMetadata.class);
    return "Redis "
        + (m.redisVersion() == null ? "?" : m.redisVersion())
        + ", RDB "
        + m.rdbVersion()
        + ", "
        + (m.keys() == null ? "? keys" : Plural.count(m.keys(), "key"))
        + (m.database() != null ? " of database " + m.database() : "");
  }
}
