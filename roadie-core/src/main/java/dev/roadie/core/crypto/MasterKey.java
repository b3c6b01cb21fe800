package dev.roadie.core.crypto;

import dev.roadie.core.Id;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The repository's secret: an encryption key and a separate key for chunk ids, both 256 bits,
 * generated once by {@code init} and stored only wrapped in key files. Every other key is derived
 * from these with HKDF, so no key is used for two purposes.
 */
public final class MasterKey {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] encryptionKey;
  private final byte[] idKey;
  private final ThreadLocal<Mac> idMac;

  public MasterKey(byte[] encryptionKey, byte[] idKey) {
    if (encryptionKey.length != 32 || idKey.length != 32) {
      throw new IllegalArgumentException("master keys have 32 bytes");
    }
    this.encryptionKey = encryptionKey.clone();
    this.idKey = idKey.clone();
    this.idMac = ThreadLocal.withInitial(() -> hmac(this.idKey));
  }

  public static MasterKey generate() {
    byte[] e = new byte[32];
    byte[] i = new byte[32];
    RANDOM.nextBytes(e);
    RANDOM.nextBytes(i);
    return new MasterKey(e, i);
  }

  byte[] encryptionKey() {
    return encryptionKey.clone();
  }

  byte[] idKey() {
    return idKey.clone();
  }

  /**
   * The id of a blob: HMAC-SHA256 under the id key of its plaintext, so storage cannot confirm
   * guesses.
   */
  public Id blobId(byte[] data, int off, int len) {
    Mac mac = idMac.get();
    mac.update(data, off, len);
    return Id.of(mac.doFinal());
  }

  public Id blobId(byte[] data) {
    return blobId(data, 0, data.length);
  }

  /**
   * The key that seeds the chunker's gear table; it comes from the id key, never used for anything
   * else.
   */
  public byte[] gearKey() {
    return Hkdf.derive(idKey, new byte[0], bytes("roadie gear v1"), 32);
  }

  /** The AES key of one pack: HKDF(encryption key, salt = pack id). */
  public byte[] packKey(Id packId) {
    return Hkdf.derive(encryptionKey, packId.bytes(), bytes("roadie pack v1"), 32);
  }

  /** The AES key of one sealed object (index, snapshot, lease, plan). */
  public byte[] objectKey(String kind, String objectId) {
    return Hkdf.derive(encryptionKey, bytes(objectId), bytes("roadie object v1 " + kind), 32);
  }

  /** The key that authenticates the plaintext config and key files' public fields. */
  public byte[] macKey() {
    return Hkdf.derive(encryptionKey, new byte[0], bytes("roadie mac v1"), 32);
  }

  public static Mac hmac(byte[] key) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available in this JDK", e);
    }
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
