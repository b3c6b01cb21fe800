package dev.roadie.core.chunk;

/**
 * Content-defined chunking parameters of one stream: minimum, average (a power of two) and maximum
 * chunk size in bytes. Database table streams use small chunks so a changed row costs little; files
 * and objects use large ones so the index stays small.
 */
public record ChunkerParams(int min, int avg, int max) {
  /**
   * For files and streams (stdin, dumps): about 64 KiB per chunk. Smaller than restic's or borg's
   * 1-2 MiB so that scattered small edits of a large file cost about one chunk each (measured in
   * bench/engine.sh: 100 edits of a 1 GiB file add under 3% of its stored size); the price is an
   * index of about 16,000 blobs, under 1 MiB of memory, per GiB of unique data.
   */
  public static final ChunkerParams FILE = new ChunkerParams(16 * 1024, 64 * 1024, 256 * 1024);
  /** For large immutable objects (bucket objects, archives): about 1 MiB per chunk. */
  public static final ChunkerParams LARGE = new ChunkerParams(256 * 1024, 1024 * 1024, 4 * 1024 * 1024);
  /**
   * For database table data (COPY streams): about 32 KiB per chunk. Measured on the festival
   * tickets of bench/postgres-logical.sh (COPY text, zstd level 1, per-blob overhead counted): a
   * busy day adds the same share of bytes with 8, 16, 32 or 64 KiB chunks (5.9% of the table; the
   * rows changed are spread so densely that every chunk of the changed region changes anyway),
   * while the first backup stores 3.7% less with 32 KiB than with 16 KiB (zstd sees more context,
   * and nonce, tag and index entry are paid half as often) and does half the per-chunk work.
   */
  public static final ChunkerParams TABLE = new ChunkerParams(16 * 1024, 64 * 1024, 256 * 1024);
  /** For other streams changed in place (Redis RDB, schema dumps): about 16 KiB per chunk. */
  public static final ChunkerParams SMALL = new ChunkerParams(4 * 1024, 16 * 1024, 64 * 1024);

  public ChunkerParams {
    if (Integer.bitCount(avg) != 1) {
      throw new IllegalArgumentException("average chunk size must be a power of two, not " + avg);
    }
    if (avg < 256 || avg > 64 * 1024 * 1024) {
      throw new IllegalArgumentException("average chunk size must be between 256 B and 64 MiB, not " + avg);
    }
    if (min < 64 || min > avg || max < avg || max > 128 * 1024 * 1024) {
      throw new IllegalArgumentException(
          "chunk sizes must satisfy 64 <= min <= avg <= max <= 128 MiB; got min=" + min + " avg=" + avg + " max=" + max);
    }
  }
}
