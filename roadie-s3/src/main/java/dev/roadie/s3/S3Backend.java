package dev.roadie.s3;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.Backend;
import dev.roadie.core.backend.NoSuchObjectException;
import dev.roadie.core.backend.ObjectExistsException;
import dev.roadie.core.backend.ObjectInfo;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectLock;
import dev.roadie.core.backend.ObjectName;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import software.amazon.awssdk.core.exception.RetryableException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyExistsException;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CreateBucketConfiguration;
import software.amazon.awssdk.services.s3.model.DeleteMarkerEntry;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ObjectLockConfiguration;
import software.amazon.awssdk.services.s3.model.ObjectLockEnabled;
import software.amazon.awssdk.services.s3.model.ObjectLockMode;
import software.amazon.awssdk.services.s3.model.ObjectLockRetention;
import software.amazon.awssdk.services.s3.model.ObjectLockRetentionMode;
import software.amazon.awssdk.services.s3.model.ObjectVersion;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A repository under a key prefix of an S3 bucket (AWS or any S3-compatible server), through a
 * client of its own made by {@link S3Clients} from its {@link S3Settings}.
 *
 * <p>How it meets the {@link Backend} contract:
 *
 * <ul>
 *   <li>{@link #write} is one PutObject: S3 stores an object whole or not at all, and a 200 means
 *       it is durable. Object names are unique and written once, so when a response is lost and the
 *       SDK sends the same PUT again, the second PUT stores the same bytes: harmless.
 *   <li>An exclusive write (only {@code config} and key files at {@code init}) first checks with
 *       HeadObject, then puts with {@code If-None-Match: *}. AWS S3 (since 2024) and MinIO refuse
 *       the put atomically with 412 when the key exists. A server that ignores the header leaves a
 *       race between the check and the put (two {@code init}s at the same instant into one empty
 *       prefix); a server that answers 501 gets a plain put after the check. A 412 on our own
 *       retried put (first response lost) is recognised by comparing the stored bytes.
 *   <li>Reads are GetObject, ranged with {@code Range: bytes=a-b}; sizes HeadObject; listings
 *       ListObjectsV2 under {@code PREFIX/<kind directory>/}, skipping keys that are not ours.
 *   <li>Retries: the SDK's standard strategy ({@link S3Clients}), {@value S3Clients#MAX_ATTEMPTS}
 *       attempts in all, for 5xx, throttling, and I/O faults (connection reset, lost response,
 *       timeouts). After that, {@link RoadieException.Retriable} naming the bucket and key. Refused
 *       credentials, an untrusted TLS certificate and a missing bucket are not retriable.
 *   <li>One client, thread-safe, with a pool of {@value S3Clients#MAX_CONNECTIONS} connections so
 *       the engine's concurrent pack uploads and range reads do not queue; closed by {@link
 *       #close}.
 *   <li>Checksums: calculated and validated only when an operation requires them, which S3, MinIO
 *       and s3proxy all accept. Every blob is authenticated by AES-GCM anyway, so request bodies
 *       are not signed either, also on plain-http endpoints ({@link UnsignedPayloadAuthScheme});
 *       the request headers always are.
 *   <li>Downloads are read into an array of the response's length inside the SDK's retry loop: a
 *       body cut off mid-way is retried like a failed request.
 * </ul>
 */
public final class S3Backend implements Backend {
  /**
   * Ranged reads of up to 4 MiB (a restore's runs of consecutive blobs): each request costs CPU in
   * the SDK's pipeline and more in the server, so a restore makes half the requests of the 2 MiB
   * default; 8 MiB saved little more while its arrays in flight outgrew the young generation and
   * were promoted (docs/decisions/0017-s3-ranged-read-size.md).
   */
  static final int READ_SIZE = 4 << 20;

  /**
   * A GetObject body read straight into an array of the response's Content-Length (the SDK's {@code
   * toBytes} grows a buffer and copies it twice more). Inside the SDK's pipeline, so a body cut
   * short is retried like any other I/O fault.
   */
  private static final ResponseTransformer<GetObjectResponse, byte[]> BODY =
      (response, in) -> {
        try {
          Long n = response.contentLength();
          if (n == null || n < 0 || n > Integer.MAX_VALUE - 16) return in.readAllBytes();
          byte[] out = new byte[(int) (long) n];
          int got = in.readNBytes(out, 0, out.length);
          if (got != out.length)
            throw new EOFException("response body ended after " + got + " of " + n + " bytes");
          return out;
        } catch (IOException e) {
          throw RetryableException.builder().message("Failed to read response.").cause(e).build();
        }
      };

  private final S3Location loc;
  private final S3Settings settings;
  private final S3Client s3;
  private final URI endpoint;
  private final Region region;
  private final BlockCache blocks = new BlockCache(this);

  /** Set once the repository is known to use object lock; null otherwise. */
  private volatile ObjectVersions versions;

  public S3Backend(S3Location loc, S3Settings settings) {
    this.loc = loc;
    this.settings = settings;
    this.endpoint = settings.endpoint();
    this.region = S3Clients.region(settings);
    this.s3 = S3Clients.create(settings, region);
  }

  public S3Location s3Location() {
    return loc;
  }

  @Override
  public String location() {
    return loc.toString();
  }

  private String key(ObjectName name) {
    return loc.key(name.path());
  }

  // --- write ----------------------------------------------------------------

  @Override
  public void write(ObjectName name, ByteBuffer data, boolean exclusive) throws IOException {
    ByteBuffer buf = data.duplicate();
    long length = buf.remaining();
    // The provider is asked for a fresh stream on every attempt; no copy of the pack is made.
    RequestBody body =
        RequestBody.fromContentProvider(
            () -> new BufferInputStream(buf.duplicate()), length, "application/octet-stream");
    String key = key(name);
    if (!exclusive) {
      try {
        PutObjectResponse put = s3.putObject(put(name, key, length).build(), body);
        ObjectVersions v = versions;
        if (v != null && ObjectLock.locks(name)) v.pinWritten(key, put.versionId(), length);
      } catch (SdkException e) {
        throw fail("upload", key, e);
      }
      return;
    }
    if (size(name) >= 0) {
      throw new ObjectExistsException(name, location());
    }
    PutObjectRequest req = put(name, key, length).ifNoneMatch("*").build();
    try {
      PutObjectResponse put = s3.putObject(req, body);
      ObjectVersions v = versions;
      if (v != null && ObjectLock.locks(name)) v.pinWritten(key, put.versionId(), length);
    } catch (S3Exception e) {
      if (e.statusCode() == 412 || e.statusCode() == 409) {
        // Someone else's object, or our own from an attempt whose response was lost.
        byte[] there;
        try {
          there = read(name);
        } catch (NoSuchObjectException gone) {
          throw new ObjectExistsException(name, location());
        }
        byte[] ours = new byte[(int) length];
        buf.duplicate().get(ours);
        if (!Arrays.equals(there, ours)) {
          throw new ObjectExistsException(name, location());
        }
      } else if (e.statusCode() == 501) {
        // The server does not do conditional puts: the check above is all we have.
        try {
          s3.putObject(put(name, key, length).build(), body);
        } catch (SdkException e2) {
          throw fail("upload", key, e2);
        }
      } else {
        throw fail("upload", key, e);
      }
    } catch (SdkException e) {
      throw fail("upload", key, e);
    }
  }

  /**
   * A PutObject of {@code length} bytes, with the server-side encryption asked for; for a locked
   * kind in a locked repository, with the lock's mode and a retention of its days from now.
   */
  private PutObjectRequest.Builder put(ObjectName name, String key, long length) {
    PutObjectRequest.Builder b =
        PutObjectRequest.builder().bucket(loc.bucket()).key(key).contentLength(length);
    if (settings.sse() != null) {
      b.serverSideEncryption(settings.sse().algorithm());
      if (settings.sse().kmsKeyId() != null) b.ssekmsKeyId(settings.sse().kmsKeyId());
    }
    ObjectVersions v = versions;
    if (v != null && ObjectLock.locks(name)) {
      b.objectLockMode(ObjectLockMode.fromValue(v.lock.mode().s3Name()))
          .objectLockRetainUntilDate(v.lock.retainUntil(Instant.now()))
          // S3 asks for a checksum of a body stored under retention.
          .checksumAlgorithm(ChecksumAlgorithm.CRC32);
    }
    return b;
  }

  /**
   * The version to read of {@code name}: the one roadie wrote, in a locked repository; else null
   * (the newest).
   */
  private String versionOf(ObjectName name, String key) throws IOException {
    ObjectVersions v = versions;
    if (v == null || !ObjectLock.locks(name)) return null;
    return v.pin(name, key, loc.key(name.kind().directory() + "/")).versionId();
  }

  // --- read -----------------------------------------------------------------

  @Override
  public int preferredReadSize() {
    return READ_SIZE;
  }

  @Override
  public byte[] read(ObjectName name) throws IOException {
    String key = key(name);
    try {
      return get(
          GetObjectRequest.builder()
              .bucket(loc.bucket())
              .key(key)
              .versionId(versionOf(name, key))
              .build());
    } catch (S3Exception e) {
      if (name.equals(ObjectName.CONFIG) && isNoSuchKey(e) && versions == null) {
        // Hidden by a delete marker? Then the repository used object lock: its first version is the
        // config.
        byte[] config = firstVersionOfConfig(key);
        if (config != null) return config;
      }
      // No bucket means no repository: opening one reads config first, and says "no repository".
      if (isNoSuchKey(e) || (name.equals(ObjectName.CONFIG) && e.statusCode() == 404)) {
        throw new NoSuchObjectException(name, location());
      }
      throw fail("download", key, e);
    } catch (SdkException e) {
      throw fail("download", key, e);
    }
  }

  @Override
  public byte[] readRange(ObjectName name, long offset, int length) throws IOException {
    if (name.kind() == ObjectKind.PACK && length > 0) {
      byte[] cached = blocks.read(name, offset, length);
      if (cached != null) return cached;
    }
    return readRangeDirect(name, offset, length);
  }

  @Override
  public byte[] firstVersion(ObjectName name) {
    if (versions != null) return null; // a locked repository's reads are pinned already
    String key = key(name);
    ObjectVersions.History h;
    try {
      h = new ObjectVersions(this, s3, loc.bucket(), null).history(key);
    } catch (RuntimeException e) {
      return null; // a server without versions, or credentials that may not list them
    }
    return h.versions().size() > 1 ? firstVersionOfConfig(key) : null;
  }

  /**
   * The first version of the config in a versioned bucket, or null when there is none (or no
   * versions).
   */
  private byte[] firstVersionOfConfig(String key) {
    ObjectVersion first;
    try {
      first = new ObjectVersions(this, s3, loc.bucket(), null).history(key).first();
    } catch (RuntimeException e) {
      return null; // a server without versions: the config is simply missing
    }
    if (first == null) return null;
    try {
      return get(
          GetObjectRequest.builder()
              .bucket(loc.bucket())
              .key(key)
              .versionId(first.versionId())
              .build());
    } catch (SdkException e) {
      throw fail("download", key, e);
    }
  }

  private byte[] get(GetObjectRequest req) {
    return s3.getObject(req, BODY);
  }

  /** One ranged GET of exactly the bytes asked for. */
  byte[] readRangeDirect(ObjectName name, long offset, int length) throws IOException {
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("negative offset or length");
    }
    if (length == 0) {
      long size = size(name);
      if (size < 0) throw new NoSuchObjectException(name, location());
      if (size < offset) throw shorter(name, offset, length, size);
      return new byte[0];
    }
    String key = key(name);
    String range = "bytes=" + offset + "-" + (offset + length - 1);
    byte[] out;
    try {
      out =
          get(
              GetObjectRequest.builder()
                  .bucket(loc.bucket())
                  .key(key)
                  .versionId(versionOf(name, key))
                  .range(range)
                  .build());
    } catch (S3Exception e) {
      if (isNoSuchKey(e)) throw new NoSuchObjectException(name, location());
      if (e.statusCode() == 416) throw shorter(name, offset, length, -1);
      throw fail("download", key, e);
    } catch (SdkException e) {
      throw fail("download", key, e);
    }
    if (out.length != length) {
      throw shorter(name, offset, length, offset + out.length);
    }
    return out;
  }

  /** Up to {@code length} bytes from {@code offset}: fewer when the object ends sooner. */
  byte[] readRangeToEnd(ObjectName name, long offset, int length) throws IOException {
    String key = key(name);
    String range = "bytes=" + offset + "-" + (offset + length - 1);
    try {
      return get(
          GetObjectRequest.builder()
              .bucket(loc.bucket())
              .key(key)
              .versionId(versionOf(name, key))
              .range(range)
              .build());
    } catch (S3Exception e) {
      if (isNoSuchKey(e)) throw new NoSuchObjectException(name, location());
      throw fail("download", key, e);
    } catch (SdkException e) {
      throw fail("download", key, e);
    }
  }

  private IOException shorter(ObjectName name, long offset, int length, long size) {
    return new IOException(
        location()
            + ": object "
            + name.path()
            + " is shorter than "
            + (offset + length)
            + " bytes"
            + (size >= 0 ? " (it has " + size + ")" : ""));
  }

  @Override
  public long size(ObjectName name) throws IOException {
    HeadObjectResponse head = head(name);
    return head == null ? -1 : head.contentLength();
  }

  private HeadObjectResponse head(ObjectName name) throws IOException {
    String key = key(name);
    String version;
    try {
      version = versionOf(name, key);
    } catch (NoSuchObjectException e) {
      return null;
    }
    try {
      return s3.headObject(r -> r.bucket(loc.bucket()).key(key).versionId(version));
    } catch (S3Exception e) {
      // A HEAD answer has no body, so a missing bucket looks like a missing key here too.
      if (e.statusCode() == 404) return null;
      throw fail("look up", key, e);
    } catch (SdkException e) {
      throw fail("look up", key, e);
    }
  }

  // --- list and delete ------------------------------------------------------

  @Override
  public List<ObjectInfo> list(ObjectKind kind) throws IOException {
    List<ObjectInfo> out = new ArrayList<>();
    if (kind == ObjectKind.CONFIG) {
      HeadObjectResponse head = head(ObjectName.CONFIG);
      if (head != null)
        out.add(new ObjectInfo(ObjectName.CONFIG, head.contentLength(), head.lastModified()));
      return out;
    }
    return listPrefix(kind, "");
  }

  @Override
  public List<ObjectInfo> list(ObjectKind kind, String idPrefix) throws IOException {
    if (kind == ObjectKind.CONFIG || kind == ObjectKind.PACK) {
      return Backend.super.list(kind, idPrefix);
    }
    return listPrefix(kind, idPrefix);
  }

  private List<ObjectInfo> listPrefix(ObjectKind kind, String idPrefix) throws IOException {
    List<ObjectInfo> out = new ArrayList<>();
    // Side objects have no directory of their own: their ids start with their area's.
    String dir = loc.key(kind == ObjectKind.SIDE ? "" : kind.directory() + "/");
    ObjectVersions v = versions;
    if (v != null && ObjectLock.locks(kind)) return v.list(kind, dir + idPrefix, dir);
    ListObjectsV2Request req =
        ListObjectsV2Request.builder().bucket(loc.bucket()).prefix(dir + idPrefix).build();
    try {
      for (S3Object o : s3.listObjectsV2Paginator(req).contents()) {
        ObjectName name = nameOf(kind, o.key().substring(dir.length()));
        if (name != null) out.add(new ObjectInfo(name, o.size(), o.lastModified()));
      }
    } catch (SdkException e) {
      throw fail("list", dir, e);
    }
    return out;
  }

  /**
   * The object a key (relative to the kind's directory) names, or null for a key that is not ours.
   */
  static ObjectName nameOf(ObjectKind kind, String rel) {
    String id = rel;
    if (kind == ObjectKind.PACK) {
      int slash = rel.indexOf('/');
      if (slash != 2) return null;
      id = rel.substring(3);
      if (!id.startsWith(rel.substring(0, 2))) return null;
    }
    if (id.indexOf('/') >= 0 && kind != ObjectKind.SIDE) return null;
    try {
      return ObjectName.of(kind, id);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  @Override
  public void delete(ObjectName name) throws IOException {
    String key = key(name);
    ObjectVersions v = versions;
    if (v != null) {
      deleteEveryVersion(v, name, key);
      return;
    }
    try {
      s3.deleteObject(r -> r.bucket(loc.bucket()).key(key));
    } catch (S3Exception e) {
      if (isNoSuchKey(e)) return;
      throw fail("delete", key, e);
    } catch (SdkException e) {
      throw fail("delete", key, e);
    }
  }

  /**
   * In a versioned bucket a plain delete only adds a delete marker: what roadie deletes there (a
   * lease, a plan, a pack past its retention) is deleted version by version, so the space is freed
   * and nothing is left for a reader to look through to.
   */
  private void deleteEveryVersion(ObjectVersions v, ObjectName name, String key)
      throws IOException {
    ObjectVersions.History h = v.history(key);
    List<String> ids = new ArrayList<>();
    for (ObjectVersion o : h.versions()) ids.add(o.versionId());
    for (DeleteMarkerEntry m : h.markers()) ids.add(m.versionId());
    for (String id : ids) {
      try {
        s3.deleteObject(r -> r.bucket(loc.bucket()).key(key).versionId(id));
      } catch (S3Exception e) {
        if (isNoSuchKey(e)) continue;
        if (e.statusCode() == 403 || e.statusCode() == 400) {
          throw new RoadieException(
              ErrorCode.FAILURE,
              location()
                  + ": cannot delete "
                  + name.path()
                  + " (version "
                  + id
                  + "): "
                  + (e.awsErrorDetails() != null ? e.awsErrorDetails().errorMessage() : "refused")
                  + "; object lock keeps it until its retention ends (see 'roadie check'), or the credentials may not "
                  + "delete it",
              e);
        }
        throw fail("delete", key, e);
      } catch (SdkException e) {
        throw fail("delete", key, e);
      }
    }
    v.forget(key);
  }

  // --- object lock ----------------------------------------------------------

  @Override
  public void useObjectLock(ObjectLock lock) {
    if (versions == null) versions = new ObjectVersions(this, s3, loc.bucket(), lock);
  }

  @Override
  public Instant retainedUntil(ObjectName name) throws IOException {
    HeadObjectResponse head = head(name);
    return head == null ? null : head.objectLockRetainUntilDate();
  }

  @Override
  public void extendRetention(ObjectName name, Instant until) throws IOException {
    ObjectVersions v = versions;
    if (v == null || !ObjectLock.locks(name)) return;
    String key = key(name);
    String version = versionOf(name, key);
    try {
      s3.putObjectRetention(
          r ->
              r.bucket(loc.bucket())
                  .key(key)
                  .versionId(version)
                  .retention(
                      ObjectLockRetention.builder()
                          .mode(ObjectLockRetentionMode.fromValue(v.lock.mode().s3Name()))
                          .retainUntilDate(until)
                          .build()));
    } catch (S3Exception e) {
      // Refused when the retention is already later (S3 never shortens one): then nothing is to do.
      Instant now = retainedUntil(name);
      if (now != null && !now.isBefore(until)) return;
      throw fail("extend the retention of", key, e);
    } catch (SdkException e) {
      throw fail("extend the retention of", key, e);
    }
  }

  @Override
  public List<String> tampering(ObjectKind kind) throws IOException {
    ObjectVersions v = versions;
    if (v == null || !ObjectLock.locks(kind)) return List.of();
    String prefix = kind == ObjectKind.CONFIG ? loc.key("config") : loc.key(kind.directory() + "/");
    if (kind == ObjectKind.SIDE) return sideTampering(v);
    List<String> out = v.tampering(prefix, loc.key(""));
    if (kind == ObjectKind.CONFIG) out.removeIf(s -> !s.startsWith("config:"));
    return out;
  }

  /**
   * Side objects live in their sources' areas, directories at the repository's root that are not
   * the kinds' own: each such directory is looked at, and of its objects only the locked ones
   * (pieces are deleted by their writer, which is no tampering).
   */
  private List<String> sideTampering(ObjectVersions v) {
    String root = loc.key("");
    List<String> out = new ArrayList<>();
    for (String area : v.directories(root)) {
      String dir = area.substring(root.length(), area.length() - 1);
      if (!java.util.regex.Pattern.matches("[a-z][a-z0-9-]{0,31}", dir)) continue;
      boolean kindDirectory = false;
      for (ObjectKind k : ObjectKind.values()) {
        if (k != ObjectKind.SIDE && k.directory().equals(dir)) kindDirectory = true;
      }
      if (kindDirectory) continue;
      for (String t : v.tampering(area, root)) {
        String rel = t.substring(0, t.indexOf(':'));
        ObjectName name = nameOf(ObjectKind.SIDE, rel);
        if (name != null && ObjectLock.locks(name)) out.add(t);
      }
    }
    return out;
  }

  // --- init -----------------------------------------------------------------

  @Override
  public void prepareForInit(ObjectLock lock) throws IOException {
    if (lock == null) {
      prepareForInit();
      return;
    }
    // The bucket's object lock configuration, read first (HeadBucket would need ListBucket on the
    // whole bucket). Servers answer "no configuration" for a missing bucket too (MinIO does): then
    // creating the bucket with object lock tells the two apart.
    ObjectLockConfiguration conf = null;
    try {
      conf = s3.getObjectLockConfiguration(r -> r.bucket(loc.bucket())).objectLockConfiguration();
    } catch (S3Exception e) {
      String code = e.awsErrorDetails() != null ? e.awsErrorDetails().errorCode() : null;
      if (!"NoSuchBucket".equals(code)
          && e.statusCode() != 404
          && !"ObjectLockConfigurationNotFoundError".equals(code)) {
        throw fail("read the object lock configuration of bucket", "", e);
      }
    } catch (SdkException e) {
      throw fail("read the object lock configuration of bucket", "", e);
    }
    if (conf == null) {
      try {
        s3.createBucket(
            r -> {
              r.bucket(loc.bucket()).objectLockEnabledForBucket(true);
              if (endpoint == null && !Region.US_EAST_1.equals(region)) {
                r.createBucketConfiguration(
                    CreateBucketConfiguration.builder().locationConstraint(region.id()).build());
              }
            });
        System.err.println("roadie: created bucket " + loc.bucket() + " with object lock");
        return;
      } catch (BucketAlreadyOwnedByYouException | BucketAlreadyExistsException e) {
        // it exists, without object lock: refused below
      } catch (SdkException e) {
        throw fail("create bucket", "", e);
      }
    }
    if (conf == null || conf.objectLockEnabled() != ObjectLockEnabled.ENABLED) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          location()
              + ": the bucket "
              + loc.bucket()
              + " exists without "
              + "object lock, so nothing would stop its objects from being deleted; S3 turns object lock on when a bucket "
              + "is created (AWS also allows it on a versioned bucket, with PutObjectLockConfiguration): give "
              + "'roadie init --object-lock' a bucket that does not exist yet and it creates one with object lock");
    }
    if (conf.rule() != null && conf.rule().defaultRetention() != null) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          location()
              + ": the bucket "
              + loc.bucket()
              + " has a default "
              + "retention, which would lock roadie's leases and deletion plans too (they must be deleted when done); "
              + "remove the bucket's default retention rule: roadie sets the retention of each backup object itself");
    }
  }

  /** Creates the bucket when it does not exist. */
  @Override
  public void prepareForInit() throws IOException {
    try {
      s3.headBucket(r -> r.bucket(loc.bucket()));
      return;
    } catch (S3Exception e) {
      if (e.statusCode() != 404) {
        // 403: the bucket may exist and allow object writes without ListBucket; the writes will
        // tell.
        if (e.statusCode() == 403) return;
        throw fail("look up bucket", "", e);
      }
    } catch (SdkException e) {
      throw fail("look up bucket", "", e);
    }
    try {
      s3.createBucket(
          r -> {
            r.bucket(loc.bucket());
            if (endpoint == null && !Region.US_EAST_1.equals(region)) {
              r.createBucketConfiguration(
                  CreateBucketConfiguration.builder().locationConstraint(region.id()).build());
            }
          });
      System.err.println("roadie: created bucket " + loc.bucket());
    } catch (BucketAlreadyOwnedByYouException e) {
      // created meanwhile by ourselves: fine
    } catch (SdkException e) {
      throw fail("create bucket", "", e);
    }
  }

  @Override
  public void close() {
    s3.close();
  }

  // --- errors ---------------------------------------------------------------

  private static boolean isNoSuchKey(S3Exception e) {
    if (e.statusCode() != 404) return false;
    String code = e.awsErrorDetails() != null ? e.awsErrorDetails().errorCode() : null;
    return code == null || !code.equals("NoSuchBucket");
  }

  private String where() {
    // A location of the form s3:http://HOST/… names its endpoint already.
    return endpoint != null && loc.endpoint() == null ? " at " + endpoint : "";
  }

  /** A clear error for a failed request: names the bucket and key, never credentials. */
  RuntimeException fail(String op, String key, SdkException e) {
    String what =
        op + " " + (key.isEmpty() ? "s3://" + loc.bucket() : "s3://" + loc.bucket() + "/" + key);
    if (e instanceof S3Exception s) {
      int status = s.statusCode();
      String code = s.awsErrorDetails() != null ? s.awsErrorDetails().errorCode() : null;
      String msg = s.awsErrorDetails() != null ? s.awsErrorDetails().errorMessage() : null;
      String detail =
          "HTTP " + status + (code != null ? " " + code : "") + (msg != null ? ": " + msg : "");
      if ("NoSuchBucket".equals(code)) {
        return new RoadieException(
            ErrorCode.NO_REPOSITORY,
            location()
                + ": the bucket "
                + loc.bucket()
                + " does not exist"
                + where()
                + " ('roadie init' creates it)");
      }
      if (status == 403
          || "InvalidAccessKeyId".equals(code)
          || "SignatureDoesNotMatch".equals(code)) {
        return new RoadieException(
            ErrorCode.FAILURE,
            location()
                + ": S3 refused to "
                + what
                + where()
                + " ("
                + detail
                + "): check the credentials ("
                + credentialsSource()
                + ") and the bucket's policy (docs/security.md "
                + "says what each role, writer, maintainer or reader, may do)",
            e);
      }
      if (status >= 500 || status == 429) {
        return new RoadieException.Retriable(
            location()
                + ": could not "
                + what
                + where()
                + " after "
                + S3Clients.MAX_ATTEMPTS
                + " attempts ("
                + detail
                + "); try again later",
            e);
      }
      return new RoadieException(
          ErrorCode.FAILURE, location() + ": could not " + what + where() + " (" + detail + ")", e);
    }
    String m = String.valueOf(e.getMessage());
    if (m.contains("Unable to load credentials")
        || m.contains("Unable to load an identity")
        || m.contains("credentials for profile")
        || m.contains("Profile file contained no credentials")) {
      if (settings.profile() != null) {
        return new RoadieException(
            ErrorCode.FAILURE,
            location()
                + ": the AWS profile '"
                + settings.profile()
                + "' gives no usable credentials ("
                + reason(m)
                + "): give it aws_access_key_id and "
                + "aws_secret_access_key, or a role, in the shared credentials or config file",
            e);
      }
      return new RoadieException(
          ErrorCode.FAILURE,
          location()
              + ": no AWS credentials found: set "
              + "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or --profile NAME, or run where a role "
              + "is available",
          e);
    }
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    String cause = root == e || root.getMessage() == null ? m : root.getMessage();
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof javax.net.ssl.SSLException) {
        // A certificate that is not trusted, or a server that does not speak TLS there: trying
        // again will not help.
        return new RoadieException(
            ErrorCode.FAILURE,
            location()
                + ": could not "
                + what
                + where()
                + ": TLS failed ("
                + cause
                + "); "
                + (settings.caFile() != null
                    ? "the server's certificate must be signed by a CA in "
                        + settings.caFile()
                        + " and name the host"
                    : "for a server with a private CA give its certificate (PEM) with --s3-ca-file FILE"),
            e);
      }
    }
    return new RoadieException.Retriable(
        location()
            + ": could not "
            + what
            + where()
            + " after up to "
            + S3Clients.MAX_ATTEMPTS
            + " attempts: "
            + cause
            + " (is the endpoint reachable?)",
        e);
  }

  /** Where the credentials came from, for messages: never the credentials themselves. */
  private String credentialsSource() {
    if (settings.profile() != null) return "the profile '" + settings.profile() + "'";
    if (settings.credentials() != null) return "the credentials given";
    return "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE";
  }

  /**
   * The SDK's reason, without its dump of the profile files' layout (names of profiles and keys).
   */
  private static String reason(String s) {
    int nl = s.indexOf('\n');
    String line = nl < 0 ? s : s.substring(0, nl);
    int dump = line.indexOf(": ProfileFile(");
    return dump < 0 ? line : line.substring(0, dump);
  }

  /** Reads a ByteBuffer (a duplicate per attempt) as a stream. */
  private static final class BufferInputStream extends InputStream {
    private final ByteBuffer buf;

    BufferInputStream(ByteBuffer buf) {
      this.buf = buf;
    }

    @Override
    public int read() {
      return buf.hasRemaining() ? buf.get() & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) return 0;
      if (!buf.hasRemaining()) return -1;
      int n = Math.min(len, buf.remaining());
      buf.get(b, off, n);
      return n;
    }

    @Override
    public int available() {
      return buf.remaining();
    }
  }
}
