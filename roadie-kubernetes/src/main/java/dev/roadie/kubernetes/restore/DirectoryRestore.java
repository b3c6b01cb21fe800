package dev.roadie.kubernetes.restore;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.repo.Repository;
import dev.roadie.core.snapshot.SnapshotRef;
import dev.roadie.kubernetes.objects.SnapshotObjects;
import dev.roadie.kubernetes.objects.StoredObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Writes a {@code k8s} snapshot's objects as files: {@code DIR/NAMESPACE/KIND/NAME.yaml} and {@code
 * DIR/_cluster/KIND/NAME.yaml}, one YAML document each, readable by {@code kubectl apply -f}
 * (recursively). Files are made readable by their owner only: secrets are among them. A file of the
 * same name is replaced; anything else in the directory is left alone.
 */
public final class DirectoryRestore {
  private DirectoryRestore() {}

  /** Writes every object; returns them. */
  public static List<StoredObject> write(Repository repo, SnapshotRef snapshot, Path dir)
      throws IOException {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new RoadieException(
          ErrorCode.USAGE, dir + " is a file, not a directory: give --target a directory");
    }
    List<StoredObject> objects = SnapshotObjects.read(repo, snapshot.snapshot(), e -> true);
    for (StoredObject o : objects) {
      Path file = dir.resolve(o.path());
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling("." + file.getFileName() + ".roadie-tmp");
      Files.deleteIfExists(tmp);
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.write(tmp, o.yaml());
      Files.move(
          tmp,
          file,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
    return objects;
  }
}
