package dev.roadie.postgres.physical;

import dev.roadie.postgres.wal.WalNames;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The text of a {@code backup_label} or of a backup history file ({@code
 * <segment>.<offset>.backup}): lines of {@code KEY: value}, e.g. {@code START WAL LOCATION:
 * 0/7000028 (file 000000010000000000000007)}, {@code START TIME: 2026-11-24 07:31:50 UTC}. The
 * history file adds the STOP lines.
 */
record BackupLabel(Map<String, String> fields) {
  static BackupLabel parse(String text) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      int c = line.indexOf(": ");
      if (c > 0) m.put(line.substring(0, c).trim(), line.substring(c + 2).trim());
    }
    return new BackupLabel(m);
  }

  Long lsn(String key) {
    String v = fields.get(key);
    if (v == null) return null;
    int sp = v.indexOf(' ');
    return WalNames.parseLsn(sp > 0 ? v.substring(0, sp) : v);
  }

  Integer timeline(String key) {
    String v = fields.get(key);
    return v == null ? null : Integer.parseInt(v.trim());
  }

  /**
   * A time as PostgreSQL writes it here ("2026-11-24 07:31:50 UTC", or with another zone
   * abbreviation).
   */
  Instant time(String key) {
    String v = fields.get(key);
    if (v == null) return null;
    int sp = v.lastIndexOf(' ');
    try {
      LocalDateTime t =
          LocalDateTime.parse(
              v.substring(0, sp), DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss"));
      return t.atZone(ZoneId.of(v.substring(sp + 1), ZoneId.SHORT_IDS)).toInstant();
    } catch (RuntimeException e) {
      return null;
    }
  }
}
