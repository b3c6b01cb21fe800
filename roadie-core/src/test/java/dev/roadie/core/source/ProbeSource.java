package dev.roadie.core.source;

import dev.roadie.core.Id;
import dev.roadie.core.repo.BackupWriter;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.snapshot.Tree;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A source for core's own tests of the SPI's repository-wide hooks: its snapshots are empty, and a
 * snapshot tagged {@value #MISSING} stands for one whose side object is gone, which its check
 * reports as an error.
 */
public final class ProbeSource implements SourceProvider {
  public static final String KIND = "probe";
  public static final String MISSING = "side-object-missing";

  /** Nothing to read: the snapshot is all there is. */
  public record Options() implements BackupRequest.Options {}

  @Override
  public Set<String> kinds() {
    return Set.of(KIND);
  }

  @Override
  public BackupResult backup(BackupRequest request) throws IOException {
    try (BackupWriter w = new BackupWriter(request.repository(), request.progress())) {
      Id tree = w.writeTree(new Tree(List.of()));
      Id id = w.commit(request.draft("probe", List.of(), tree, null, null));
      return new BackupResult(request.repository().readSnapshot(id), List.of());
    }
  }

  @Override
  public BackupRequest.Options backupOptions(String kind, TargetOptions options) {
    options.refuseUnknown(kind);
    return new Options();
  }

  @Override
  public List<Destination.Fit> destinations(String kind) {
    return List.of();
  }

  @Override
  public RestoreResult restore(RestoreRequest request) {
    throw new UnsupportedOperationException("probe snapshots hold nothing to restore");
  }

  @Override
  public SideObjects.Findings check(SideObjects.Check request) {
    List<String> errors = new ArrayList<>();
    List<String> damaged = new ArrayList<>();
    for (SnapshotRef s : request.snapshots()) {
      if (KIND.equals(s.snapshot().kind()) && s.snapshot().tags().contains(MISSING)) {
        errors.add("probe snapshot " + s.id().shortHex() + ": its side object is missing");
        damaged.add(s.id().hex());
      }
    }
    return new SideObjects.Findings(errors, List.of(), damaged);
  }
}
