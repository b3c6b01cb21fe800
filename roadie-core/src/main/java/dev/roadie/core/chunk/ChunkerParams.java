package dev.roadie.core.chunk;

/**
 * Content-defined chunking parameters of one stream: minimum, average (a power of two) and maximum
 * chunk size in bytes. Database table streams use small chunks so a changed row costs little; files
 * and objects use large ones so the index stays small.
 */
public record ChunkerParams(int min, int avg, int max) {
  /**
   * For files and streams (stdin, dumps): about 64 KiB per chunk. Smaller than restic's or borg's
   * 1-2 MiB so that scattered small edits of a large file cost about one chunk each; the price is
   * an index of about 16,000 blobs per GiB of unique data (docs/decisions/0010-chunk-sizes.md).
   */
  public static final ChunkerParams FILE = new ChunkerParams(16 * 1024, 64 * 1024, 256 * 1024);

  /** For large immutable objects (bucket objects, archives): about 1 MiB per chunk. */
  public static final ChunkerParams LARGE =
      new ChunkerParams(256 * 1024, 1024 * 1024, 4 * 1024 * 1024);

  /**
   * For database table data (COPY streams): about 64 KiB per chunk, the size of {@link #FILE}. Each
   * chunk is a fresh zstd frame, and level 1 is slowest at a frame's start, where it has no
   * history: larger chunks compress smaller and faster and halve the per-chunk work. What a changed
   * row costs does not grow with them, because a changed chunk is stored as a delta against the
   * parent's chunk at its place (docs/decisions/0010-chunk-sizes.md).
   */
  public static final ChunkerParams TABLE = new ChunkerParams(16 * 1024, 64 * 1024, 256 * 1024);

  /** For small streams changed in place (schema dumps): about 16 KiB per chunk. */
  public static final ChunkerParams SMALL = new ChunkerParams(4 * 1024, 16 * 1024, 64 * 1024);

  public ChunkerParams {
    if (Integer.bitCount(avg) != 1) {
      throw new IllegalArgumentException("average chunk size must be a power of two, not " + avg);
    }
    if (avg < 256 || avg > 64 * 1024 * 1024) {
      throw new IllegalArgumentException(
          "average chunk size must be between 256 B and 64 MiB, not " + avg);
    }
    if (min < 64 || min > avg || max < avg || max > 128 * 1024 * 1024) {
      throw new IllegalArgumentException(
          "chunk sizes must satisfy 64 <= min <= avg <= max <= 128 MiB; got min="
              + min
              + " avg="
              + avg
              + " max="
              + max);
    }
  }
}
