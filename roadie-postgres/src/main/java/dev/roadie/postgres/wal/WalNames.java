package dev.roadie.postgres.wal;

import dev.roadie.core.backend.ObjectName;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * PostgreSQL's WAL file names and the arithmetic between segments and LSNs. A segment is named
 * {@code TTTTTTTTXXXXXXXXYYYYYYYY}: timeline, then the segment number split into a high part
 * (segments per 4 GiB) and a low part; its name therefore depends on the segment size.
 */
public final class WalNames {
  public static final Pattern SEGMENT = Pattern.compile("[0-9A-F]{24}");
  public static final Pattern HISTORY = Pattern.compile("[0-9A-F]{8}\\.history");

  /** The last segment of a timeline, incomplete, as a promotion renames and archives it. */
  public static final Pattern PARTIAL = Pattern.compile("[0-9A-F]{24}\\.partial");

  public static final Pattern BACKUP = Pattern.compile("[0-9A-F]{24}\\.[0-9A-F]{8}\\.backup");
  public static final Pattern FRAGMENT =
      Pattern.compile("([0-9A-F]{24})\\.([0-9A-F]{8})-([0-9A-F]{8})\\.partial");
  public static final long DEFAULT_SEGMENT_SIZE = 16L << 20;

  private WalNames() {}

  /**
   * Whether a side object is one of a WAL archive's: in a cluster's group (the system identifier as
   * 16 lower-case hex digits), named as PostgreSQL names an archived file (segment, timeline
   * history, backup history, the {@code .partial} last segment of a timeline a promotion left) or
   * as roadie names a fragment of a segment. Anything else in the area is not the archive's.
   */
  public static boolean isArchiveObject(ObjectName name) {
    return CLUSTER.matcher(name.group()).matches()
        && (isArchivable(name.sideName()) || FRAGMENT.matcher(name.sideName()).matches());
  }

  private static final Pattern CLUSTER = Pattern.compile("[0-9a-f]{16}");

  public static boolean isSegment(String name) {
    return SEGMENT.matcher(name).matches();
  }

  public static boolean isHistory(String name) {
    return HISTORY.matcher(name).matches();
  }

  public static boolean isBackupLabel(String name) {
    return BACKUP.matcher(name).matches();
  }

  /** A name that archive_command may be given and the archive stores whole. */
  public static boolean isArchivable(String name) {
    return isSegment(name)
        || isHistory(name)
        || isBackupLabel(name)
        || PARTIAL.matcher(name).matches();
  }

  public static int timeline(String name) {
    return Integer.parseUnsignedInt(name.substring(0, 8), 16);
  }

  /** The segment number of a segment name (or of the segment a backup label or fragment names). */
  public static long segmentNumber(String name, long segmentSize) {
    long hi = Long.parseLong(name.substring(8, 16), 16);
    long lo = Long.parseLong(name.substring(16, 24), 16);
    return hi * segmentsPerId(segmentSize) + lo;
  }

  public static String segmentName(int timeline, long segmentNumber, long segmentSize) {
    long per = segmentsPerId(segmentSize);
    return String.format("%08X%08X%08X", timeline, segmentNumber / per, segmentNumber % per);
  }

  /** The segment that holds the byte at {@code lsn}. */
  public static String segmentOf(int timeline, long lsn, long segmentSize) {
    return segmentName(timeline, lsn / segmentSize, segmentSize);
  }

  public static String next(String segment, long segmentSize) {
    return segmentName(timeline(segment), segmentNumber(segment, segmentSize) + 1, segmentSize);
  }

  public static String historyName(int timeline) {
    return String.format("%08X.history", timeline);
  }

  public static String fragmentName(String segment, long start, long end) {
    return String.format("%s.%08X-%08X.partial", segment, start, end);
  }

  private static long segmentsPerId(long segmentSize) {
    if (segmentSize < (1 << 20) || segmentSize > (1L << 30) || Long.bitCount(segmentSize) != 1) {
      throw new IllegalArgumentException(
          "WAL segment size must be a power of two from 1 MiB to 1 GiB, not " + segmentSize);
    }
    return 0x1_0000_0000L / segmentSize;
  }

  /** Parses an LSN written as PostgreSQL does, {@code 16/B374D848}. */
  public static long parseLsn(String lsn) {
    int slash = lsn.indexOf('/');
    if (slash < 1 || slash == lsn.length() - 1) {
      throw new IllegalArgumentException("'" + lsn + "' is not an LSN such as 0/16B3748");
    }
    try {
      return (Long.parseUnsignedLong(lsn.substring(0, slash), 16) << 32)
          | Long.parseUnsignedLong(lsn.substring(slash + 1), 16);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + lsn + "' is not an LSN such as 0/16B3748");
    }
  }

  public static String formatLsn(long lsn) {
    return String.format("%X/%X", lsn >>> 32, lsn & 0xFFFFFFFFL);
  }

  /** The cluster id used in object names: the system identifier as 16 lower-case hex digits. */
  public static String clusterId(long systemId) {
    return HexFormat.of().toHexDigits(systemId);
  }

  /** The system identifier as PostgreSQL prints it (unsigned decimal). */
  public static String systemIdText(long systemId) {
    return Long.toUnsignedString(systemId);
  }
}
