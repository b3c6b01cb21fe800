package dev.roadie.core.check;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;

/**
 * The n-th of m slices of a repository's packs ({@code check --read-data-subset n/m}, restic's
 * form): a pack belongs to slice {@code 1 + (its id's first four bytes, unsigned) mod m}. The slice
 * a pack is in never changes, so m runs with n = 1 … m read every pack once, whatever was added or
 * pruned between them (a pack added meanwhile is read when its slice comes round again).
 */
public record PackSlice(int n, int m) {
  public PackSlice {
    if (m < 1 || n < 1 || n > m) {
      throw new RoadieException(
          ErrorCode.USAGE, "a slice is n/m with 1 <= n <= m, not " + n + "/" + m);
    }
  }

  /** Parses {@code n/m}; null when {@code text} is not of that form. */
  public static PackSlice parse(String text) {
    int slash = text.indexOf('/');
    if (slash <= 0) return null;
    int n;
    int m;
    try {
      n = Integer.parseInt(text.substring(0, slash).trim());
      m = Integer.parseInt(text.substring(slash + 1).trim());
    } catch (NumberFormatException e) {
      throw new RoadieException(ErrorCode.USAGE, "'" + text + "' is not a slice n/m (e.g. 3/7)");
    }
    return new PackSlice(n, m);
  }

  public boolean contains(Id pack) {
    byte[] b = pack.bytes();
    long first =
        ((b[0] & 0xFFL) << 24) | ((b[1] & 0xFFL) << 16) | ((b[2] & 0xFFL) << 8) | (b[3] & 0xFFL);
    return first % m == n - 1;
  }

  /** The slice after this one, wrapping from m/m to 1/m. */
  public PackSlice next() {
    return new PackSlice(n % m + 1, m);
  }

  @Override
  public String toString() {
    return n + "/" + m;
  }
}
