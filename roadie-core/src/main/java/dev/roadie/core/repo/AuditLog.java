package dev.roadie.core.repo;

import dev.roadie.core.Id;
import dev.roadie.core.backend.Backend;
import dev.roadie.core.backend.ObjectInfo;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectName;
import dev.roadie.core.crypto.MasterKey;
import dev.roadie.core.crypto.SealedObject;
import dev.roadie.core.json.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Future;

/**
 * The audit trail of a repository: entries under {@code audit/<id>}, each sealed like a snapshot
 * (AES-GCM under a key derived from the master key for that one object, its path bound in), so an
 * entry cannot be altered, forged or moved by anyone without the repository's key. Entries are
 * written with an exclusive create and never replaced or deleted by roadie: the trail only grows.
 * Removing one is what the storage alone can still do; the snapshots and records that name their
 * entry make {@code check} notice that.
 */
public final class AuditLog {
  private AuditLog() {}

  /** A stored entry with its id. */
  public record Stored(Id id, AuditEntry entry) {}

  public static ObjectName name(Id id) {
    return ObjectName.of(ObjectKind.AUDIT, id.hex());
  }

  /** Records the end of {@code op} in an open repository. */
  public static void write(Repository repo, AuditOperation op, String error) throws IOException {
    write(repo.backend(), repo.key(), op.id(), op.entry(repo.keyId(), error));
  }

  /**
   * Writes one entry with the master key alone: a command records its entry after it has closed the
   * repository (the result is known only then), through a backend opened again.
   */
  public static void write(Backend backend, MasterKey key, Id id, AuditEntry entry)
      throws IOException {
    ObjectName name = name(id);
    backend.write(name, ByteBuffer.wrap(SealedObject.seal(key, name, Json.write(entry))), true);
  }

  /**
   * The entry with this id; {@link dev.roadie.core.backend.NoSuchObjectException} when there is
   * none.
   */
  public static AuditEntry read(Repository repo, Id id) throws IOException {
    return Json.read(repo.readSealed(name(id)), AuditEntry.class, "audit entry " + id.shortHex());
  }

  /**
   * Every readable entry that ended at or after {@code since} (null: all), oldest first; entries
   * that do not open (altered, or not roadie's) go to {@code problems}.
   */
  public static List<Stored> entries(Repository repo, Instant since, List<String> problems)
      throws IOException {
    List<ObjectInfo> infos = repo.backend().list(ObjectKind.AUDIT);
    List<Future<AuditEntry>> reads = new ArrayList<>();
    for (ObjectInfo info : infos) {
      reads.add(
          repo.io()
              .submit(
                  () ->
                      Json.read(
                          repo.readSealed(info.name()),
                          AuditEntry.class,
                          "audit entry " + info.name().id().substring(0, 8))));
    }
    List<Stored> out = new ArrayList<>();
    for (int i = 0; i < infos.size(); i++) {
      String id = infos.get(i).name().id();
      try {
        AuditEntry e = Repository.await(reads.get(i));
        if (since == null || !instant(e.time()).isBefore(since))
          out.add(new Stored(Id.parse(id), e));
      } catch (IOException | RuntimeException e) {
        problems.add(
            "audit entry "
                + id.substring(0, Math.min(8, id.length()))
                + " does not open (altered, "
                + "damaged, or not written by roadie): "
                + e.getMessage());
      }
    }
    out.sort(
        Comparator.comparing((Stored s) -> instant(s.entry().time()))
            .thenComparing(s -> s.id().hex()));
    return out;
  }

  static Instant instant(String text) {
    try {
      return Instant.parse(text);
    } catch (RuntimeException e) {
      return Instant.EPOCH;
    }
  }
}
