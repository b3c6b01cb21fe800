package dev.roadie.core.pack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import dev.roadie.core.crypto.Compression;
import dev.roadie.core.crypto.MasterKey;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** When a pack is full: at its target size, or at {@link PackWriter#MAX_ENTRIES} tiny blobs. */
class PackWriterLimitsTest {
  private final MasterKey key =
      new MasterKey(PackKnownAnswerTest.seq(0, 32), PackKnownAnswerTest.seq(32, 32));

  @Test
  void tinyBlobsFillAPackByCount() {
    Id packId = Id.of(PackKnownAnswerTest.seq(0x22, 32));
    PackWriter w = new PackWriter(key, packId, BlobType.DATA, 16 << 20, new byte[8 << 20]);
    for (int i = 0; i < PackWriter.MAX_ENTRIES; i++) {
      assertFalse(w.isFull(), "full after " + i + " tiny blobs");
      byte[] b = Integer.toString(i).getBytes(StandardCharsets.US_ASCII);
      w.add(key.blobId(b), Compression.pack(b, 0, b.length), b.length);
    }
    assertTrue(w.isFull());
    ByteBuffer buf = w.finish();
    byte[] pack = Arrays.copyOfRange(buf.array(), 0, buf.limit());
    List<PackEntry> entries = PackReader.headerOf(pack, key, packId);
    assertEquals(PackWriter.MAX_ENTRIES, entries.size());
    byte[] last =
        PackReader.openBlob(
            key,
            key.packKey(packId),
            packId,
            entries.getLast(),
            pack,
            (int) entries.getLast().offset());
    assertEquals(
        Integer.toString(PackWriter.MAX_ENTRIES - 1), new String(last, StandardCharsets.US_ASCII));
  }

  @Test
  void largeBlobsFillAPackBySize() {
    Id packId = Id.of(PackKnownAnswerTest.seq(0x33, 32));
    PackWriter w = new PackWriter(key, packId, BlobType.DATA, 1 << 20, new byte[2 << 20]);
    java.util.Random random = new java.util.Random(7);
    for (int i = 1; i <= 4; i++) {
      byte[] b = new byte[300 << 10];
      random.nextBytes(b);
      w.add(key.blobId(b), Compression.pack(b, 0, b.length), b.length);
      assertEquals(i == 4, w.isFull(), i + " random blobs of 300 KiB in a pack of 1 MiB");
    }
  }
}
