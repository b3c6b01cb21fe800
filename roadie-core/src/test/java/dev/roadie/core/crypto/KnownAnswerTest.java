package dev.roadie.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Frozen outputs of the key schedule and the blob cipher. The expected values were produced once by
 * this code and cross-checked with an independent implementation (Python's hmac, hashlib and
 * cryptography packages: HMAC-SHA256, HKDF-SHA256, AES-256-GCM); HKDF also against RFC 5869.
 */
class KnownAnswerTest {
  static final HexFormat HEX = HexFormat.of();

  static byte[] seq(int from, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) b[i] = (byte) (from + i);
    return b;
  }

  static final MasterKey KEY = new MasterKey(seq(0, 32), seq(32, 32));

  @Test
  void hkdfRfc5869Case1() {
    byte[] ikm = HEX.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
    byte[] salt = HEX.parseHex("000102030405060708090a0b0c");
    byte[] info = HEX.parseHex("f0f1f2f3f4f5f6f7f8f9");
    assertEquals(
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
        HEX.formatHex(Hkdf.derive(ikm, salt, info, 42)));
  }

  @Test
  void blobIdIsKeyedHmacOfPlaintext() {
    assertEquals(
        Frozen.BLOB_ID_HELLO, KEY.blobId("hello roadie".getBytes(StandardCharsets.UTF_8)).hex());
  }

  @Test
  void derivedKeys() {
    assertEquals(Frozen.PACK_KEY, HEX.formatHex(KEY.packKey(dev.roadie.core.Id.of(seq(0x11, 32)))));
    assertEquals(Frozen.GEAR_KEY, HEX.formatHex(KEY.gearKey()));
    assertEquals(Frozen.MAC_KEY, HEX.formatHex(KEY.macKey()));
  }

  @Test
  void aesGcmCiphertext() {
    byte[] sealed =
        Aead.seal(
            seq(0, 32),
            seq(100, 12),
            "aad".getBytes(StandardCharsets.UTF_8),
            "hello roadie".getBytes(StandardCharsets.UTF_8));
    assertEquals(Frozen.GCM_SMALL, HEX.formatHex(sealed));
  }

  @Test
  void nativeAndJdkAesGcmAgree() throws Exception {
    byte[] plain = new byte[200_000];
    new Random(5).nextBytes(plain);
    byte[] key = seq(7, 32);
    byte[] nonce = seq(9, 12);
    byte[] aad = seq(1, 33);
    // Loaded now, so that Aead uses it for this large message (where it loads: Linux x86-64).
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Providers.loadNow() != null, "native provider not available");
    byte[] viaAead = Aead.seal(key, nonce, aad, plain);
    javax.crypto.Cipher jdk = Providers.jdkAesGcm();
    jdk.init(
        javax.crypto.Cipher.ENCRYPT_MODE,
        new javax.crypto.spec.SecretKeySpec(key, "AES"),
        new javax.crypto.spec.GCMParameterSpec(128, nonce));
    jdk.updateAAD(aad);
    byte[] ct = jdk.doFinal(plain);
    byte[] expected = new byte[12 + ct.length];
    System.arraycopy(nonce, 0, expected, 0, 12);
    System.arraycopy(ct, 0, expected, 12, ct.length);
    assertArrayEquals(expected, viaAead);
    assertArrayEquals(plain, Aead.open(key, aad, viaAead, 0, viaAead.length, "test"));
  }

  /** A flag byte sealed before a payload gives exactly the bytes of sealing both as one array. */
  @Test
  void sealingWithAPrefixByteEqualsSealingTheJoinedPlaintext() throws Exception {
    byte[] key = seq(3, 32);
    byte[] aad = seq(5, 40);
    Random random = new Random(6);
    int[] lengths = {0, 1, 15, 16, 17, 100, 2047, 2048, 65_536, 200_001}; // JDK and native sizes
    for (int i = 0; i < lengths.length; i++) {
      int len = lengths[i];
      byte[] nonce = seq(4 + i, 12); // the JDK refuses to seal twice with one key and nonce
      byte[] payload = new byte[len + 10];
      random.nextBytes(payload);
      byte[] joined = new byte[1 + len];
      joined[0] = 1;
      System.arraycopy(payload, 3, joined, 1, len);
      byte[] out = new byte[1 + len + Aead.OVERHEAD + 5];
      int n = Aead.seal(key, nonce, aad, (byte) 1, payload, 3, len, out, 5);
      javax.crypto.Cipher jdk = Providers.jdkAesGcm();
      jdk.init(
          javax.crypto.Cipher.ENCRYPT_MODE,
          new javax.crypto.spec.SecretKeySpec(key, "AES"),
          new javax.crypto.spec.GCMParameterSpec(128, nonce));
      jdk.updateAAD(aad);
      byte[] ct = jdk.doFinal(joined);
      assertEquals(12 + ct.length, n, "length " + len);
      assertArrayEquals(nonce, java.util.Arrays.copyOfRange(out, 5, 17));
      assertArrayEquals(ct, java.util.Arrays.copyOfRange(out, 17, 5 + n), "length " + len);
    }
  }
}
