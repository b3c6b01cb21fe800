package dev.roadie.postgres;

import dev.roadie.core.Id;
import dev.roadie.core.browse.Entry;
import dev.roadie.core.browse.ListBrowser;
import dev.roadie.core.browse.TreeBrowser;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.SnapshotRef;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a {@code postgres} (logical) snapshot holds: {@code schema.dump} and under {@code tables/}
 * one {@code table} entry per table, its parts (the streams of a large table) taken together, with
 * the rows the backup counted inside its snapshot. A snapshot in the pg_dump format holds its
 * archive ({@code database.dump}) alone.
 */
final class TableBrowser extends ListBrowser {
  private final Repository repo;

  TableBrowser(Repository repo, SnapshotRef snapshot) {
    super(snapshot);
    this.repo = repo;
  }

  @Override
  protected List<Entry> entries() throws IOException {
    List<Entry> out = new ArrayList<>();
    for (Node n : repo.readTree(Id.parse(snapshot.snapshot().tree())).nodes()) {
      if (!PostgresBackup.TABLES_DIR.equals(n.name()) || !Node.DIR.equals(n.type())) {
        out.add(
            new Entry(
                n.name(),
                n.type(),
                n.size(),
                null,
                null,
                TreeBrowser.contentId(n),
                null,
                true,
                n.meta()));
        continue;
      }
      // Parts of one table are named TABLE#NNNNNN: grouped by the name before '#' ('#' in a name is
      // escaped).
      TreeMap<String, List<Node>> tables = new TreeMap<>();
      for (Node t : repo.readTree(Id.parse(n.subtree())).nodes()) {
        int hash = t.name().indexOf('#');
        tables
            .computeIfAbsent(
                hash < 0 ? t.name() : t.name().substring(0, hash), k -> new ArrayList<>())
            .add(t);
      }
      out.add(
          new Entry(
              n.name(),
              Entry.DIR,
              null,
              null,
              null,
              n.subtree(),
              null,
              true,
              Map.of("tables", tables.size())));
      for (Map.Entry<String, List<Node>> t : tables.entrySet())
        out.add(table(n.name() + "/" + t.getKey(), t.getValue()));
    }
    return out;
  }

  private static Entry table(String path, List<Node> parts) {
    long size = 0;
    long rows = 0;
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (Node p : parts) {
      size += p.size() == null ? 0 : p.size();
      if (p.meta() != null && p.meta().get("rows") instanceof Number r) rows += r.longValue();
      digest.update(TreeBrowser.contentId(p).getBytes(StandardCharsets.US_ASCII));
    }
    Map<String, Object> first = parts.get(0).meta() == null ? Map.of() : parts.get(0).meta();
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("schema", first.get("schema"));
    details.put("table", first.get("table"));
    details.put("rows", rows);
    if (parts.size() > 1) details.put("parts", parts.size());
    if (first.get("columns") != null) details.put("columns", first.get("columns"));
    if (first.get("persistence") != null) details.put("persistence", first.get("persistence"));
    details.values().removeIf(java.util.Objects::isNull);
    String content =
        parts.size() == 1
            ? TreeBrowser.contentId(parts.get(0))
            : HexFormat.of().formatHex(digest.digest());
    return new Entry(path, "table", size, null, null, content, null, true, details);
  }
}
