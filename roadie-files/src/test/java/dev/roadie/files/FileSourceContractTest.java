package dev.roadie.files;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.Destination;
import dev.roadie.core.source.SourceContractTest;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;

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
}
