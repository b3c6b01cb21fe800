package dev.roadie.core.crypto;

import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * scrypt (RFC 7914). Our own, rather than a general crypto library's, because key files are opened
 * at the start of every command, often in a JVM that is seconds old (once per WAL segment): the
 * core loop here is one flat method that the JIT compiles within milliseconds, and it needs no
 * signed jar whose verification costs more than the derivation itself.
 */
final class Scrypt {
  private Scrypt() {}

  /** Derives {@code dkLen} bytes. The password must not be empty (HMAC keys cannot be). */
  static byte[] derive(byte[] password, byte[] salt, int n, int r, int p, int dkLen) {
    if (n < 2 || Integer.bitCount(n) != 1)
      throw new IllegalArgumentException("scrypt N must be a power of two > 1");
    if (r < 1 || p < 1 || (long) r * p >= 1 << 30)
      throw new IllegalArgumentException("scrypt r and p out of range");
    if (password.length == 0) throw new IllegalArgumentException("empty password");
    int blockBytes = 128 * r;
    byte[] b = pbkdf2(password, salt, p * blockBytes);
    int words = 32 * r;
    int[] x = new int[words];
    int[] v = new int[words * n];
    int[] y = new int[words];
    int[] t = new int[16];
    for (int i = 0; i < p; i++) {
      int off = i * blockBytes;
      for (int k = 0; k < words; k++) {
        x[k] =
            (b[off + 4 * k] & 0xFF)
                | (b[off + 4 * k + 1] & 0xFF) << 8
                | (b[off + 4 * k + 2] & 0xFF) << 16
                | (b[off + 4 * k + 3] & 0xFF) << 24;
      }
      roMix(x, v, y, t, n, r);
      for (int k = 0; k < words; k++) {
        int w = x[k];
        b[off + 4 * k] = (byte) w;
        b[off + 4 * k + 1] = (byte) (w >>> 8);
        b[off + 4 * k + 2] = (byte) (w >>> 16);
        b[off + 4 * k + 3] = (byte) (w >>> 24);
      }
    }
    return pbkdf2(password, b, dkLen);
  }

  private static void roMix(int[] x, int[] v, int[] y, int[] t, int n, int r) {
    int words = 32 * r;
    for (int i = 0; i < n; i++) {
      System.arraycopy(x, 0, v, i * words, words);
      blockMix(x, y, t, r);
    }
    for (int i = 0; i < n; i++) {
      int j = x[(2 * r - 1) * 16] & (n - 1);
      int base = j * words;
      for (int k = 0; k < words; k++) {
        x[k] ^= v[base + k];
      }
      blockMix(x, y, t, r);
    }
  }

