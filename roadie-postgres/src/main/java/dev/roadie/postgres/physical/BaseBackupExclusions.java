package dev.roadie.postgres.physical;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a base backup leaves out of the data directory, as PostgreSQL's own base backup does
 * (basebackup.c): server run-time state that recovery recreates or must not see, temporary files
 * and relations, and every fork of an unlogged relation except its init fork (recovery copies the
 * init fork over the main fork; the rest would be garbage).
 */
final class BaseBackupExclusions {
  /** Directories kept, but empty. pg_wal's segments are the backup's WAL, stored apart. */
  private static final Set<String> EMPTIED =
      Set.of(
          "pg_stat_tmp",
          "pg_replslot",
          "pg_dynshmem",
          "pg_notify",
          "pg_serial",
          "pg_snapshots",
          "pg_subtrans",
          "pg_wal");

  /**
   * Files left out in any directory: the server's backup_label and tablespace_map (a backup's own
   * come from pg_backup_stop), the postmaster's lock and options, half-written copies.
   */
  private static final Set<String> FILES =
      Set.of(
          "postgresql.auto.conf.tmp",
          "current_logfiles.tmp",
          "backup_label",
          "tablespace_map",
          "backup_manifest",
          "postmaster.pid",
          "postmaster.opts");

  /** Temporary relations: t&lt;backend&gt;_&lt;relfilenode&gt;[_fork][.segment]. */
  private static final Pattern TEMP_RELATION =
      Pattern.compile("t[0-9]+_[0-9]+(_[a-z]+)?(\\.[0-9]+)?");

  /**
   * A relation file: &lt;relfilenode&gt;[_fork][.segment]; group 1 is the relfilenode, 2 the fork.
   */
  static final Pattern RELATION_FILE = Pattern.compile("([0-9]+)(?:_([a-z]+))?(?:\\.[0-9]+)?");

  private BaseBackupExclusions() {}

  /**
   * Whether the contents of directory {@code path} (relative to the data directory) are left out.
   */
  static boolean emptied(String path) {
    return EMPTIED.contains(path);
  }

  /**
   * Whether the entry {@code name} is left out. {@code unlogged} holds the relfilenodes of {@code
   * name}'s directory that have an init fork (only database directories have any).
   */
  static boolean excluded(String name, Set<String> unlogged) {
    if (FILES.contains(name) || name.startsWith("pg_internal.init") || name.startsWith("pgsql_tmp"))
      return true;
    if (TEMP_RELATION.matcher(name).matches()) return true;
    if (unlogged.isEmpty()) return false;
    var m = RELATION_FILE.matcher(name);
    return m.matches() && unlogged.contains(m.group(1)) && !"init".equals(m.group(2));
  }

  /** The relfilenode of an init fork ({@code <relfilenode>_init}), or null. */
  static String initForkOf(String name) {
    var m = RELATION_FILE.matcher(name);
    return m.matches() && "init".equals(m.group(2)) ? m.group(1) : null;
  }
}
