package dev.roadie.core.chunk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FastCdcTest {
  private static final GearTable GEAR = GearTable.derive(GearTableTest.key(0));
  private static final ChunkerParams MEDIUM = new ChunkerParams(2048, 8192, 65536);

  /** End offsets of all chunks of {@code data}, chunked in memory. */
  static List<Long> cutOffsets(FastCdc cdc, byte[] data) {
    List<Long> ends = new ArrayList<>();
    for (int off = 0; off < data.length; ) {
      off += cdc.cut(data, off, data.length - off);
      ends.add((long) off);
    }
    return ends;
  }

  static List<Long> streamedOffsets(FastCdc cdc, byte[] data) throws IOException {
    List<Long> ends = new ArrayList<>();
    Chunker chunker = new Chunker(new ByteArrayInputStream(data), cdc);
    for (Chunker.Chunk c; (c = chunker.next()) != null; ) {
      ends.add(c.offset() + c.length());
    }
    return ends;
  }

  private static String sha256OfOffsets(List<Long> offsets) throws NoSuchAlgorithmException {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    ByteBuffer b = ByteBuffer.allocate(8);
    for (long o : offsets) {
      md.update(b.clear().putLong(o).array());
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /*
   * Known-answer vectors. Input: XorShift64.bytes(42, 8 MiB); gear key: bytes 0..31. Offsets are
   * the end offset of every chunk (the last one is the input length). They were computed once with
   * this implementation and reproduced by an independent Python script written from the FastCdc and
   * GearTable Javadoc; they look plausible (mean 9.3 KiB for avg 8 KiB, 1.2 MiB for avg 1 MiB; every
   * inner chunk within min..max). A change here changes every repository's deduplication.
   */

  @Test
  void knownAnswerMediumParams() throws Exception {
    byte[] data = XorShift64.bytes(42, 8 << 20);
    FastCdc cdc = new FastCdc(MEDIUM, GEAR);
    List<Long> offsets = cutOffsets(cdc, data);
    assertEquals(905, offsets.size());
    assertEquals(
        List.of(
            11540L, 20948L, 24829L, 35958L, 45318L, 56632L, 64950L, 77677L, 87450L, 99174L, 107372L,
            116365L, 130115L, 138336L, 146385L, 161011L),
        offsets.subList(0, 16));
    assertEquals(List.of(8368108L, 8376526L, 8386803L, 8388608L), offsets.subList(901, 905));
    // SHA-256 of all 905 offsets, each as 8 big-endian bytes.
    assertEquals(
        "d5ed2f30b7500a0283bb066a74ce0ef95b155a5f1514a26a017c94cbb299cc41",
        sha256OfOffsets(offsets));
    assertEquals(offsets, streamedOffsets(cdc, data));
  }

  @Test
  void knownAnswerLargeParams() throws Exception {
    byte[] data = XorShift64.bytes(42, 8 << 20);
    FastCdc cdc = new FastCdc(ChunkerParams.LARGE, GEAR);
    List<Long> offsets = cutOffsets(cdc, data);
    assertEquals(
        List.of(1266521L, 2661657L, 3784366L, 5616189L, 6767303L, 7863362L, 8388608L), offsets);
    assertEquals(offsets, streamedOffsets(cdc, data));
  }

  @Test
  void differentKeysGiveDifferentCuts() {
    byte[] data = XorShift64.bytes(7, 1 << 20);
    List<Long> a = cutOffsets(new FastCdc(MEDIUM, GEAR), data);
    List<Long> b = cutOffsets(new FastCdc(MEDIUM, GearTable.derive(GearTableTest.key(1))), data);
    assertNotEquals(a, b);
    // Not just different, but essentially unrelated: few inner boundaries coincide.
    Set<Long> common = new HashSet<>(a);
    common.retainAll(b);
    assertTrue(
        common.size() < a.size() / 4, "shared boundaries: " + common.size() + " of " + a.size());
  }

  @Test
  void shortInputsAndWindows() {
    byte[] data = XorShift64.bytes(3, 3 * 65536);
    FastCdc cdc = new FastCdc(MEDIUM, GEAR);
    assertEquals(0, cdc.cut(data, 0, 0));
    assertEquals(2048, cdc.cut(data, 5, 2048));
    int full = cdc.cut(data, 0, data.length);
    assertTrue(full > 2048 && full <= 65536);
    // A window ending before the cut point yields the whole window; one reaching past it finds it.
    assertEquals(full - 1, cdc.cut(data, 0, full - 1));
    assertEquals(full, cdc.cut(data, 0, full));
    assertThrows(IndexOutOfBoundsException.class, () -> cdc.cut(data, 10, data.length));
  }

  /** The cut rule of the class comment, one byte at a time: what {@link FastCdc#cut} must equal. */
  private static int referenceCut(ChunkerParams p, byte[] buf, int off, int len) {
    if (len <= p.min()) return len;
    int bits = Integer.numberOfTrailingZeros(p.avg());
    long[] g = GEAR.values();
    long h = 0;
    int limit = Math.min(len, p.max());
    for (int i = p.min(); i < limit; i++) {
      h = (h << 1) + g[buf[off + i] & 0xff];
      if ((h & (-1L << (64 - (i < p.avg() ? bits + 2 : bits - 2)))) == 0) return i + 1;
    }
    return limit;
  }

  @Test
  void cutsMatchTheRuleAtEveryOffsetAndWindow() {
    byte[] data = XorShift64.bytes(11, 1 << 20);
    ChunkerParams small = new ChunkerParams(64, 256, 1024);
    XorShift64 rnd = new XorShift64(5);
    for (ChunkerParams p : List.of(small, MEDIUM)) {
      FastCdc cdc = new FastCdc(p, GEAR);
      for (int k = 0; k < 4000; k++) {
        int off = (int) Long.remainderUnsigned(rnd.nextLong(), data.length - 1);
        int len =
            (int)
                Long.remainderUnsigned(
                    rnd.nextLong(), Math.min(data.length - off, 2L * p.max()) + 1);
        assertEquals(
            referenceCut(p, data, off, len), cdc.cut(data, off, len), "off " + off + " len " + len);
      }
    }
  }

  @Test
  void constantInputIsCutAtMax() {
    byte[] zeros = new byte[5 * 65536 + 3];
    List<Long> offsets = cutOffsets(new FastCdc(MEDIUM, GEAR), zeros);
    // The gear hash of a constant run settles on a constant; with this key it never matches a mask.
    assertEquals(List.of(65536L, 131072L, 196608L, 262144L, 327680L, 327683L), offsets);
  }

  @Test
  void shiftResistance() {
    byte[] original = XorShift64.bytes(11, 8 << 20);
    byte[] inserted = XorShift64.bytes(12, 100);
    int at = original.length / 2 + 12345;
    byte[] edited = new byte[original.length + inserted.length];
    System.arraycopy(original, 0, edited, 0, at);
    System.arraycopy(inserted, 0, edited, at, inserted.length);
    System.arraycopy(original, at, edited, at + inserted.length, original.length - at);
    for (ChunkerParams params : List.of(ChunkerParams.SMALL, MEDIUM)) {
      FastCdc cdc = new FastCdc(params, GEAR);
      Set<ByteBuffer> before = new HashSet<>();
      List<Long> ends = cutOffsets(cdc, original);
      long start = 0;
      for (long end : ends) {
        before.add(ByteBuffer.wrap(Arrays.copyOfRange(original, (int) start, (int) end)));
        start = end;
      }
      long sharedBytes = 0;
      start = 0;
      for (long end : cutOffsets(cdc, edited)) {
        if (before.contains(ByteBuffer.wrap(Arrays.copyOfRange(edited, (int) start, (int) end)))) {
          sharedBytes += end - start;
        }
        start = end;
      }
      double shared = (double) sharedBytes / edited.length;
      assertTrue(shared >= 0.9, params + ": only " + shared + " of the bytes are in shared chunks");
    }
  }

  @Test
  void averageChunkSizeOnRandomData() {
    byte[] data = XorShift64.bytes(99, 64 << 20);
    for (ChunkerParams params : List.of(ChunkerParams.SMALL, ChunkerParams.LARGE)) {
      List<Long> offsets = cutOffsets(new FastCdc(params, GEAR), data);
      double mean = (double) data.length / offsets.size();
      double ratio = mean / params.avg();
      System.out.printf(
          "mean chunk size for %s on 64 MiB: %.0f B (%.2fx avg, %d chunks)%n",
          params, mean, ratio, offsets.size());
      assertTrue(ratio >= 0.75 && ratio <= 1.5, params + ": mean " + mean);
    }
  }
}
