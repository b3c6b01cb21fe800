package dev.roadie.bucket;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.util.List;

/**
 * How an object is cut into the parts of a multipart upload: the length of each part, in order.
 * Either uniform (every part as long as the first, the last holding the rest) or each part's own
 * length. A multipart ETag is made of the parts (the MD5 of their MD5s, and their count), so an
 * object written again in its original's parts gets the original's ETag.
 */
final class PartLayout {
  private final long total;

  /** A uniform layout's part length; unused when {@link #sizes} is given. */
  private final int partSize;

  /** Each part's length, or null for a uniform layout. */
  private final int[] sizes;

  private final int largest;

  private PartLayout(long total, int partSize, int[] sizes, int largest) {
    this.total = total;
    this.partSize = partSize;
    this.sizes = sizes;
    this.largest = largest;
  }

  /**
   * Parts of {@code partSize} bytes for an object of {@code total} bytes, the last holding the rest
   * (one empty part for an empty object).
   */
  static PartLayout uniform(long total, int partSize) {
    if (total < 0 || partSize <= 0)
      throw new IllegalArgumentException("a layout of " + total + " bytes in parts of " + partSize);
    return new PartLayout(total, partSize, null, (int) Math.min(partSize, total));
  }

  /**
   * Parts of exactly {@code sizes}, when they make an upload of {@code total} bytes that S3 accepts
   * and roadie may buffer: at most {@link Bucket#MAX_PARTS} parts, each at most {@link
   * Bucket#MAX_BUFFERED_PART} bytes, all but the last at least {@link Bucket#MIN_PART_SIZE}, the
   * last not empty unless it is the only one, together {@code total}; else null.
   */
  static PartLayout exactly(List<Long> sizes, long total) {
    if (sizes == null || sizes.isEmpty() || sizes.size() > Bucket.MAX_PARTS) return null;
    int[] out = new int[sizes.size()];
    long sum = 0;
    int largest = 0;
    for (int i = 0; i < out.length; i++) {
      Long s = sizes.get(i);
      boolean last = i == out.length - 1;
      if (s == null
          || s > Bucket.MAX_BUFFERED_PART
          || s < (last ? (out.length == 1 ? 0 : 1) : Bucket.MIN_PART_SIZE)) {
        return null;
      }
      out[i] = (int) (long) s;
      sum += s;
      largest = Math.max(largest, out[i]);
    }
    return sum == total ? new PartLayout(total, 0, out, largest) : null;
  }

  /**
   * The layout to write an object of {@code total} bytes in, given what its snapshot recorded of
   * the original's parts: exactly {@code partSizes} when roadie can write them ({@link #exactly}),
   * else parts of {@code partSize} (the first part's length) when that makes an upload S3 accepts
   * and roadie may buffer, else parts of {@link Bucket#DEFAULT_PART_SIZE}, doubled until at most
   * {@link Bucket#MAX_PARTS} do.
   *
   * @throws RoadieException when the object needs parts larger than roadie buffers
   */
  static PartLayout of(long total, Long partSize, List<Long> partSizes) {
    PartLayout exact = exactly(partSizes, total);
    if (exact != null) return exact;
    if (partSize != null
        && partSize >= Bucket.MIN_PART_SIZE
        && partSize <= Bucket.MAX_BUFFERED_PART
        && (total + partSize - 1) / partSize <= Bucket.MAX_PARTS) {
      return uniform(total, (int) (long) partSize);
    }
    long p = Bucket.DEFAULT_PART_SIZE;
    while ((total + p - 1) / p > Bucket.MAX_PARTS) p *= 2;
    if (p > Bucket.MAX_BUFFERED_PART) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "an object of "
              + total
              + " bytes needs parts larger than "
              + Bucket.MAX_BUFFERED_PART
              + " bytes; roadie does not write objects this large");
    }
    return uniform(total, (int) p);
  }

  /**
   * Whether parts of {@code sizes} are a uniform layout: every part but the last as long as the
   * first, the last no longer. Such a layout is told by its first part's length alone.
   */
  static boolean isUniform(List<Long> sizes) {
    long first = sizes.get(0);
    for (int i = 1; i < sizes.size(); i++) {
      long s = sizes.get(i);
      if (i < sizes.size() - 1 ? s != first : s > first) return false;
    }
    return true;
  }

  /** The object's length: all parts together. */
  long total() {
    return total;
  }

  /** How many parts. */
  int count() {
    if (sizes != null) return sizes.length;
    return total == 0 ? 1 : (int) ((total + partSize - 1) / partSize);
  }

  /** The length of part {@code index} (from 0). */
  int size(int index) {
    if (sizes != null) return sizes[index];
    return (int) Math.min(partSize, total - (long) index * partSize);
  }

  /** The longest part's length: the buffer an upload of these parts needs. */
  int largest() {
    return largest;
  }
}
