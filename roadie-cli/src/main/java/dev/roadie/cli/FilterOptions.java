package dev.roadie.cli;

import dev.roadie.core.snapshot.SnapshotFilter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Selects snapshots by target, kind and tags (for listings, and for what 'latest' means). */
final class FilterOptions {
  @Option(names = "--kind", paramLabel = "KIND", description = "Only snapshots of this source kind: file, postgres, postgres-physical or redis.")
  String kind;

  @Option(names = "--tag", paramLabel = "TAG", description = "Only snapshots with this tag (repeatable: all must match).")
  List<String> tags = new ArrayList<>();

  SnapshotFilter filter(String target) {
    return new SnapshotFilter(target, kind, tags);
  }
}
