package dev.roadie.bucket;

import dev.roadie.core.json.Json;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.VerifyResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * Compares a restored copy of a bucket snapshot with what the snapshot recorded, reading the copy
 * itself: every current object the snapshot has (that the pattern matches) must be there with the
 * recorded size and SHA-256 of its bytes; in a bucket also with its headers, user metadata and
 * tags; in a directory also with its line in the sidecar. Objects the copy has besides are not
 * differences (a restore leaves them unless told to delete them).
 */
final class BucketVerify {
  static final int WORKERS = 8;
  static final int DIFFERENCES_LISTED = 1000;

  private final Repository repo;
  private final SnapshotRef snapshot;
  private final BucketRestoreOptions options;
  private final KeyPattern pattern;
  private final List<String> differences = Collections.synchronizedList(new ArrayList<>());
  private final AtomicLong differenceCount = new AtomicLong();
  private long checked;

  /** Verifies what a restore with {@code options} made (their pattern, their storage class). */
  BucketVerify(Repository repo, SnapshotRef snapshot, BucketRestoreOptions options) {
    this.repo = repo;
    this.snapshot = snapshot;
    this.options = options;
    this.pattern = options.pattern();
  }

  private void differ(String d) {
    if (differenceCount.incrementAndGet() <= DIFFERENCES_LISTED) differences.add(d);
  }

  private VerifyResult result() {
    List<String> out = new ArrayList<>(differences);
    long more = differenceCount.get() - out.size();
    if (more > 0) out.add("and " + more + " more differences");
    return new VerifyResult(checked, "objects", out);
  }

  VerifyResult bucket(BucketLocation at) throws IOException {
    try (Bucket bucket = Bucket.open(at)) {
      if (!bucket.exists()) {
        differ(at + ": the bucket " + at.bucket() + " does not exist");
        return result();
      }
      Workers workers = new Workers(repo.io(), WORKERS);
      try (SnapshotEntries entries = new SnapshotEntries(repo, snapshot, pattern);
          ObjectListing there = bucket.list(false)) {
        ListedObject x = there.hasNext() ? there.next() : null;
        while (entries.hasNext()) {
          SnapshotObject s = entries.next().object();
          checked++;
          while (x != null && Keys.compare(at.name(x.key()), s.name()) < 0)
            x = there.hasNext() ? there.next() : null;
          if (x == null || !at.name(x.key()).equals(s.name())) {
            differ("'" + s.name() + "': missing");
            continue;
          }
          workers.submit(() -> compare(bucket, at, s));
        }
        workers.finish();
      } finally {
        workers.await();
      }
    }
    return result();
  }

  private void compare(Bucket bucket, BucketLocation at, SnapshotObject s) throws IOException {
    String key = at.key(s.name());
    try (Bucket.Download d = bucket.get(key, null, null)) {
      GetObjectResponse r = d.response();
      String sha = Sha256.of(d.stream());
      long size = r.contentLength() == null ? -1 : r.contentLength();
      if (size != s.size())
        differ("'" + s.name() + "': " + size + " bytes, the snapshot has " + s.size());
      else if (!sha.equals(s.sha256()))
        differ(
            "'"
                + s.name()
                + "': content differs (SHA-256 "
                + sha
                + ", the snapshot has "
                + s.sha256()
                + ")");
      ObjectHeaders h = ObjectHeaders.of(r);
      ObjectHeaders wanted = options.headers(s);
      if (!wanted.sameAs(h)) {
        differ(
            "'"
                + s.name()
                + "': headers or user metadata differ: "
                + h.withoutSha256()
                + ", the snapshot has "
                + wanted);
      }
      int tagCount = r.tagCount() == null ? 0 : r.tagCount();
      if (!s.tags().isEmpty() || tagCount > 0) {
        Map<String, String> tags = bucket.tags(key, null);
        if (!tags.equals(s.tags()))
          differ("'" + s.name() + "': tags " + tags + ", the snapshot has " + s.tags());
      }
    } catch (ObjectUnavailableException e) {
      differ("'" + s.name() + "': missing");
    }
  }

  VerifyResult directory(Path dir) throws IOException {
    Set<String> prefixes = DirectoryRestore.directoryNames(repo, snapshot, pattern);
    Workers workers = new Workers(repo.io(), WORKERS);
    BufferedReader sidecar = null;
    try {
      sidecar = Files.newBufferedReader(dir.resolve(FileNames.SIDECAR), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      differ(dir.resolve(FileNames.SIDECAR) + ": missing");
    }
    try (SnapshotEntries entries = new SnapshotEntries(repo, snapshot, pattern)) {
      while (entries.hasNext()) {
        SnapshotObject s = entries.next().object();
        checked++;
        String path = FileNames.path(s.name(), prefixes);
        if (sidecar != null) {
          String line = sidecar.readLine();
          Map<?, ?> m = line == null ? null : Json.MAPPER.readValue(line, Map.class);
          if (m == null
              || !s.name().equals(m.get("name"))
              || !path.equals(m.get("file"))
              || !Objects.equals(s.sha256(), m.get("sha256"))) {
            differ(
                "'" + s.name() + "': its line in " + FileNames.SIDECAR + " is missing or differs");
          }
        }
        workers.submit(() -> compareFile(dir.resolve(path), s));
      }
      workers.finish();
    } finally {
      workers.await();
      if (sidecar != null) sidecar.close();
    }
    return result();
  }

  private void compareFile(Path file, SnapshotObject s) throws IOException {
    if (!Files.isRegularFile(file)) {
      differ("'" + s.name() + "': missing (" + file + ")");
      return;
    }
    long size = Files.size(file);
    if (size != s.size()) {
      differ("'" + s.name() + "': " + size + " bytes, the snapshot has " + s.size());
      return;
    }
    try (InputStream in = Files.newInputStream(file)) {
      String sha = Sha256.of(in);
      if (!sha.equals(s.sha256()))
        differ(
            "'"
                + s.name()
                + "': content differs (SHA-256 "
                + sha
                + ", the snapshot has "
                + s.sha256()
                + ")");
    }
  }
}
