package dev.roadie.files;

import dev.roadie.core.Id;
import dev.roadie.core.chunk.Chunker;
import dev.roadie.core.chunk.ChunkerParams;
import dev.roadie.core.chunk.FastCdc;
import dev.roadie.core.repo.ContentReader;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.Node;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.core.source.VerifyResult;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Compares a restored directory with a {@code file} snapshot: every entry's type, a file's size and
 * content, mode, mtime (to the second), a symlink's target, and, when the restore could set it
 * (roadie runs as root), the owner. Content is compared by cutting the copy into chunks as a backup
 * would and comparing their keyed ids with the snapshot's, so only trees are read from the
 * repository; when the ids differ (a snapshot copied from another repository keeps that
 * repository's chunk boundaries) the content is read and compared byte by byte. Entries of a
 * restored directory that the snapshot lacks are differences too, except at the top of the copy,
 * which may hold other things.
 */
final class FileVerify {
  /** Differences listed in full; beyond this only their number. */
  private static final int LISTED = 100;

  private final Repository repo;
  private final boolean owners = "root".equals(System.getProperty("user.name"));
  private final List<String> differences = new ArrayList<>();
  private long extra;
  private long checked;

  FileVerify(Repository repo) {
    this.repo = repo;
  }

  VerifyResult verify(SnapshotRef snapshot, String include, Path copy) throws IOException {
    FileRestore.Found f =
        new FileRestore(repo, new dev.roadie.core.repo.Progress())
            .find(Id.parse(snapshot.snapshot().tree()), include);
    if (f.path().isEmpty()) {
      for (Node n : repo.readTree(Id.parse(f.node().subtree())).nodes()) {
        compare(n, FileNames.child(copy, n.name()), n.name());
      }
    } else {
      compare(f.node(), FileNames.child(copy, f.node().name()), f.path());
    }
    List<String> out = new ArrayList<>(differences);
    if (extra > 0) out.add("… and " + extra + " more differences");
    return new VerifyResult(checked, "entries", out);
  }

  private void differ(String what) {
    if (differences.size() < LISTED) differences.add(what);
    else extra++;
  }

  private void compare(Node n, Path p, String name) throws IOException {
    checked++;
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      differ(name + ": missing (the snapshot has a " + n.type() + ")");
      return;
    }
    String type =
        a.isSymbolicLink()
            ? Node.SYMLINK
            : a.isDirectory() ? Node.DIR : a.isRegularFile() ? Node.FILE : "special file";
    String want = Node.STREAM.equals(n.type()) ? Node.FILE : n.type();
    if (!want.equals(type)) {
      differ(name + ": a " + type + " where the snapshot has a " + n.type());
      return;
    }
    switch (n.type()) {
      case Node.SYMLINK -> {
        String target = FileNames.linkTarget(Files.readSymbolicLink(p));
        if (!target.equals(n.linkTarget())) {
          differ(
              name
                  + ": symlink to '"
                  + target
                  + "', the snapshot's points to '"
                  + n.linkTarget()
                  + "'");
        }
      }
      case Node.DIR -> {
        Set<String> names = new HashSet<>();
        for (Node c : repo.readTree(Id.parse(n.subtree())).nodes()) {
          names.add(c.name());
          compare(c, FileNames.child(p, c.name()), name + "/" + FileNames.printable(c.name()));
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
          for (Path e : ds) {
            String en = FileNames.name(e);
            if (!names.contains(en))
              differ(name + "/" + FileNames.printable(en) + ": not in the snapshot");
          }
        }
      }
      default -> {
        long size = n.size() == null ? -1 : n.size();
        if (a.size() != size) {
          differ(name + ": " + a.size() + " bytes, the snapshot has " + size);
        } else if (!sameContent(n, p)) {
          differ(name + ": content differs from the snapshot's");
        }
      }
    }
    attributes(n, p, a, name);
  }

  private void attributes(Node n, Path p, BasicFileAttributes a, String name) throws IOException {
    if (n.mtime() != null && !Node.SYMLINK.equals(n.type())) {
      Instant want = Instant.parse(n.mtime()).truncatedTo(ChronoUnit.SECONDS);
      Instant got = a.lastModifiedTime().toInstant().truncatedTo(ChronoUnit.SECONDS);
      if (!want.equals(got)) differ(name + ": modified " + got + ", the snapshot's " + want);
    }
    if (Node.SYMLINK.equals(n.type())) return; // a symlink's own mode and owner are not restored
    PosixFileAttributes px;
    try {
      px = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (UnsupportedOperationException e) {
      return;
    }
    if (n.mode() != null && Node.modeOf(px.permissions()) != n.mode()) {
      differ(
          name
              + ": mode "
              + Integer.toOctalString(Node.modeOf(px.permissions()))
              + ", the snapshot's "
              + Integer.toOctalString(n.mode()));
    }
    if (owners && n.uid() != null && n.gid() != null) {
      int uid = (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      int gid = (Integer) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
      if (uid != n.uid() || gid != n.gid()) {
        differ(name + ": owner " + uid + ":" + gid + ", the snapshot's " + n.uid() + ":" + n.gid());
      }
    }
  }

  /** Whether the file holds the node's bytes: chunk ids first, bytes when they differ. */
  private boolean sameContent(Node n, Path p) throws IOException {
    if (sameChunks(n, p)) return true;
    try (InputStream file = new BufferedInputStream(Files.newInputStream(p), 1 << 20);
        ContentReader snap = new ContentReader(repo, n, p.toString())) {
      byte[] block;
      byte[] mine = new byte[1 << 20];
      while ((block = snap.nextBlock()) != null) {
        int got = file.readNBytes(mine, 0, block.length);
        if (got != block.length || !Arrays.equals(mine, 0, got, block, 0, block.length))
          return false;
        snap.recycle(block);
      }
      return file.read() < 0;
    }
  }

  private boolean sameChunks(Node n, Path p) throws IOException {
    Iterator<Id> want = ContentReader.chunkIds(repo, n);
    try (InputStream in = Files.newInputStream(p)) {
      Chunker chunker = new Chunker(in, new FastCdc(ChunkerParams.FILE, repo.gear()));
      Chunker.Chunk c;
      while ((c = chunker.next()) != null) {
        Id id = repo.key().blobId(c.array(), c.from(), c.length());
        c.release();
        if (!want.hasNext() || !Objects.equals(want.next(), id)) return false;
      }
    }
    return !want.hasNext();
  }
}