  /** BlockMix with Salsa20/8: b = Y0, Y2, ..., Y1, Y3, ... ; {@code y} is scratch of b's size. */
  private static void blockMix(int[] b, int[] y, int[] t, int r) {
    System.arraycopy(b, (2 * r - 1) * 16, t, 0, 16);
    for (int i = 0; i < 2 * r; i++) {
      int bo = i * 16;
      int x0 = t[0] ^ b[bo], x1 = t[1] ^ b[bo + 1], x2 = t[2] ^ b[bo + 2], x3 = t[3] ^ b[bo + 3];
      int x4 = t[4] ^ b[bo + 4],
          x5 = t[5] ^ b[bo + 5],
          x6 = t[6] ^ b[bo + 6],
          x7 = t[7] ^ b[bo + 7];
      int x8 = t[8] ^ b[bo + 8],
          x9 = t[9] ^ b[bo + 9],
          x10 = t[10] ^ b[bo + 10],
          x11 = t[11] ^ b[bo + 11];
      int x12 = t[12] ^ b[bo + 12],
          x13 = t[13] ^ b[bo + 13],
          x14 = t[14] ^ b[bo + 14],
          x15 = t[15] ^ b[bo + 15];
      int j0 = x0, j1 = x1, j2 = x2, j3 = x3, j4 = x4, j5 = x5, j6 = x6, j7 = x7;
      int j8 = x8, j9 = x9, j10 = x10, j11 = x11, j12 = x12, j13 = x13, j14 = x14, j15 = x15;
      for (int round = 0; round < 8; round += 2) {
        x4 ^= Integer.rotateLeft(x0 + x12, 7);
        x8 ^= Integer.rotateLeft(x4 + x0, 9);
        x12 ^= Integer.rotateLeft(x8 + x4, 13);
        x0 ^= Integer.rotateLeft(x12 + x8, 18);
        x9 ^= Integer.rotateLeft(x5 + x1, 7);
        x13 ^= Integer.rotateLeft(x9 + x5, 9);
        x1 ^= Integer.rotateLeft(x13 + x9, 13);
        x5 ^= Integer.rotateLeft(x1 + x13, 18);
        x14 ^= Integer.rotateLeft(x10 + x6, 7);
        x2 ^= Integer.rotateLeft(x14 + x10, 9);
        x6 ^= Integer.rotateLeft(x2 + x14, 13);
        x10 ^= Integer.rotateLeft(x6 + x2, 18);
        x3 ^= Integer.rotateLeft(x15 + x11, 7);
        x7 ^= Integer.rotateLeft(x3 + x15, 9);
        x11 ^= Integer.rotateLeft(x7 + x3, 13);
        x15 ^= Integer.rotateLeft(x11 + x7, 18);
        x1 ^= Integer.rotateLeft(x0 + x3, 7);
        x2 ^= Integer.rotateLeft(x1 + x0, 9);
        x3 ^= Integer.rotateLeft(x2 + x1, 13);
        x0 ^= Integer.rotateLeft(x3 + x2, 18);
        x6 ^= Integer.rotateLeft(x5 + x4, 7);
        x7 ^= Integer.rotateLeft(x6 + x5, 9);
        x4 ^= Integer.rotateLeft(x7 + x6, 13);
        x5 ^= Integer.rotateLeft(x4 + x7, 18);
        x11 ^= Integer.rotateLeft(x10 + x9, 7);
        x8 ^= Integer.rotateLeft(x11 + x10, 9);
        x9 ^= Integer.rotateLeft(x8 + x11, 13);
        x10 ^= Integer.rotateLeft(x9 + x8, 18);
        x12 ^= Integer.rotateLeft(x15 + x14, 7);
        x13 ^= Integer.rotateLeft(x12 + x15, 9);
        x14 ^= Integer.rotateLeft(x13 + x12, 13);
        x15 ^= Integer.rotateLeft(x14 + x13, 18);
      }
      t[0] = x0 + j0;
      t[1] = x1 + j1;
      t[2] = x2 + j2;
      t[3] = x3 + j3;
      t[4] = x4 + j4;
      t[5] = x5 + j5;
      t[6] = x6 + j6;
      t[7] = x7 + j7;
      t[8] = x8 + j8;
      t[9] = x9 + j9;
      t[10] = x10 + j10;
      t[11] = x11 + j11;
      t[12] = x12 + j12;
      t[13] = x13 + j13;
      t[14] = x14 + j14;
      t[15] = x15 + j15;
      // Even blocks go to the first half, odd blocks to the second.
      System.arraycopy(t, 0, y, ((i & 1) * r + (i >> 1)) * 16, 16);
    }
    System.arraycopy(y, 0, b, 0, 32 * r);
  }

  /** PBKDF2-HMAC-SHA256 with one iteration, as scrypt uses it. */
  private static byte[] pbkdf2(byte[] password, byte[] salt, int length) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(password, "HmacSHA256"));
      byte[] out = new byte[length];
      for (int block = 1, pos = 0; pos < length; block++) {
        mac.update(salt);
        mac.update(
            new byte[] {
              (byte) (block >>> 24), (byte) (block >>> 16), (byte) (block >>> 8), (byte) block
            });
        byte[] u = mac.doFinal();
        int n = Math.min(u.length, length - pos);
        System.arraycopy(u, 0, out, pos, n);
        pos += n;
      }
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available in this JDK", e);
    }
  }
}
