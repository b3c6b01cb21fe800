package dev.roadie.core.backend;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * A repository's object lock ({@code roadie init --object-lock DAYS}): every object of a
 * {@linkplain #locks locked kind} is stored with an S3 retention of at least {@code days}, in
 * {@code mode}. The short-lived kinds (leases, deletion plans) and {@linkplain #PIECE pieces} of
 * side objects carry none.
 */
public record ObjectLock(int days, Mode mode) {
  /** The most days accepted: S3 itself allows up to 100 years; more is certainly a typo. */
  public static final int MAX_DAYS = 36_500;

  /**
   * Retention is set this much beyond {@code days}: a pack reused by a backup less than a day after
   * it was written still outlives that backup's snapshot by {@code days} without a request per
   * pack.
   */
  public static final Duration SLACK = Duration.ofDays(1);

  public enum Mode {
    /**
     * Nobody, not even the bucket's root credentials, can shorten the retention or delete the
     * version.
     */
    COMPLIANCE,
    /** Credentials with s3:BypassGovernanceRetention can; everyone else cannot. */
    GOVERNANCE;

    public String s3Name() {
      return name();
    }

    public static Mode parse(String s) {
      try {
        return valueOf(s.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new RoadieException(
            ErrorCode.USAGE, "object lock mode must be compliance or governance, not '" + s + "'");
      }
    }

    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public ObjectLock {
    if (days < 1 || days > MAX_DAYS) {
      throw new RoadieException(
          ErrorCode.USAGE, "object lock days must be between 1 and " + MAX_DAYS + ", not " + days);
    }
    if (mode == null) throw new IllegalArgumentException("mode");
  }

  /**
   * The ending of a side object's name that marks it as a piece of one not finished yet (a WAL
   * fragment, {@code <segment>.<start>-<end>.partial}): its source deletes it once the whole object
   * is stored, so it carries no retention, like a lease.
   */
  public static final String PIECE = ".partial";

  /**
   * Whether roadie stores some objects of this kind with a retention: every object of it, or for
   * {@link ObjectKind#SIDE} every one but the {@linkplain #PIECE pieces} ({@link
   * #locks(ObjectName)}).
   */
  public static boolean locks(ObjectKind kind) {
    return switch (kind) {
      case CONFIG, KEY, PACK, INDEX, SNAPSHOT, TOMBSTONE, VERIFICATION, DRILL, RUN, AUDIT, SIDE ->
          true;
      case LEASE, PLAN -> false;
    };
  }

  /**
   * Whether roadie stores this object with a retention. Side objects are data a snapshot's restore
   * may need (archived WAL), so they are locked as packs are, except pieces: their whole object
   * replaces them, and the writer must be able to delete them.
   */
  public static boolean locks(ObjectName name) {
    if (name.kind() == ObjectKind.SIDE) return !name.sideName().endsWith(PIECE);
    return locks(name.kind());
  }

  /** The retention a write (or an extension) made now sets. */
  public Instant retainUntil(Instant now) {
    return now.plus(Duration.ofDays(days)).plus(SLACK);
  }
}
