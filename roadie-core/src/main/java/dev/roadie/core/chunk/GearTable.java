package dev.roadie.core.chunk;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The 256 random 64-bit values of the gear rolling hash, one per byte value.
 *
 * <p>The table is derived from a secret key of the repository so that chunk boundaries, and thus
 * chunk sizes, do not leak which known content a repository holds (a fixed public table would let
 * anyone holding a file predict its chunk sizes and look for them in the repository).
 *
 * <p>Derivation, for implementers in other languages: for block {@code i} in {@code 0..63}, compute
 * {@code HMAC-SHA256(key, "roadie gear v1" || uint32_be(i))}, where the message is the 14 ASCII
 * bytes of {@code roadie gear v1} followed by {@code i} as four big-endian bytes (18 bytes in all).
 * Each 32-byte MAC is split into four 8-byte words read as big-endian two's-complement integers;
 * gear value {@code 4*i + j} is word {@code j} of block {@code i}. The key is exactly 32 bytes.
 */
public final class GearTable {
  private static final byte[] LABEL = "roadie gear v1".getBytes(StandardCharsets.US_ASCII);
  private static final int KEY_BYTES = 32;

  private final long[] values;

  private GearTable(long[] values) {
    this.values = values;
  }

  /** Derives the table from a 32-byte secret key, as described in the class documentation. */
  public static GearTable derive(byte[] key) {
    Objects.requireNonNull(key, "key");
    if (key.length != KEY_BYTES) {
      throw new IllegalArgumentException(
          "gear key must be " + KEY_BYTES + " bytes, not " + key.length);
    }
    Mac mac;
    try {
      mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
    } catch (InvalidKeyException e) {
      throw new IllegalArgumentException("unusable gear key", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required of every Java platform", e);
    }
    long[] values = new long[256];
    ByteBuffer message = ByteBuffer.allocate(LABEL.length + Integer.BYTES);
    for (int block = 0; block < 64; block++) {
      message.clear();
      message.put(LABEL).putInt(block);
      ByteBuffer words = ByteBuffer.wrap(mac.doFinal(message.array()));
      for (int j = 0; j < 4; j++) {
        values[block * 4 + j] = words.getLong();
      }
    }
    return new GearTable(values);
  }

  /**
   * The 256 gear values, indexed by unsigned byte value. This is the table itself, not a copy, so
   * the chunker's hot loop reads it directly; callers must not modify it.
   */
  public long[] values() {
    return values;
  }
}
