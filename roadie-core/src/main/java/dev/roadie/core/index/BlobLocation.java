package dev.roadie.core.index;

import dev.roadie.core.Id;
import dev.roadie.core.pack.BlobType;
import java.util.Objects;

/**
 * Where a blob lives: its pack, its byte range in that pack, and the length of its plaintext once
 * decrypted and decompressed (so readers can size buffers before fetching it), and for a delta
 * blob the id of its base ({@code base}, null for a blob stored in full).
 *
 * <p>Invariants: {@code offset}, {@code length} and {@code rawLength} are non-negative. This is
 * the value handed out by {@link BlobIndex}; the index itself does not keep these objects.
 */
public record BlobLocation(Id blobId, BlobType type, Id packId, long offset, int length, int rawLength, Id base) {
  /** A blob stored in full. */
  public BlobLocation(Id blobId, BlobType type, Id packId, long offset, int length, int rawLength) {
    this(blobId, type, packId, offset, length, rawLength, null);
  }

  public BlobLocation {
    Objects.requireNonNull(blobId, "blobId");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(packId, "packId");
    if (offset < 0 || length < 0 || rawLength < 0) {
      throw new IllegalArgumentException(
          "negative offset/length/rawLength: " + offset + "/" + length + "/" + rawLength);
    }
  }
}
