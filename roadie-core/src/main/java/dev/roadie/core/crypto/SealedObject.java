package dev.roadie.core.crypto;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.ObjectName;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Format of small encrypted objects (index files, snapshots, leases, deletion plans):
 *
 * <pre>
 * magic "RDOBJ001"   8 bytes
 * nonce              12 random bytes
 * ciphertext || tag  AES-256-GCM of (compression flag || payload), see {@link Compression}
 * </pre>
 *
 * The key is derived for this one object (HKDF over its kind and id), and the additional data is
 * the magic and the object's path, so an object cannot be swapped for another or moved.
 */
public final class SealedObject {
  public static final byte[] MAGIC = "RDOBJ001".getBytes(StandardCharsets.US_ASCII);
  private static final SecureRandom RANDOM = new SecureRandom();

  private SealedObject() {}

  public static byte[] seal(MasterKey key, ObjectName name, byte[] payload) {
    byte[] framed = Compression.pack(payload, 0, payload.length);
    byte[] nonce = new byte[Aead.NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    byte[] out = new byte[MAGIC.length + framed.length + Aead.OVERHEAD];
    System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
    Aead.seal(objectKey(key, name), nonce, aad(name), framed, 0, framed.length, out, MAGIC.length);
    return out;
  }

  public static byte[] open(MasterKey key, ObjectName name, byte[] sealed) {
    String what = name.kind().directory() + " object " + name.id();
    if (sealed.length < MAGIC.length
        || !Arrays.equals(sealed, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new RoadieException(
          ErrorCode.INTEGRITY,
          what + " does not start with the object magic: damaged or not roadie's");
    }
    byte[] framed =
        Aead.open(
            objectKey(key, name),
            aad(name),
            sealed,
            MAGIC.length,
            sealed.length - MAGIC.length,
            what);
    return Compression.unpack(framed, what);
  }

  private static byte[] objectKey(MasterKey key, ObjectName name) {
    return key.objectKey(name.kind().directory(), name.id());
  }

  private static byte[] aad(ObjectName name) {
    byte[] path = name.path().getBytes(StandardCharsets.UTF_8);
    byte[] aad = Arrays.copyOf(MAGIC, MAGIC.length + path.length);
    System.arraycopy(path, 0, aad, MAGIC.length, path.length);
    return aad;
  }
}
