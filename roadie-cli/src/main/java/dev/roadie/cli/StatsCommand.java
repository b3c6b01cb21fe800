package dev.roadie.cli;

import dev.roadie.core.Plural;
import dev.roadie.core.backend.ObjectInfo;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.index.BlobIndex;
import dev.roadie.core.json.Json;
import dev.roadie.core.pack.BlobType;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "stats",
    description = "Show how much the repository stores and how well it deduplicates.")
final class StatsCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;

  @Option(names = "--json", description = "Print JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    try (Repository r = repo.open()) {
      Map<String, Object> out = new LinkedHashMap<>();
      long stored = 0;
      Map<String, Long> byKind = new LinkedHashMap<>();
      Map<String, Long> countByKind = new LinkedHashMap<>();
      for (ObjectKind k : ObjectKind.values()) {
        List<ObjectInfo> objs = r.backend().list(k);
        for (ObjectInfo o : objs) {
          // Side objects count under their area's directory (wal, …), the others under their
          // kind's.
          String dir = k == ObjectKind.SIDE ? o.name().area() : k.directory();
          byKind.merge(dir, o.size(), Long::sum);
          countByKind.merge(dir, 1L, Long::sum);
          stored += o.size();
        }
        if (k != ObjectKind.SIDE) {
          byKind.putIfAbsent(k.directory(), 0L);
          countByKind.putIfAbsent(k.directory(), 0L);
        }
      }
      BlobIndex index = r.index();
      long[] dataBlobs = {0};
      long[] rawBytes = {0};
      index.forEach(
          loc -> {
            if (loc.type() == BlobType.DATA) {
              dataBlobs[0]++;
              rawBytes[0] += loc.rawLength();
            }
          });
      List<SnapshotRef> snaps = r.snapshots(new ArrayList<>());
      long totalRead =
          snaps.stream()
              .mapToLong(s -> s.snapshot().stats() == null ? 0 : s.snapshot().stats().bytesRead())
              .sum();
      out.put("location", r.backend().location());
      out.put("repositoryId", r.config().id());
      out.put("formatVersion", r.config().version());
      out.put("storedBytes", stored);
      out.put("snapshots", snaps.size());
      out.put("packs", countByKind.get(ObjectKind.PACK.directory()));
      out.put("indexFiles", countByKind.get(ObjectKind.INDEX.directory()));
      out.put("keys", countByKind.get(ObjectKind.KEY.directory()));
      out.put("blobs", (long) index.size());
      out.put("dataBlobs", dataBlobs[0]);
      out.put("uniqueDataBytes", rawBytes[0]);
      out.put("snapshotBytes", totalRead);
      out.put(
          "deduplicationRatio", stored == 0 ? 0 : Math.round(100.0 * totalRead / stored) / 100.0);
      out.put("indexMemoryBytes", index.memoryBytes());
      out.put("storedBytesByKind", byKind);
      if (json) {
        System.out.println(Json.writePretty(out));
        return 0;
      }
      System.out.println(
          "repository " + r.config().id().substring(0, 8) + " at " + r.backend().location());
      System.out.printf(
          "  stored:        %s in %s, %s%n",
          Format.bytes(stored),
          Plural.count(countByKind.get("data"), "pack"),
          Plural.count(countByKind.get("index"), "index file"));
      System.out.printf(
          "  snapshots:     %d, holding %s of source data%n",
          snaps.size(), Format.bytes(totalRead));
      System.out.printf(
          "  blobs:         %d (%d data), %s unique before compression%n",
          index.size(), dataBlobs[0], Format.bytes(rawBytes[0]));
      System.out.printf(
          "  space saving:  %.2fx (source bytes of all snapshots / stored bytes)%n",
          stored == 0 ? 0.0 : (double) totalRead / stored);
      return 0;
    }
  }
}
