package dev.roadie.bucket;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.browse.Entries;
import dev.roadie.core.browse.SnapshotBrowser;
import dev.roadie.core.repo.Config;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.Sources;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Listing a prefix of a bucket snapshot of thousands of objects (several levels of pages, which a
 * listing passes over up to the prefix): the same objects and prefixes an S3 listing with delimiter
 * '/' gives.
 */
class ObjectBrowserTest {
  @TempDir Path tmp;

  @Test
  void aPrefixListsWhatAnS3ListingWithADelimiterWould() throws Exception {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 4000; i++) {
      names.add(String.format("logs/%02d/day-%04d.log", i % 37, i));
    }
    names.add("logs");
    names.add("logs.txt");
    names.add("z/last");
    try (Repository repo =
        Repository.init(
            new LocalBackend(tmp.resolve("repo")), "pw".toCharArray(), Config.DEFAULT_PACK_SIZE)) {
      SnapshotRef snap = DirectoryRestoreTest.snapshotOf(repo, names);
      SnapshotBrowser browser = Sources.browse(repo, snap);
      names.sort(Keys.ORDER);
      for (String prefix : List.of("", "logs/", "logs/17", "logs/36/", "z")) {
        assertEquals(expected(names, prefix), paths(browser.list(prefix)), "list " + prefix);
        String dir = prefix.isEmpty() || prefix.endsWith("/") ? prefix : prefix + "/";
        assertEquals(
            names.stream().filter(n -> n.startsWith(dir)).toList(),
            paths(browser.walk(prefix)),
            "walk " + prefix);
      }
      List<String> walk = paths(browser.walk("logs"));
      assertEquals("logs", walk.get(0), "the key 'logs' itself comes first in a walk of it");
      assertEquals(4001, walk.size());
      assertEquals(
          expected(names, "logs/"), paths(browser.list("logs")), "below 'logs' lie the prefixes");
      assertEquals(List.of("logs.txt"), paths(browser.list("logs.txt")), "a key lists its object");
    }
  }

  /**
   * What S3 lists under {@code prefix} with delimiter '/': objects and common prefixes, in key
   * order.
   */
  private static List<String> expected(List<String> sorted, String prefix) {
    String dir = prefix.isEmpty() || prefix.endsWith("/") ? prefix : prefix + "/";
    Set<String> out = new LinkedHashSet<>();
    for (String n : sorted) {
      if (!n.startsWith(dir)) continue;
      int slash = n.indexOf('/', dir.length());
      out.add(slash < 0 ? n : n.substring(0, slash + 1));
    }
    return List.copyOf(out);
  }

  private static List<String> paths(Entries entries) {
    List<String> out = new ArrayList<>();
    try (entries) {
      entries.forEachRemaining(e -> out.add(e.path()));
    }
    return out;
  }
}
