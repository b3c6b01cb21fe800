package dev.roadie.core.crypto;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM with a 96-bit nonce and 128-bit tag. A sealed message is {@code nonce || ciphertext
 * || tag}. Callers guarantee that a (key, nonce) pair is never used twice: packs derive a key per
 * pack and count nonces ({@link dev.roadie.core.pack.PackFormat}), sealed objects derive a key per
 * object ({@link SealedObject}).
 */
public final class Aead {
  public static final int NONCE_BYTES = 12;
  public static final int TAG_BYTES = 16;
  public static final int OVERHEAD = NONCE_BYTES + TAG_BYTES;

  private static final ThreadLocal<Cipher> JDK =
      ThreadLocal.withInitial(
          () -> {
            try {
              return Providers.jdkAesGcm();
            } catch (GeneralSecurityException e) {
              throw new IllegalStateException("AES-GCM is not available in this JDK", e);
            }
          });

  /** This thread's native cipher once the provider is ready (null until then). */
  private static final ThreadLocal<Cipher> NATIVE = new ThreadLocal<>();

  private static Cipher cipher(int length) {
    if (length >= Providers.NATIVE_THRESHOLD) {
      Cipher n = NATIVE.get();
      if (n == null) {
        try {
          n = Providers.nativeAesGcm(length);
        } catch (GeneralSecurityException e) {
          n = null;
        }
        if (n != null) NATIVE.set(n);
      }
      if (n != null) return n;
    }
    return JDK.get();
  }

  private Aead() {}

  /**
   * Encrypts {@code plain[off, off+len)} into {@code out} at {@code outOff}; returns bytes written.
   */
  public static int seal(
      byte[] key,
      byte[] nonce,
      byte[] aad,
      byte[] plain,
      int off,
      int len,
      byte[] out,
      int outOff) {
    try {
      Cipher c = cipher(len);
      c.init(
          Cipher.ENCRYPT_MODE,
          new SecretKeySpec(key, "AES"),
          new GCMParameterSpec(TAG_BYTES * 8, nonce));
      c.updateAAD(aad);
      System.arraycopy(nonce, 0, out, outOff, NONCE_BYTES);
      return NONCE_BYTES + c.doFinal(plain, off, len, out, outOff + NONCE_BYTES);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed", e);
    }
  }

  /**
   * As {@link #seal(byte[], byte[], byte[], byte[], int, int, byte[], int)} for the plaintext
   * {@code prefix || plain[off, off+len)}, without first copying it into one array (a blob's
   * compression flag before its bytes).
   */
  public static int seal(
      byte[] key,
      byte[] nonce,
      byte[] aad,
      byte prefix,
      byte[] plain,
      int off,
      int len,
      byte[] out,
      int outOff) {
    try {
      Cipher c = cipher(len + 1);
      c.init(
          Cipher.ENCRYPT_MODE,
          new SecretKeySpec(key, "AES"),
          new GCMParameterSpec(TAG_BYTES * 8, nonce));
      c.updateAAD(aad);
      System.arraycopy(nonce, 0, out, outOff, NONCE_BYTES);
      int p = outOff + NONCE_BYTES;
      p += c.update(new byte[] {prefix}, 0, 1, out, p);
      return p - outOff + c.doFinal(plain, off, len, out, p);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed", e);
    }
  }

  public static byte[] seal(byte[] key, byte[] nonce, byte[] aad, byte[] plain) {
    byte[] out = new byte[plain.length + OVERHEAD];
    seal(key, nonce, aad, plain, 0, plain.length, out, 0);
    return out;
  }

  /**
   * Decrypts and authenticates. Throws {@link AuthenticationFailed} when the data, nonce or
   * additional data were changed or the key is wrong; {@code what} names the object for the
   * message.
   */
  public static byte[] open(byte[] key, byte[] aad, byte[] sealed, int off, int len, String what) {
    if (len < OVERHEAD) {
      throw new AuthenticationFailed(
          what
              + " is truncated ("
              + len
              + " bytes, less than the "
              + OVERHEAD
              + " bytes of nonce and tag)");
    }
    try {
      Cipher c = cipher(len);
      c.init(
          Cipher.DECRYPT_MODE,
          new SecretKeySpec(key, "AES"),
          new GCMParameterSpec(TAG_BYTES * 8, sealed, off, NONCE_BYTES));
      c.updateAAD(aad);
      return c.doFinal(sealed, off + NONCE_BYTES, len - NONCE_BYTES);
    } catch (AEADBadTagException e) {
      throw new AuthenticationFailed(
          what + " failed authentication: it was changed or damaged in storage");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM decryption failed", e);
    }
  }

  /** Stored bytes did not authenticate: corruption, tampering, or a wrong key. */
  public static final class AuthenticationFailed extends RoadieException {
    public AuthenticationFailed(String message) {
      super(ErrorCode.INTEGRITY, message);
    }
  }
}
