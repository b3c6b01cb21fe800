package dev.roadie.core.repo;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.ObjectInfo;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectName;
import dev.roadie.core.crypto.KeyFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The key files of an open {@link Repository} (whose public methods delegate here): one per
 * password, each wrapping the same master key; listing, adding, removing and replacing them.
 * Opening and creating a repository, which read or write the first key file, stay in Repository.
 */
final class KeyRing {
  private final Repository repo;

  KeyRing(Repository repo) {
    this.repo = repo;
  }

  List<Repository.KeyInfo> keys() throws IOException {
    List<Repository.KeyInfo> out = new ArrayList<>();
    for (ObjectInfo info : repo.backend().list(ObjectKind.KEY)) {
      Id id = Id.parse(info.name().id());
      KeyFile kf = KeyFile.parse(repo.backend().read(info.name()), "key file " + id.shortHex());
      out.add(
          new Repository.KeyInfo(id, kf.created(), kf.host(), kf.user(), id.equals(repo.keyId())));
    }
    out.sort(Comparator.comparing(Repository.KeyInfo::created));
    return out;
  }

  /** Adds a key file for another password; returns its id. */
  Id addKey(char[] password) throws IOException {
    Id id = Id.random();
    KeyFile kf =
        KeyFile.create(
            repo.key(), repo.config().repositoryId(), password, Hosts.host(), Hosts.user());
    repo.backend()
        .write(ObjectName.of(ObjectKind.KEY, id.hex()), ByteBuffer.wrap(kf.toJson()), true);
    return id;
  }

  /** Removes a key file (revoking its password). The key in use cannot be removed. */
  void removeKey(Id id) throws IOException {
    if (id.equals(repo.keyId())) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "key "
              + id.shortHex()
              + " is the one this command opened the "
              + "repository with; open with another password to remove it, or use 'roadie key passwd'");
    }
    ObjectName name = ObjectName.of(ObjectKind.KEY, id.hex());
    refuseWhileLocked(name, "remove key " + id.shortHex());
    if (repo.backend().size(name) < 0) {
      throw new RoadieException(
          ErrorCode.FAILURE, "no key " + id.hex() + "; list keys with 'roadie key list'");
    }
    repo.backend().delete(name);
  }

  /**
   * Replaces the key file in use by one for a new password: the new file is written (and durable)
   * before the old one is deleted, so a crash in between leaves both passwords working, never none.
   */
  Id changePassword(char[] newPassword) throws IOException {
    refuseWhileLocked(
        ObjectName.of(ObjectKind.KEY, repo.keyId().hex()),
        "change the password of key " + repo.keyId().shortHex());
    Id added = addKey(newPassword);
    repo.backend().delete(ObjectName.of(ObjectKind.KEY, repo.keyId().hex()));
    return added;
  }

  /**
   * Object lock keeps every key file as written: deleting one would only hide it (and 'check' would
   * report that as tampering), so its password would still open the repository.
   */
  private void refuseWhileLocked(ObjectName key, String what) throws IOException {
    if (repo.lock() == null) return;
    java.time.Instant until = repo.backend().retainedUntil(key);
    if (until != null && until.isAfter(java.time.Instant.now())) {
      throw new RoadieException(
          ErrorCode.USAGE,
          repo.backend().location()
              + ": cannot "
              + what
              + ": object lock "
              + "keeps its key file until "
              + until
              + ", and deleting it before then would only hide it, so its password "
              + "would still open the repository; try again after that (see docs/security.md)");
    }
  }

  /** Key ids that match a prefix. */
  Id resolveKey(String prefix) throws IOException {
    List<Id> matches = new ArrayList<>();
    for (ObjectInfo info : repo.backend().list(ObjectKind.KEY)) {
      if (info.name().id().startsWith(prefix)) {
        matches.add(Id.parse(info.name().id()));
      }
    }
    if (matches.size() != 1) {
      throw new RoadieException(
          matches.isEmpty() ? ErrorCode.FAILURE : ErrorCode.USAGE,
          (matches.isEmpty() ? "no key matches " : "key prefix is ambiguous: ")
              + prefix
              + "; list keys with 'roadie key list'");
    }
    return matches.get(0);
  }

  /** Whether a key file's public fields carry a valid MAC under this repository's master key. */
  boolean keyFileIntact(ObjectName name) throws IOException {
    return KeyFile.parse(repo.backend().read(name), "key file " + name.id()).verifyMac(repo.key());
  }
}
