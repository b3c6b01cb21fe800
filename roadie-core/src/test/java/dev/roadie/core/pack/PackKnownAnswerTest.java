package dev.roadie.core.pack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.roadie.core.Id;
import dev.roadie.core.crypto.Compression;
import dev.roadie.core.crypto.MasterKey;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A pack with a fixed id and fixed blobs is byte-for-byte fixed (blob nonces are a counter, the
 * header nonce is constant). Frozen: the SHA-256 of the pack, produced once by this code; the
 * layout itself is checked field by field below, as docs/repository-format.md describes it. The
 * second blob is zstd-compressed: a zstd upgrade that changes its output changes this hash (and
 * only this: stored blobs stay readable, since frames are decoded, not compared).
 */
class PackKnownAnswerTest {
  static byte[] seq(int from, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) b[i] = (byte) (from + i);
    return b;
  }

  @Test
  void fixedPack() throws Exception {
    MasterKey key = new MasterKey(seq(0, 32), seq(32, 32));
    Id packId = Id.of(seq(0x11, 32));
    PackWriter w = new PackWriter(key, packId, BlobType.DATA, 1 << 20, new byte[4096]);
    byte[] hello = "hello roadie".getBytes(StandardCharsets.UTF_8);
    byte[] text = "roadie ".repeat(100).getBytes(StandardCharsets.UTF_8);
    w.add(key.blobId(hello), Compression.pack(hello, 0, hello.length), hello.length);
    w.add(key.blobId(text), Compression.pack(text, 0, text.length), text.length);
    ByteBuffer buf = w.finish();
    byte[] pack = Arrays.copyOfRange(buf.array(), 0, buf.limit());

    assertArrayEquals("RDPACK01".getBytes(StandardCharsets.US_ASCII), Arrays.copyOf(pack, 8));
    // first blob: nonce = counter 0, then 1 flag byte + 12 bytes of plaintext, then the 16-byte tag
    assertArrayEquals(new byte[12], Arrays.copyOfRange(pack, 8, 20));
    List<PackEntry> entries = PackReader.headerOf(pack, key, packId);
    assertEquals(2, entries.size());
    assertEquals(
        new PackEntry(BlobType.DATA, key.blobId(hello), 8, 12 + 13 + 16, 12), entries.get(0));
    assertEquals(text.length, entries.get(1).rawLength());
    byte[] second =
        PackReader.openBlob(
            key, key.packKey(packId), packId, entries.get(1), pack, (int) entries.get(1).offset());
    assertArrayEquals(text, second);
    int headerLen = PackFormat.getInt(pack, pack.length - 4);
    assertEquals(12 + 5 + 2 * 45 + 16, headerLen);
    assertEquals(
        "16d0ad5bb96d674b7290a76252f0a7980812f5028a4f7ab8eb2e30c18a160b4a",
        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(pack)));
  }
}
