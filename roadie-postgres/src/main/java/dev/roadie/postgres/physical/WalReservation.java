package dev.roadie.postgres.physical;

import dev.roadie.postgres.PgConn;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Keeps the server from removing WAL the running base backup will fetch at its end ({@code -X
 * fetch} reads the segments from pg_wal after the data files; a checkpoint meanwhile may recycle
 * segments archive_command has already archived, and the backup would then fail). A temporary
 * physical replication slot reserves WAL from the last checkpoint on; it lives as long as the
 * session that created it, so a crashed backup leaves nothing behind.
 */
final class WalReservation implements AutoCloseable {
  private final Connection connection;

  private WalReservation(Connection connection) {
    this.connection = connection;
  }

  /**
   * Reserves WAL, or adds a warning and returns a no-op reservation when the server refuses the
   * slot.
   */
  static WalReservation create(PgConn conn, List<String> warnings) throws IOException {
    Connection c = conn.connect();
    String name =
        "roadie_backup_"
            + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    try (PreparedStatement st =
        c.prepareStatement("SELECT pg_create_physical_replication_slot(?, true, true)")) {
      st.setString(1, name);
      st.execute();
      return new WalReservation(c);
    } catch (SQLException e) {
      warnings.add(
          "could not reserve the backup's WAL with a temporary replication slot ("
              + e.getMessage().trim()
              + "); if a checkpoint recycles a segment before the backup ends, the backup fails: raise "
              + "max_replication_slots or wal_keep_size");
      try {
        c.close();
      } catch (SQLException ignored) {
        // closing a connection that failed
      }
      return new WalReservation(null);
    }
  }

  @Override
  public void close() {
    if (connection == null) return;
    try {
      connection.close(); // drops the temporary slot
    } catch (SQLException ignored) {
      // the server drops the slot with the session either way
    }
  }
}
