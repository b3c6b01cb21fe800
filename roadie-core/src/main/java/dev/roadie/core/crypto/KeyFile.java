package dev.roadie.core.crypto;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.json.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;

/**
 * One password's wrapping of the master key, stored as JSON in {@code keys/<id>}. The password goes
 * through scrypt (parameters stored in the file) to a wrapping key; the master key is sealed with
 * AES-256-GCM under it. The public fields are also authenticated by an HMAC under the master key's
 * MAC key, so that {@code check} can detect a changed key file of any password.
 */
public record KeyFile(
    int version,
    String kdf,
    int n,
    int r,
    int p,
    String salt,
    String created,
    String host,
    String user,
    String data,
    String mac) {

  public static final int VERSION = 1;

  /**
   * scrypt cost: 2^15 x 8 x 128 B = 32 MiB of memory per attempt
   * (docs/decisions/0008-own-scrypt.md).
   */
  public static final int DEFAULT_N = 1 << 15;

  public static final int DEFAULT_R = 8;
  public static final int DEFAULT_P = 1;
  private static final byte[] AAD = "roadie key v1".getBytes(StandardCharsets.UTF_8);
  private static final SecureRandom RANDOM = new SecureRandom();

  private record Payload(String repository, String encrypt, String id) {}

  /** Wraps {@code key} of repository {@code repositoryId} under {@code password}. */
  public static KeyFile create(
      MasterKey key, Id repositoryId, char[] password, String host, String user) {
    byte[] salt = new byte[32];
    RANDOM.nextBytes(salt);
    byte[] wrapping = derive(password, salt, DEFAULT_N, DEFAULT_R, DEFAULT_P);
    byte[] nonce = new byte[Aead.NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    Base64.Encoder b64 = Base64.getEncoder();
    byte[] payload =
        Json.write(
            new Payload(
                repositoryId.hex(),
                b64.encodeToString(key.encryptionKey()),
                b64.encodeToString(key.idKey())));
    byte[] sealed = Aead.seal(wrapping, nonce, AAD, payload);
    Arrays.fill(payload, (byte) 0);
    KeyFile unsigned =
        new KeyFile(
            VERSION,
            "scrypt",
            DEFAULT_N,
            DEFAULT_R,
            DEFAULT_P,
            b64.encodeToString(salt),
            Instant.now().toString(),
            host,
            user,
            b64.encodeToString(sealed),
            null);
    return unsigned.withMac(key);
  }

  /**
   * The key that wraps the master key, derived from the password with this file's scrypt
   * parameters: the slow part of opening, which needs nothing of the repository's ({@link
   * #unwrap}).
   */
  public byte[] wrappingKey(char[] password) {
    if (version != VERSION || !"scrypt".equals(kdf)) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "key file of version "
              + version
              + " with kdf "
              + kdf
              + " is not supported by this roadie; upgrade roadie");
    }
    if (n < 2 || Integer.bitCount(n) != 1 || n > (1 << 22) || r < 1 || r > 32 || p < 1 || p > 16) {
      throw new RoadieException(
          ErrorCode.INTEGRITY,
          "key file has implausible scrypt parameters N="
              + n
              + " r="
              + r
              + " p="
              + p
              + ": it was changed or damaged");
    }
    return derive(password, base64("salt", salt), n, r, p);
  }

  /**
   * Unwraps the master key with the {@link #wrappingKey} of a password. Throws a {@code
   * WRONG_PASSWORD} error when the password does not open this file (which is also what a damaged
   * file looks like to someone without the master key).
   */
  public MasterKey unwrap(byte[] wrapping, Id repositoryId) {
    byte[] sealed = base64("data", data);
    byte[] payload;
    try {
      payload = Aead.open(wrapping, AAD, sealed, 0, sealed.length, "key file");
    } catch (Aead.AuthenticationFailed e) {
      throw new RoadieException(ErrorCode.WRONG_PASSWORD, "wrong password");
    }
    try {
      Payload pl = Json.read(payload, Payload.class, "key file payload");
      if (!repositoryId.hex().equals(pl.repository())) {
        throw new RoadieException(
            ErrorCode.INTEGRITY,
            "key file belongs to repository "
                + pl.repository()
                + ", not to this one ("
                + repositoryId.hex()
                + ")");
      }
      MasterKey key = new MasterKey(base64("encrypt", pl.encrypt()), base64("id", pl.id()));
      if (!verifyMac(key)) {
        throw new RoadieException(
            ErrorCode.INTEGRITY, "key file's public fields were changed (MAC mismatch)");
      }
      return key;
    } catch (IOException e) {
      throw new RoadieException(ErrorCode.INTEGRITY, e.getMessage(), e);
    } finally {
      Arrays.fill(payload, (byte) 0);
    }
  }

  /** Whether this file's fields are as written by a holder of {@code key}. */
  public boolean verifyMac(MasterKey key) {
    if (mac == null) {
      return false;
    }
    byte[] expected = computeMac(key);
    return MessageDigest.isEqual(expected, base64("mac", mac));
  }

  private KeyFile withMac(MasterKey key) {
    KeyFile k = new KeyFile(version, kdf, n, r, p, salt, created, host, user, data, null);
    return new KeyFile(
        version,
        kdf,
        n,
        r,
        p,
        salt,
        created,
        host,
        user,
        data,
        Base64.getEncoder().encodeToString(k.computeMac(key)));
  }

  private byte[] computeMac(MasterKey key) {
    String input =
        String.join(
            "\n",
            "roadie key mac v1",
            Integer.toString(version),
            kdf,
            Integer.toString(n),
            Integer.toString(r),
            Integer.toString(p),
            salt,
            created,
            String.valueOf(host),
            String.valueOf(user),
            data);
    return MasterKey.hmac(key.macKey()).doFinal(input.getBytes(StandardCharsets.UTF_8));
  }

  public byte[] toJson() {
    return Json.write(this);
  }

  /**
   * A Base64 field: missing or not Base64 means the file was changed or damaged (never an internal
   * error).
   */
  private static byte[] base64(String field, String value) {
    if (value == null) {
      throw new RoadieException(
          ErrorCode.INTEGRITY, "key file has no " + field + ": it was changed or damaged");
    }
    try {
      return Base64.getDecoder().decode(value);
    } catch (IllegalArgumentException e) {
      throw new RoadieException(
          ErrorCode.INTEGRITY, "key file's " + field + " is not Base64: it was changed or damaged");
    }
  }

  public static KeyFile parse(byte[] json, String what) throws IOException {
    return Json.read(json, KeyFile.class, what);
  }

  private static byte[] derive(char[] password, byte[] salt, int n, int r, int p) {
    ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(password));
    byte[] pw = new byte[encoded.remaining()];
    encoded.get(pw);
    try {
      return Scrypt.derive(pw, salt, n, r, p, 32);
    } finally {
      Arrays.fill(pw, (byte) 0);
      if (encoded.hasArray()) {
        Arrays.fill(encoded.array(), (byte) 0);
      }
    }
  }
}
