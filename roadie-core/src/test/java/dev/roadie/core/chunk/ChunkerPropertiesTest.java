package dev.roadie.core.chunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

class ChunkerPropertiesTest {
  private static final GearTable GEAR = GearTable.derive(GearTableTest.key(0));

  /** Tiny parameters so that short generated inputs span many chunks. */
  private static final ChunkerParams TINY = new ChunkerParams(64, 256, 1024);

  private static final List<ChunkerParams> ALL =
      List.of(TINY, new ChunkerParams(2048, 8192, 65536), ChunkerParams.SMALL);

  /** Input of a given length and kind: random, all zeros, or a short repeating pattern. */
  record Input(byte[] data, String kind) {
    @Override
    public String toString() {
      return kind + "[" + data.length + "]";
    }
  }

  static Input input(long seed, int length, int kind) {
    byte[] data = new byte[length];
    switch (kind) {
      case 0 -> new XorShift64(seed | 1).fill(data);
      case 1 -> {}
      default -> {
        byte[] pattern = XorShift64.bytes(seed | 1, 1 + Math.floorMod(seed, 97));
        for (int i = 0; i < length; i++) {
          data[i] = pattern[i % pattern.length];
        }
      }
    }
    return new Input(data, kind == 0 ? "random" : kind == 1 ? "zeros" : "pattern");
  }

