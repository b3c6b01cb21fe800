package dev.roadie.core.source;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.browse.SnapshotBrowser;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotRef;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;

/**
 * The source providers on the class path ({@link ServiceLoader}), by kind. Loaded once per process;
 * the library API's entry points for backing up, restoring and verifying any kind.
 */
public final class Sources {
  private static volatile Map<String, SourceProvider> byKind;

  private Sources() {}

  private static Map<String, SourceProvider> providers() {
    Map<String, SourceProvider> m = byKind;
    if (m == null) {
      synchronized (Sources.class) {
        m = byKind;
        if (m == null) {
          m = new LinkedHashMap<>();
          for (SourceProvider p :
              ServiceLoader.load(SourceProvider.class, Sources.class.getClassLoader())) {
            for (String kind : p.kinds()) {
              SourceProvider other = m.putIfAbsent(kind, p);
              if (other != null && other.getClass() != p.getClass()) {
                throw new IllegalStateException(
                    "two source providers claim kind '"
                        + kind
                        + "': "
                        + other.getClass().getName()
                        + " and "
                        + p.getClass().getName());
              }
            }
          }
          byKind = m = Collections.unmodifiableMap(m);
        }
      }
    }
    return m;
  }

  /** Every kind a provider claims, sorted. */
  public static Set<String> kinds() {
    return Collections.unmodifiableSet(new TreeSet<>(providers().keySet()));
  }

  /** The provider of {@code kind}; fails with a message naming the kinds this build has. */
  public static SourceProvider forKind(String kind) {
    SourceProvider p = providers().get(kind);
    if (p == null) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "no source of kind '"
              + kind
              + "' in this build of roadie (it has "
              + String.join(", ", kinds())
              + "); snapshots of that kind need a roadie with that source");
    }
    return p;
  }

  /** Every provider, each once. */
  public static List<SourceProvider> all() {
    List<SourceProvider> out = new ArrayList<>();
    for (SourceProvider p : providers().values()) {
      if (!out.contains(p)) out.add(p);
    }
    return out;
  }

  /** Backs up with the provider of {@code request.kind()}. */
  public static BackupResult backup(BackupRequest request) throws IOException {
    return forKind(request.kind()).backup(request);
  }

  /** Restores with the provider of the snapshot's kind. */
  public static RestoreResult restore(RestoreRequest request) throws IOException {
    return forKind(request.kind()).restore(request);
  }

  /** Verifies with the provider of the snapshot's kind. */
  public static VerifyResult verify(VerifyRequest request) throws IOException {
    return forKind(request.snapshot().snapshot().kind()).verify(request);
  }

  /** Restores into scratch space and checks the copy, with the provider of the snapshot's kind. */
  public static ScratchVerifyResult verifyInScratch(ScratchVerifyRequest request)
      throws IOException {
    return forKind(request.kind()).verifyInScratch(request);
  }

  /**
   * What a snapshot holds, as the provider of its kind presents it ({@link SourceProvider#browse}).
   */
  public static SnapshotBrowser browse(Repository repo, SnapshotRef snapshot) {
    return forKind(snapshot.snapshot().kind()).browse(repo, snapshot);
  }

  /** The line's words for a saved snapshot of any kind ({@link SourceProvider#summary}). */
  public static String summary(Snapshot snapshot) {
    SourceProvider p = providers().get(snapshot.kind());
    return p != null ? p.summary(snapshot) : SourceProvider.streams(snapshot);
  }

  /**
   * For each kind, the target names other than {@code given} itself that a backup of what {@code
   * given} names records ({@link SourceProvider#targetNames}); kinds with none are left out.
   */
  public static Map<String, Set<String>> targetNames(String given) {
    Map<String, Set<String>> out = new LinkedHashMap<>();
    if (given == null) return out;
    for (Map.Entry<String, SourceProvider> e : providers().entrySet()) {
      Set<String> names = e.getValue().targetNames(e.getKey(), given);
      if (!names.isEmpty()) out.put(e.getKey(), Set.copyOf(names));
    }
    return out;
  }
}
