package dev.roadie.files;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.roadie.core.browse.Entry;
import dev.roadie.core.browse.SnapshotBrowser;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.SourceContractTest;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The source contract for {@code file}: a directory tree with every kind of entry. */
class FileSourceContractTest extends SourceContractTest {
  private Path tree() {
    return work.resolve("src/data");
  }

  @Override
  protected String kind() {
    return FileSource.KIND;
  }

  @Override
  protected BackupRequest.Options original() throws Exception {
    if (!Files.exists(tree())) FileTrees.make(tree());
    return FileBackupOptions.paths(List.of(tree()), false);
  }

  @Override
  protected Destination freshDestination() throws Exception {
    Path out = work.resolve("out");
    for (int i = 1; Files.exists(out); i++) out = work.resolve("out" + i);
    return new Destination.Directory(out);
  }

  @Override
  protected void assertSameAsOriginal(Destination copy) throws Exception {
    Path dir = ((Destination.Directory) copy).path();
    assertEquals(FileTrees.describe(tree()), FileTrees.describe(dir.resolve("data")));
  }

  /** One byte of a file changed in place; size and mtime as before, so only the content tells. */
  @Override
  protected void damage(Destination copy) throws Exception {
    Path f = ((Destination.Directory) copy).path().resolve("data/big.bin");
    FileTime mtime = Files.getLastModifiedTime(f);
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
      raf.seek(1 << 20);
      int b = raf.read();
      raf.seek(1 << 20);
      raf.write(b ^ 0x5a);
    }
    Files.setLastModifiedTime(f, mtime);
  }

  @Override
  protected Destination unfitDestination() {
    return new Destination.Server("postgresql://app@db/shop");
  }

  /** Files and directories as stored, with modes, sizes, link targets, and unicode names exact. */
  @Override
  protected void assertListing(SnapshotBrowser browser, List<Entry> all) throws Exception {
    Map<String, Entry> byPath = new HashMap<>();
    for (Entry e : all) byPath.put(e.path(), e);
    assertEquals("dir", byPath.get("data/sub/dir").type());
    assertEquals(0710, byPath.get("data/sub/dir").mode());
    assertEquals(0600, byPath.get("data/secret.txt").mode());
    assertEquals(3L << 20, byPath.get("data/big.bin").size());
    assertEquals("sub/dir/a.txt", byPath.get("data/link-to-a").details().get("linkTarget"));
    assertEquals("file", byPath.get("data/Ünïcødé dïr/ファイル 名前.txt").type());
    assertEquals(
        List.of("data/sub/dir/a.txt", "data/sub/dir/dangling", "data/sub/dir/deeper"),
        paths(browser.list("/data/sub/dir/")),
        "a path with a leading and trailing '/' lists the same directory");
  }

  private static List<String> paths(dev.roadie.core.browse.Entries entries) {
    List<String> out = new java.util.ArrayList<>();
    entries.forEachRemaining(e -> out.add(e.path()));
    return out;
  }
}
