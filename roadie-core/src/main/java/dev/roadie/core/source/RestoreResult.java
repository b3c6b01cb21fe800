package dev.roadie.core.source;

import java.util.List;

/**
 * A finished restore, for the one summary line a caller prints: {@code restored snapshot ID of
 * TARGET to DESTINATION: COUNTS, BYTES in TIME (RATE)}, then the notes, one per line, and the
 * warnings.
 *
 * @param destination where it went, as a user reads it (without credentials)
 * @param counts what was restored, in the source's units ({@code 7 files}; {@code 11 tables},
 *     {@code 2,000 rows}; {@code 1,000 keys})
 * @param bytes bytes of snapshot data written
 * @param notes what the user should know or do next (how to start the server, what was skipped)
 * @param warnings what did not go as it should but did not fail the restore (printed as warnings)
 * @param rate the count whose rate the line gives ({@code 12,000 keys/s}) where that says more than
 *     bytes per second (a restore bound by commands, not bytes); null for bytes per second
 */
public record RestoreResult(
    String destination,
    List<Count> counts,
    long bytes,
    List<String> notes,
    List<String> warnings,
    Count rate) {
  public RestoreResult {
    counts = List.copyOf(counts);
    notes = notes == null ? List.of() : List.copyOf(notes);
    warnings = warnings == null ? List.of() : List.copyOf(warnings);
  }

  /** A result without warnings, its rate in bytes per second. */
  public RestoreResult(String destination, List<Count> counts, long bytes, List<String> notes) {
    this(destination, counts, bytes, notes, List.of(), null);
  }

  /** A number and its unit, e.g. {@code 1 file}, {@code 7 files}. */
  public record Count(long value, String one, String many) {
    public static Count of(long value, String one, String many) {
      return new Count(value, one, many);
    }

    @Override
    public String toString() {
      return value + " " + (value == 1 ? one : many);
    }
  }
}
