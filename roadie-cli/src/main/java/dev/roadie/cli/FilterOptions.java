package dev.roadie.cli;

import dev.roadie.core.snapshot.SnapshotFilter;
import dev.roadie.core.source.Sources;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Selects snapshots by target, kind and tags (for listings, and for what 'latest' means). */
final class FilterOptions {
  @Option(
      names = "--kind",
      paramLabel = "KIND",
      description =
          "Only snapshots of this source kind: file, postgres, postgres-physical, redis, bucket or k8s.")
  String kind;

  @Option(
      names = "--tag",
      paramLabel = "TAG",
      description = "Only snapshots with this tag (repeatable: all must match).")
  List<String> tags = new ArrayList<>();

  /**
   * The filter for {@code target} as the user typed it: it matches the snapshots recorded under
   * that name, and under the names the sources record for it (a URL without its user, password and
   * parameters, with its default port; a path made absolute).
   */
  SnapshotFilter filter(String target) {
    return new SnapshotFilter(target, kind, tags, Sources.targetNames(target));
  }
}
