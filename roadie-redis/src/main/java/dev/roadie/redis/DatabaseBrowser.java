package dev.roadie.redis;

import dev.roadie.core.Id;
import dev.roadie.core.browse.Entry;
import dev.roadie.core.browse.ListBrowser;
import dev.roadie.core.browse.TreeBrowser;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.SourceMetadata;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a {@code redis} snapshot holds: its RDB ({@code dump.rdb}) and one {@code database} entry
 * per database ({@code db0}, ...) with the keys, keys with an expiry and keys per type that the
 * backup counted in the RDB. Keys themselves are not listed: they lie inside the one RDB stream,
 * and naming them would mean reading all of it.
 */
final class DatabaseBrowser extends ListBrowser {
  private final Repository repo;

  DatabaseBrowser(Repository repo, SnapshotRef snapshot) {
    super(snapshot);
    this.repo = repo;
  }

  @Override
  protected List<Entry> entries() throws IOException {
    List<Entry> out = new ArrayList<>();
    for (Node n : repo.readTree(Id.parse(snapshot.snapshot().tree())).nodes()) {
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
    }
    RedisMetadata m = SourceMetadata.of(snapshot.snapshot(), RedisMetadata.class);
    if (m.databases() != null) {
      m.databases()
          .forEach(
              (db, keyspace) -> {
                Map<String, Object> details = new LinkedHashMap<>();
                details.put("keys", keyspace.keys());
                details.put("expires", keyspace.expires());
                if (keyspace.types() != null) details.put("types", keyspace.types());
                out.add(new Entry(db, "database", null, null, null, null, null, true, details));
              });
    }
    out.sort(Comparator.comparing(Entry::path));
    return out;
  }
}
