package dev.roadie.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.roadie.core.browse.Entries;
import dev.roadie.core.browse.Entry;
import dev.roadie.core.browse.SnapshotBrowser;
import dev.roadie.core.json.Json;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.Sources;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "ls",
    description = {
      "List what a snapshot holds, as its kind presents it: files and directories (file,",
      "postgres-physical), tables with their rows (postgres), databases with their keys",
      "(redis), objects by prefix (bucket), objects by namespace and kind (k8s).",
      "Without PATH everything, recursively; with PATH what lies directly below it."
    })
final class LsCommand implements Callable<Integer> {
  @Mixin RepoOptions repo;
  @Mixin FilterOptions filters;

  @Parameters(
      index = "0",
      paramLabel = "SNAPSHOT",
      description = "A snapshot: id, id prefix or 'latest'.")
  String snapshot;

  @Parameters(
      index = "1",
      arity = "0..1",
      paramLabel = "PATH",
      description = "A directory, table, database, prefix or namespace in the snapshot.")
  String path;

  @Option(
      names = "--of",
      paramLabel = "TARGET",
      description = "With 'latest': the newest snapshot of this target.")
  String of;

  @Option(
      names = {"-l", "--long"},
      description =
          "Show mode or type, size in bytes, time and what the kind records "
              + "(rows, keys, versions).")
  boolean longFormat;

  @Option(
      names = {"-R", "--recursive"},
      description = "With PATH: everything below it, not only one level.")
  boolean recursive;

  @Option(
      names = "--versions",
      description = "Bucket snapshots: also older versions and delete markers.")
  boolean versions;

  @Option(
      names = "--json",
      description = "Print a JSON object (a stable contract; see docs/commands.md).")
  boolean json;

  @Override
  public Integer call() throws Exception {
    try (Repository r = repo.open()) {
      SnapshotRef ref = r.resolve(snapshot, filters.filter(of));
      SnapshotBrowser browser = Sources.browse(r, ref);
      String at = path == null ? "" : path;
      OutputStream raw = StandardOutput.open();
      try (Entries entries = path == null || recursive ? browser.walk(at) : browser.list(at)) {
        if (json) {
          JsonGenerator g = Json.MAPPER.getFactory().createGenerator(raw);
          g.useDefaultPrettyPrinter();
          g.writeStartObject();
          g.writeObjectField("snapshot", EntryFormat.snapshot(ref));
          g.writeStringField("path", at);
          g.writeArrayFieldStart("entries");
          while (entries.hasNext()) {
            Entry e = entries.next();
            if (e.current() || versions) g.writeObject(e.json());
          }
          g.writeEndArray();
          g.writeEndObject();
          g.flush();
          raw.write('\n');
        } else {
          Writer out = new OutputStreamWriter(raw, StandardCharsets.UTF_8);
          while (entries.hasNext()) {
            Entry e = entries.next();
            if (!e.current() && !versions) continue;
            out.write((longFormat ? EntryFormat.longLine(e) : EntryFormat.path(e)) + "\n");
          }
          out.flush();
        }
      }
      raw.flush();
      return 0;
    }
  }
}
