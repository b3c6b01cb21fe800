package dev.roadie.core.source;

import java.util.List;

/**
 * A finished restore, for the one summary line a caller prints: {@code restored snapshot ID of
 * TARGET to DESTINATION: COUNTS, BYTES in TIME (RATE)}, then the notes, one per line.
 *
 * @param destination where it went, as a user reads it (without credentials)
 * @param counts what was restored, in the source's units ({@code 7 files}; {@code 11 tables},
 *     {@code 2,000 rows}; {@code 1,000 keys})
 * @param bytes bytes of snapshot data written
 * @param notes what the user should know or do next (how to start the server, what was skipped)
 */
public record RestoreResult(String destination, List<Count> counts, long bytes, List<String> notes) {
  public RestoreResult {
    counts = List.copyOf(counts);
    notes = notes == null ? List.of() : List.copyOf(notes);
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
