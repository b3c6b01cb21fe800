package dev.roadie.core.pack;

import dev.roadie.core.Id;
import dev.roadie.core.crypto.Aead;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Byte layout of a pack (format v1; docs/repository-format.md is the reference):
 *
 * <pre>
 * magic "RDPACK01"                      8 bytes
 * blob*                                 nonce(12) || AES-256-GCM(ciphertext) || tag(16)
 * header                                nonce(12) || AES-256-GCM(header plaintext) || tag(16)
 * header length                         uint32 big-endian, bytes of the sealed header
 * </pre>
 *
 * The key of every blob and of the header is HKDF(encryption key, salt = pack id). Blob nonces are
 * a per-pack counter from 0 (12 bytes big-endian); the header's nonce is twelve 0xFF bytes, which
 * no counter reaches, so no (key, nonce) pair repeats. A blob's additional data is its type byte
 * and its 32-byte id, binding it to its id; the header's is "roadie pack header v1" and the pack
 * id.
 */
public final class PackFormat {
  public static final byte[] MAGIC = "RDPACK01".getBytes(StandardCharsets.US_ASCII);
  public static final int HEADER_VERSION = 1;
  public static final int ENTRY_BYTES = 1 + Id.BYTES + 4 + 4 + 4;
  static final byte[] HEADER_NONCE = filled(Aead.NONCE_BYTES, (byte) 0xFF);
  static final byte[] HEADER_AAD_PREFIX =
      "roadie pack header v1".getBytes(StandardCharsets.US_ASCII);

  private PackFormat() {}

  static byte[] blobAad(BlobType type, Id id) {
    byte[] aad = new byte[1 + Id.BYTES];
    aad[0] = (byte) type.code();
    id.writeTo(aad, 1);
    return aad;
  }

  static byte[] headerAad(Id packId) {
    byte[] aad = Arrays.copyOf(HEADER_AAD_PREFIX, HEADER_AAD_PREFIX.length + Id.BYTES);
    packId.writeTo(aad, HEADER_AAD_PREFIX.length);
    return aad;
  }

  static byte[] counterNonce(long counter) {
    byte[] n = new byte[Aead.NONCE_BYTES];
    for (int i = 11; i >= 4; i--) {
      n[i] = (byte) counter;
      counter >>>= 8;
    }
    return n;
  }

  private static byte[] filled(int n, byte b) {
    byte[] a = new byte[n];
    Arrays.fill(a, b);
    return a;
  }

  static void putInt(byte[] b, int off, int v) {
    b[off] = (byte) (v >>> 24);
    b[off + 1] = (byte) (v >>> 16);
    b[off + 2] = (byte) (v >>> 8);
    b[off + 3] = (byte) v;
  }

  static int getInt(byte[] b, int off) {
    return ((b[off] & 0xFF) << 24)
        | ((b[off + 1] & 0xFF) << 16)
        | ((b[off + 2] & 0xFF) << 8)
        | (b[off + 3] & 0xFF);
  }
}
