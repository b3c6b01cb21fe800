package dev.roadie.core.index;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import dev.roadie.core.index.IndexFile.BlobEntry;
import dev.roadie.core.index.IndexFile.Decoded;
import dev.roadie.core.index.IndexFile.PackEntries;
import dev.roadie.core.pack.BlobType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class IndexFileTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final Id PACK =
      Id.parse("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  private static final Id BLOB =
      Id.parse("f0e0d0c0b0a090807060504030201000ffeeddccbbaa99887766554433221100");
  private static final Id OLD =
      Id.parse("3333333333333333333333333333333333333333333333333333333333333333");

  /**
   * One metadata pack with one blob (offset 300, length 5, raw length 128), superseding one file.
   */
  private static final String TINY_HEX =
      "01" // version
          + "01" // one pack
          + "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" // pack id
          + "01" // METADATA
          + "01" // one blob
          + "f0e0d0c0b0a090807060504030201000ffeeddccbbaa99887766554433221100" // blob id
          + "ac02" // offset 300
          + "05" // length 5
          + "8001" // raw length 128
          + "01" // supersedes one index file
          + "3333333333333333333333333333333333333333333333333333333333333333";

  private static Decoded tiny() {
    return new Decoded(
        List.of(
            new PackEntries(PACK, BlobType.METADATA, List.of(new BlobEntry(BLOB, 300, 5, 128)))),
        List.of(OLD));
  }

  @Test
  void knownAnswer() {
    Decoded tiny = tiny();
    byte[] encoded = IndexFile.encode(tiny.packs(), tiny.supersedes());
    assertEquals(TINY_HEX, HEX.formatHex(encoded));
    assertEquals(tiny, IndexFile.decode(HEX.parseHex(TINY_HEX)));
  }

  @Test
  void emptyFile() {
    byte[] encoded = IndexFile.encode(List.of(), List.of());
    assertEquals("010000", HEX.formatHex(encoded));
    assertEquals(new Decoded(List.of(), List.of()), IndexFile.decode(encoded));
  }

  @Test
  void everyTruncationIsRejected() {
    byte[] full = HEX.parseHex(TINY_HEX);
    for (int n = 0; n < full.length; n++) {
      byte[] cut = Arrays.copyOf(full, n);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> IndexFile.decode(cut), "length " + n);
      assertTrue(e.getMessage().startsWith("index file"), e.getMessage());
    }
  }

  @Test
  void trailingBytesAreRejected() {
    byte[] full = HEX.parseHex(TINY_HEX);
    byte[] longer = Arrays.copyOf(full, full.length + 1);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IndexFile.decode(longer));
    assertTrue(e.getMessage().contains("trailing"), e.getMessage());
  }

  @Test
  void unknownVersionAndTypeAreRejected() {
    byte[] v2 = HEX.parseHex(TINY_HEX);
    v2[0] = 2;
    assertThrows(IllegalArgumentException.class, () -> IndexFile.decode(v2));
    byte[] badType = HEX.parseHex(TINY_HEX);
    badType[2 + 32] = 2;
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IndexFile.decode(badType));
    assertTrue(e.getMessage().contains("blob type"), e.getMessage());
  }

  @Test
  void countsBeyondTheInputAreRejectedBeforeAllocating() {
    // 2^31 - 1 packs claimed by a 6-byte file: must fail on the count, not run out of memory.
    byte[] hugePacks = HEX.parseHex("01ffffffff07");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IndexFile.decode(hugePacks));
    assertTrue(e.getMessage().contains("pack count"), e.getMessage());
    // A count above the int range.
    assertThrows(
        IllegalArgumentException.class, () -> IndexFile.decode(HEX.parseHex("01ffffffff0f")));
    // One pack claiming 1000 blobs with none present.
    String manyBlobs = "0101" + "00".repeat(32) + "00" + "e807" + "00";
    e =
        assertThrows(
            IllegalArgumentException.class, () -> IndexFile.decode(HEX.parseHex(manyBlobs)));
    assertTrue(e.getMessage().contains("blob count"), e.getMessage());
    // Two superseded ids claimed, one present.
    assertThrows(
        IllegalArgumentException.class,
        () -> IndexFile.decode(HEX.parseHex("010002" + "00".repeat(32))));
  }

  @Test
  void malformedVarintsAreRejected() {
    String pack = "0101" + "00".repeat(32) + "0001" + "11".repeat(32);
    // Non-minimal: 5 written as 85 00.
    byte[] nonMinimal = HEX.parseHex(pack + "8500" + "0000" + "00");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IndexFile.decode(nonMinimal));
    assertTrue(e.getMessage().contains("minimal"), e.getMessage());
    // 2^63 does not fit a long offset; 11 bytes is too long.
    assertThrows(
        IllegalArgumentException.class,
        () -> IndexFile.decode(HEX.parseHex(pack + "80808080808080808001" + "0000" + "00")));
    assertThrows(
        IllegalArgumentException.class,
        () -> IndexFile.decode(HEX.parseHex(pack + "8080808080808080808001" + "0000" + "00")));
    // Length 2^31 does not fit an int.
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> IndexFile.decode(HEX.parseHex(pack + "00" + "8080808008" + "00" + "00")));
    assertTrue(e.getMessage().contains("blob length"), e.getMessage());
    // The largest values do decode.
    Decoded max =
        IndexFile.decode(
            HEX.parseHex(pack + "ffffffffffffffff7f" + "ffffffff07" + "ffffffff07" + "00"));
    BlobEntry blob = max.packs().get(0).blobs().get(0);
    assertEquals(Long.MAX_VALUE, blob.offset());
    assertEquals(Integer.MAX_VALUE, blob.length());
    assertEquals(Integer.MAX_VALUE, blob.rawLength());
  }

  @Test
  void addToFillsAnIndexFirstLocationWinning() {
    BlobIndex index = new BlobIndex();
    int packNumber = index.addPack(Id.random(), BlobType.METADATA);
    index.add(BLOB, packNumber, 7, 8, 9);
    Id other = Id.random();
    Decoded decoded =
        new Decoded(
            List.of(
                new PackEntries(
                    PACK,
                    BlobType.METADATA,
                    List.of(new BlobEntry(BLOB, 300, 5, 128), new BlobEntry(other, 305, 6, 7)))),
            List.of());
    assertEquals(1, decoded.addTo(index));
    assertEquals(7, index.get(BLOB).offset());
    assertEquals(new BlobLocation(other, BlobType.METADATA, PACK, 305, 6, 7), index.get(other));
    assertEquals(0, decoded.addTo(index));
    assertEquals(2, index.packCount());
  }

  @Property(tries = 200)
  void roundTrips(@ForAll("files") Decoded file) {
    byte[] encoded = IndexFile.encode(file.packs(), file.supersedes());
    Decoded decoded = IndexFile.decode(encoded);
    assertEquals(file, decoded);
    assertArrayEquals(encoded, IndexFile.encode(decoded.packs(), decoded.supersedes()));
  }

  @Provide
  Arbitrary<Decoded> files() {
    Arbitrary<Id> ids =
        Arbitraries.longs()
            .list()
            .ofSize(4)
            .map(w -> new Id(w.get(0), w.get(1), w.get(2), w.get(3)));
    Arbitrary<Long> offsets =
        Arbitraries.oneOf(
            Arbitraries.longs().between(0, 1 << 20),
            Arbitraries.longs().between(0, Long.MAX_VALUE));
    Arbitrary<Integer> lengths =
        Arbitraries.oneOf(
            Arbitraries.integers().between(0, 300),
            Arbitraries.integers().between(0, Integer.MAX_VALUE));
    Arbitrary<BlobEntry> blobs =
        Combinators.combine(ids, offsets, lengths, lengths).as(BlobEntry::new);
    Arbitrary<PackEntries> packs =
        Combinators.combine(ids, Arbitraries.of(BlobType.class), blobs.list().ofMaxSize(40))
            .as(PackEntries::new);
    return Combinators.combine(packs.list().ofMaxSize(6), ids.list().ofMaxSize(4)).as(Decoded::new);
  }

  @Property(tries = 300)
  void randomBytesNeverCrashOtherwise(@ForAll byte[] junk) {
    byte[] input = new byte[junk.length + 1];
    input[0] = 1;
    System.arraycopy(junk, 0, input, 1, junk.length);
    try {
      Decoded d = IndexFile.decode(input);
      assertArrayEquals(input, IndexFile.encode(d.packs(), d.supersedes()));
    } catch (IllegalArgumentException expected) {
      // Rejected cleanly.
    }
  }

  @Property(tries = 500)
  void mutatedFilesAreRejectedOrCanonical(
      @ForAll("files") Decoded file, @ForAll int where, @ForAll byte value, @ForAll boolean cut) {
    byte[] encoded = IndexFile.encode(file.packs(), file.supersedes());
    int at = Math.floorMod(where, encoded.length);
    byte[] input = cut ? Arrays.copyOf(encoded, at) : encoded.clone();
    if (!cut) {
      input[at] = value;
    }
    try {
      Decoded d = IndexFile.decode(input);
      byte[] again = IndexFile.encode(d.packs(), d.supersedes());
      if (again[0] == input[0]) {
        assertArrayEquals(input, again);
      } else {
        // A version byte raised above what the entries need is valid (docs/repository-format.md
        // §10):
        // the same entries, re-encoded in the lowest version that holds them.
        assertTrue(again[0] < input[0], "re-encoded in a higher version");
        assertEquals(d, IndexFile.decode(again));
      }
    } catch (IllegalArgumentException expected) {
      assertTrue(expected.getMessage().startsWith("index file"), expected.getMessage());
    }
  }

  @Test
  void largeFileRoundTrips() {
    List<BlobEntry> blobs = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      blobs.add(new BlobEntry(Id.random(), 1000L * i, i, 2 * i));
    }
    List<PackEntries> packs = List.of(new PackEntries(PACK, BlobType.DATA, blobs));
    Decoded decoded = IndexFile.decode(IndexFile.encode(packs, List.of()));
    assertEquals(packs, decoded.packs());
    assertEquals(20_000, decoded.blobCount());
  }
}
