package dev.roadie.s3;

import dev.roadie.core.backend.NoSuchObjectException;
import dev.roadie.core.backend.ObjectInfo;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectLock;
import dev.roadie.core.backend.ObjectName;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeleteMarkerEntry;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsRequest;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse;
import software.amazon.awssdk.services.s3.model.ObjectVersion;

/**
 * The versions of a locked repository's objects in a bucket with object lock (which S3 keeps
 * versioned). roadie writes each object of a {@linkplain ObjectLock#locks locked kind} exactly
 * once, so the <em>first</em> version of a key is roadie's: whatever came later (a delete marker,
 * an overwrite) is someone else's doing, and retention keeps that first version whatever they do.
 * Reads are pinned to it; {@link #tampering} names what came later.
 */
final class ObjectVersions {
  /** The version of a key that roadie wrote, with its size and time. */
  record Pin(String versionId, long size, Instant modified) {}

  /** One key's history, newest first as S3 lists it. */
  record History(String key, List<ObjectVersion> versions, List<DeleteMarkerEntry> markers) {
    /** The first version written, or null when only delete markers are left. */
    ObjectVersion first() {
      return versions.isEmpty() ? null : versions.get(versions.size() - 1);
    }

    boolean hiddenByMarker() {
      return markers.stream().anyMatch(m -> Boolean.TRUE.equals(m.isLatest()));
    }
  }

  private final S3Backend backend;
  private final S3Client s3;
  private final String bucket;
  final ObjectLock lock;
  private final Map<String, Pin> pins = new ConcurrentHashMap<>();
  private final Set<ObjectKind> listed = ConcurrentHashMap.newKeySet();

  ObjectVersions(S3Backend backend, S3Client s3, String bucket, ObjectLock lock) {
    this.backend = backend;
    this.s3 = s3;
    this.bucket = bucket;
    this.lock = lock;
  }

  /** Every key under {@code prefix} with its versions and delete markers, in key order. */
  Map<String, History> histories(String prefix) {
    Map<String, History> out = new LinkedHashMap<>();
    ListObjectVersionsRequest req =
        ListObjectVersionsRequest.builder().bucket(bucket).prefix(prefix).build();
    try {
      for (ListObjectVersionsResponse page : s3.listObjectVersionsPaginator(req)) {
        for (ObjectVersion v : page.versions()) {
          out.computeIfAbsent(v.key(), k -> new History(k, new ArrayList<>(), new ArrayList<>()))
              .versions()
              .add(v);
        }
        for (DeleteMarkerEntry m : page.deleteMarkers()) {
          out.computeIfAbsent(m.key(), k -> new History(k, new ArrayList<>(), new ArrayList<>()))
              .markers()
              .add(m);
        }
      }
    } catch (SdkException e) {
      throw backend.fail("list versions of", prefix, e);
    }
    return out;
  }

  /** The history of exactly {@code key}. */
  History history(String key) {
    History h = histories(key).get(key);
    return h != null ? h : new History(key, List.of(), List.of());
  }

  /**
   * The objects of a locked kind as roadie wrote them, delete markers and later versions looked
   * through.
   */
  List<ObjectInfo> list(ObjectKind kind, String prefix, String dir) {
    List<ObjectInfo> out = new ArrayList<>();
    for (History h : histories(prefix).values()) {
      ObjectVersion first = h.first();
      if (first == null) continue;
      ObjectName name = S3Backend.nameOf(kind, h.key().substring(dir.length()));
      if (name == null) continue;
      if (!ObjectLock.locks(name)) {
        // A piece without retention (a WAL fragment) is what its newest version says: its writer
        // deletes it when done, and a deleted one is gone.
        h.versions().stream()
            .filter(x -> Boolean.TRUE.equals(x.isLatest()))
            .findFirst()
            .ifPresent(x -> out.add(new ObjectInfo(name, x.size(), x.lastModified())));
        continue;
      }
      Pin pin = new Pin(first.versionId(), first.size(), first.lastModified());
      pins.put(h.key(), pin);
      out.add(new ObjectInfo(name, pin.size(), pin.modified()));
    }
    if (prefix.equals(dir)) listed.add(kind);
    return out;
  }

  void pinWritten(String key, String versionId, long size) {
    if (versionId != null) pins.put(key, new Pin(versionId, size, Instant.now()));
  }

  void forget(String key) {
    pins.remove(key);
  }

  /**
   * The version roadie wrote of a key. On the first miss for a kind the whole kind is listed (a
   * restore reads many packs: one listing instead of a request per pack); a key written since is
   * looked up alone.
   */
  Pin pin(ObjectName name, String key, String dir) throws IOException {
    Pin p = pins.get(key);
    // Side objects are looked up one by one: their kind spans every source's area, and a WAL
    // command reads a few objects of an archive that may hold thousands.
    if (p == null && name.kind() != ObjectKind.SIDE && listed.add(name.kind())) {
      list(name.kind(), dir, dir);
      p = pins.get(key);
    }
    if (p == null) {
      ObjectVersion first = history(key).first();
      if (first == null) throw new NoSuchObjectException(name, backend.location());
      p = new Pin(first.versionId(), first.size(), first.lastModified());
      pins.put(key, p);
    }
    return p;
  }

  /** The "directories" directly under {@code prefix} (ending in '/'), versions and markers too. */
  List<String> directories(String prefix) {
    List<String> out = new ArrayList<>();
    ListObjectVersionsRequest req =
        ListObjectVersionsRequest.builder().bucket(bucket).prefix(prefix).delimiter("/").build();
    try {
      for (ListObjectVersionsResponse page : s3.listObjectVersionsPaginator(req)) {
        for (var c : page.commonPrefixes()) out.add(c.prefix());
      }
    } catch (SdkException e) {
      throw backend.fail("list versions of", prefix, e);
    }
    return out;
  }

  /** What happened to the objects under {@code prefix} that roadie did not do. */
  List<String> tampering(String prefix, String root) {
    List<String> out = new ArrayList<>();
    for (History h : histories(prefix).values()) {
      String rel = h.key().substring(root.length());
      ObjectVersion first = h.first();
      if (first == null) {
        out.add(
            rel
                + ": only delete markers are left, every version of it was deleted (possible tampering; its "
                + "retention had passed, or it was never locked)");
        continue;
      }
      if (h.hiddenByMarker()) {
        DeleteMarkerEntry m =
            h.markers().stream()
                .filter(x -> Boolean.TRUE.equals(x.isLatest()))
                .findFirst()
                .orElseThrow();
        out.add(
            rel
                + ": hidden by a delete marker made "
                + m.lastModified()
                + " (roadie never deletes a locked object; "
                + "it reads the version it wrote)");
      }
      for (ObjectVersion v : h.versions()) {
        if (v != first && !v.eTag().equals(first.eTag())) {
          out.add(
              rel
                  + ": a later version ("
                  + v.versionId()
                  + ", "
                  + v.lastModified()
                  + ", "
                  + v.size()
                  + " bytes) differs from the one roadie wrote (roadie writes each object once; it reads the first "
                  + "version)");
        }
      }
    }
    return out;
  }
}