  @Provide
  Arbitrary<Input> inputs() {
    return Combinators.combine(
            Arbitraries.longs(),
            Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.integers().between(0, 20_000)),
                Tuple.of(1, Arbitraries.integers().between(0, 300_000))),
            Arbitraries.frequency(Tuple.of(8, 0), Tuple.of(1, 1), Tuple.of(1, 2)))
        .as(ChunkerPropertiesTest::input);
  }

  /** Delivers the bytes in random short reads, as a socket or pipe might. */
  static final class ShortReadStream extends InputStream {
    private final byte[] data;
    private final SplittableRandom random;
    private int pos;

    ShortReadStream(byte[] data, long seed) {
      this.data = data;
      this.random = new SplittableRandom(seed);
    }

    @Override
    public int read() {
      return pos < data.length ? data[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      if (pos == data.length) {
        return -1;
      }
      // Mostly tiny reads, sometimes large ones.
      int want = random.nextInt(8) == 0 ? random.nextInt(1, 200_000) : random.nextInt(1, 300);
      int n = Math.min(Math.min(len, want), data.length - pos);
      System.arraycopy(data, pos, b, off, n);
      pos += n;
      return n;
    }
  }

  static List<Chunker.Chunk> chunks(InputStream in, ChunkerParams params) throws IOException {
    Chunker chunker = new Chunker(in, params, GEAR);
    List<Chunker.Chunk> out = new ArrayList<>();
    for (Chunker.Chunk c; (c = chunker.next()) != null; ) {
      out.add(c);
    }
    assertNull(chunker.next(), "end of stream is sticky");
    return out;
  }

  /**
   * Checks every invariant of a chunking of {@code data}, and that it matches in-memory chunking.
   */
  static void checkChunking(byte[] data, ChunkerParams params, List<Chunker.Chunk> chunks) {
    ByteArrayOutputStream joined = new ByteArrayOutputStream(data.length);
    long expectedOffset = 0;
    for (int i = 0; i < chunks.size(); i++) {
      Chunker.Chunk c = chunks.get(i);
      assertEquals(expectedOffset, c.offset(), "offset of chunk " + i);
      int size = c.length();
      assertTrue(size > 0 && size <= params.max(), "size " + size + " of chunk " + i);
      if (i < chunks.size() - 1) {
        assertTrue(size >= params.min(), "inner chunk " + i + " of " + size + " B is below min");
      }
      joined.writeBytes(c.data());
      expectedOffset += size;
    }
    assertArrayEquals(data, joined.toByteArray());
    if (data.length == 0) {
      assertEquals(0, chunks.size());
    }
    List<Long> ends = new ArrayList<>();
    for (Chunker.Chunk c : chunks) {
      ends.add(c.offset() + c.length());
    }
    assertEquals(FastCdcTest.cutOffsets(new FastCdc(params, GEAR), data), ends);
  }

  @Property(tries = 300)
  void chunkingIsLosslessBoundedAndIndependentOfReadSizes(
      @ForAll("inputs") Input input,
      @ForAll @IntRange(min = 0, max = 2) int paramsIndex,
      @ForAll long readSeed)
      throws IOException {
    ChunkerParams params = ALL.get(paramsIndex);
    List<Chunker.Chunk> whole = chunks(new ByteArrayInputStream(input.data()), params);
    checkChunking(input.data(), params, whole);
    List<Chunker.Chunk> trickled = chunks(new ShortReadStream(input.data(), readSeed), params);
    checkChunking(input.data(), params, trickled);
  }

  /**
   * A stream's expected size only sizes the first buffer: right, wrong or unknown, the chunks are
   * the same.
   */
  @Property(tries = 200)
  void theExpectedSizeNeverChangesTheChunks(
      @ForAll("inputs") Input input,
      @ForAll @IntRange(min = 0, max = 2) int paramsIndex,
      @ForAll @IntRange(min = 0, max = 3) int guess,
      @ForAll long readSeed)
      throws IOException {
    ChunkerParams params = ALL.get(paramsIndex);
    int n = input.data().length;
    long expected =
        switch (guess) {
          case 0 -> n;
          case 1 -> n / 2;
          case 2 -> 2L * n + 1;
          default -> -1;
        };
    Chunker chunker =
        new Chunker(
            new ShortReadStream(input.data(), readSeed), new FastCdc(params, GEAR), expected);
    List<Chunker.Chunk> out = new ArrayList<>();
    for (Chunker.Chunk c; (c = chunker.next()) != null; ) {
      out.add(c);
    }
    checkChunking(input.data(), params, out);
  }

  /** Every parameter set, boundary size and input kind, each delivered in short reads. */
  @Example
  void sizesAroundMinAvgMax() throws IOException {
    for (ChunkerParams p : ALL) {
      int[] sizes = {
        0,
        1,
        p.min() - 1,
        p.min(),
        p.min() + 1,
        p.avg(),
        p.max() - 1,
        p.max(),
        p.max() + 1,
        3 * p.max() + 7
      };
      for (int size : sizes) {
        for (int kind = 0; kind < 3; kind++) {
          for (long seed = 1; seed <= 2; seed++) {
            byte[] data = input(seed, size, kind).data();
            List<Chunker.Chunk> chunks = chunks(new ShortReadStream(data, seed), p);
            checkChunking(data, p, chunks);
            if (size > 0 && size <= p.min() + 1) {
              assertEquals(1, chunks.size(), p + " size " + size);
            }
            if (size > p.max()) {
              assertTrue(chunks.size() >= 2, p + " size " + size);
            }
          }
        }
      }
    }
  }

  @Example
  void emptyInputHasNoChunks() throws IOException {
    assertEquals(List.of(), chunks(new ByteArrayInputStream(new byte[0]), ChunkerParams.LARGE));
  }

  @Example
  void oneByteIsOneChunk() throws IOException {
    List<Chunker.Chunk> chunks =
        chunks(new ByteArrayInputStream(new byte[] {42}), ChunkerParams.LARGE);
    assertEquals(1, chunks.size());
    assertArrayEquals(new byte[] {42}, chunks.get(0).data());
    assertEquals(0, chunks.get(0).offset());
  }

  @Example
  void largeParamsOverSeveralBuffers() throws IOException {
    byte[] data = XorShift64.bytes(5, 20 << 20);
    checkChunking(
        data, ChunkerParams.LARGE, chunks(new ShortReadStream(data, 5), ChunkerParams.LARGE));
  }

  /**
   * Released chunks let their slab be reused: chunks read after that, and chunks still held, keep
   * their bytes. Every third chunk is held to the end; the others are released at once.
   */
  @Example
  void reusedSlabsNeverOverwriteHeldChunks() throws IOException {
    byte[] data = XorShift64.bytes(9, 12 << 20);
    ChunkerParams params = ChunkerParams.FILE;
    Chunker chunker = new Chunker(new ShortReadStream(data, 9), params, GEAR);
    List<Chunker.Chunk> all = new ArrayList<>();
    List<byte[]> copies = new ArrayList<>();
    int n = 0;
    for (Chunker.Chunk c; (c = chunker.next()) != null; n++) {
      byte[] copy = c.data();
      assertArrayEquals(
          java.util.Arrays.copyOfRange(data, (int) c.offset(), (int) c.offset() + c.length()),
          copy);
      all.add(c);
      copies.add(copy);
      if (n % 3 != 0) {
        c.release();
      }
    }
    for (int i = 0; i < all.size(); i += 3) {
      assertArrayEquals(copies.get(i), all.get(i).data(), "held chunk " + i);
    }
    List<Long> ends = new ArrayList<>();
    for (Chunker.Chunk c : all) {
      ends.add(c.offset() + c.length());
    }
    assertEquals(FastCdcTest.cutOffsets(new FastCdc(params, GEAR), data), ends);
  }
}
