package dev.roadie.core.repo;

import dev.roadie.core.Id;
import dev.roadie.core.chunk.Chunker;
import dev.roadie.core.crypto.Compression;
import dev.roadie.core.index.BlobIndex;
import dev.roadie.core.index.BlobLocation;
import dev.roadie.core.repo.BackupWriter.Prepared;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

/**
 * The parent stream's cursor of a {@link BackupWriter} stream with a parent (see {@link
 * BackupWriter#writeStream(java.io.InputStream, dev.roadie.core.chunk.ChunkerParams,
 * ParentStream)}): follows the new stream through the parent's chunks, picks for each new chunk the
 * parent chunk it most likely changed from, and turns the new chunk into a delta against it when
 * that is much smaller. The caller's thread only; the writer's blob index, deletion plans and
 * reused packs are read through the writer.
 */
final class DeltaCursor {
  /** Bytes compared at the start of a new chunk and of candidate parent chunks. */
  private static final int PREFIX = 32;

  /** Parent chunks whose bases are read ahead of the cursor during a run of changed chunks. */
  private static final int READ_AHEAD = 8;

  /** Where the prefix search looks first, relative to the cursor's parent chunk: nearest first. */
  private static final int[] NEAR = {0, 1, -1, 2, -2};

  private final BackupWriter writer;
  private final Repository repo;
  private final BlobIndex index;
  private final ParentStream parent;
  private final java.util.Map<Id, Integer> position = new java.util.HashMap<>();

  /** Start offset of each parent chunk, and the parent's length at the end. */
  private final long[] starts;

  private long at;
  private int chunk;

  /** New chunks in a row so far. */
  private int newRun;

  DeltaCursor(BackupWriter writer, ParentStream parent) {
    this.writer = writer;
    this.repo = writer.repo;
    this.index = writer.index;
    this.parent = parent;
    int n = parent.chunks().size();
    starts = new long[n + 1];
    for (int i = 0; i < n; i++) {
      starts[i + 1] = starts[i] + parent.lengths()[i];
      position.putIfAbsent(parent.chunks().get(i), i);
    }
  }

  /** Moves past {@code p} and returns it ready to seal: as it is, or (later) as a delta. */
  Future<Prepared> next(Prepared p) {
    Integer j = position.get(p.id());
    if (j != null && j >= chunk - 1) {
      newRun = 0;
      at = starts[j + 1];
      chunk = j + 1;
      return CompletableFuture.completedFuture(plain(p));
    }
    // Records changed in place change chunk lengths by a few bytes, so the cursor drifts from the
    // parent's boundaries by the sum of those changes. Two corrections: the parent chunk under the
    // new chunk's middle is taken; and a parent chunk within two of it whose length is nearly the
    // new chunk's (within 1/512 + 16 bytes: content-defined boundaries that survived the changes)
    // is taken instead, and the cursor resynchronises to its end. Against a simulation that knows
    // the best base, the two together rarely miss it where either alone often does; a wider
    // length window made false matches (docs/decisions/0012-delta-chunks.md).
    long middle = at + p.rawLength() / 2;
    while (chunk < starts.length - 1 && starts[chunk + 1] <= middle) {
      chunk++;
    }
    int len = p.rawLength();
    int same = -1;
    for (int k = Math.max(0, chunk - 2); k <= Math.min(starts.length - 2, chunk + 2); k++) {
      long d = Math.abs(len - (starts[k + 1] - starts[k]));
      if (d <= len / 512 + 16
          && (same < 0 || d < Math.abs(len - (starts[same + 1] - starts[same])))) {
        same = k;
      }
    }
    if (same >= 0) {
      chunk = same;
      at = starts[same + 1];
    } else {
      at += len;
    }
    if (p.raw() == null || chunk >= starts.length - 1) {
      newRun = 0;
      return CompletableFuture.completedFuture(plain(p));
    }
    // Content beats arithmetic: where rows were removed or added, lengths say little, but a chunk
    // boundary that survived starts the new chunk with the same bytes as its parent chunk. Among
    // the parent chunks within two of the cursor, and during a run of changed chunks also those
    // read ahead after it, the nearest that starts like the new chunk is taken, and the cursor
    // moves there. Where a fifth of the rows vanished, the cursor falls behind by a quarter chunk
    // per chunk, beyond two chunks within a few: hence the read-ahead ones
    // (docs/decisions/0012-delta-chunks.md).
    int n = starts.length - 1;
    int ahead = newRun++ > 0 ? READ_AHEAD : 0; // a run of changed chunks reads its bases ahead
    for (int k = Math.max(0, chunk - 2); k <= Math.min(n - 1, chunk + 2 + ahead); k++) {
      Id b = baseFor(parent.chunks().get(k));
      if (b != null) repo.baseAsync(b);
    }
    int use = chunk;
    Chunker.Chunk c = p.raw();
    if (c.length() >= PREFIX) {
      for (int i = 0; i < NEAR.length + ahead; i++) {
        int k =
            chunk + (i < NEAR.length ? NEAR[i] : i - 2); // after the nearest five, those read ahead
        if (k < 0 || k >= n) continue;
        byte[] candidate = plaintextOf(baseFor(parent.chunks().get(k)));
        if (candidate != null
            && candidate.length >= PREFIX
            && Arrays.equals(candidate, 0, PREFIX, c.array(), c.from(), c.from() + PREFIX)) {
          use = k;
          break;
        }
      }
    }
    if (use != chunk) {
      chunk = use;
      at = starts[use] + len;
    }
    Id base = baseFor(parent.chunks().get(chunk));
    if (base == null) {
      return CompletableFuture.completedFuture(plain(p));
    }
    // Where rows vanished from the parent (or were added), a new chunk often covers the end of
    // one parent chunk and the start of the next, and no single base holds most of it: the parent
    // chunks before and after the cursor's are offered as second bases
    // (docs/decisions/0012-delta-chunks.md).
    CompletableFuture<byte[]> at = repo.baseAsync(base);
    CompletableFuture<Base> before = neighbour(chunk - 1, base);
    CompletableFuture<Base> after = neighbour(chunk + 1, base);
    return CompletableFuture.allOf(at, before, after)
        .handleAsync(
            (v, err) ->
                err != null
                    ? plain(p)
                    : delta(p, new Base(base, at.join()), before.join(), after.join()),
            repo.cpu());
  }

  /**
   * Parent chunk {@code k}'s base as a second base beside {@code first}; null when there is none or
   * it cannot be read.
   */
  private CompletableFuture<Base> neighbour(int k, Id first) {
    Id id = k >= 0 && k < starts.length - 1 ? baseFor(parent.chunks().get(k)) : null;
    if (id == null || id.equals(first)) return CompletableFuture.completedFuture(null);
    return repo.baseAsync(id).handle((b, err) -> err != null ? null : new Base(id, b));
  }

  /** A base's plaintext (read ahead already, usually), or null if it cannot be read. */
  private byte[] plaintextOf(Id base) {
    if (base == null) return null;
    try {
      return repo.baseAsync(base).join();
    } catch (RuntimeException e) {
      return null; // the delta falls back to a full copy; a damaged base is check's business
    }
  }

  /**
   * The base a delta against parent chunk {@code c} uses: {@code c}, or its first base if it is a
   * delta; null if that blob may not be used (not indexed, its pack gone or planned for deletion).
   */
  private Id baseFor(Id c) {
    BlobLocation loc = index.get(c);
    if (loc == null) return null;
    Id base = loc.isDelta() ? loc.bases().get(0) : c;
    BlobLocation b = base == c ? loc : index.get(base);
    if (b == null
        || b.isDelta()
        || !writer.packExists(b.packId())
        || writer.plannedPacks.contains(b.packId())) return null;
    // Using a base is like deduplicating against it: its pack must outlive this backup.
    writer.reusedPacks.add(b.packId());
    return base;
  }

  /** {@code p} without its retained chunk, when it was compressed anyway. */
  private static Prepared plain(Prepared p) {
    if (p.compressed() != null && p.raw() != null) {
      p.raw().release();
      return new Prepared(p.id(), p.compressed(), null, p.rawLength());
    }
    return p;
  }

  /** A delta's base: its id and plaintext. */
  private record Base(Id id, byte[] plaintext) {}

  /**
   * {@code p} as a delta against {@code at}, or against {@code before} and {@code at}, or {@code
   * at} and {@code after} (either may be null), whichever is smallest, a two-base delta only when
   * clearly smaller than the one-base delta (at most 7/8 of it: a second base costs an index
   * entry's 32 bytes and a second read at restore); a delta is kept only when it takes less than
   * half of the chunk's plain compressed size, else the chunk is stored plain.
   */
  private Prepared delta(Prepared p, Base at, Base before, Base after) {
    Chunker.Chunk c = p.raw();
    int plainSize = p.compressed() != null ? p.compressed().length : c.length();
    byte[] one = deltaAgainst(c, List.of(at), plainSize / 2);
    byte[] best = one;
    List<List<Base>> pairs = new ArrayList<>(2);
    if (before != null) pairs.add(List.of(before, at));
    if (after != null) pairs.add(List.of(at, after));
    for (List<Base> pair : pairs) {
      int limit = one == null ? plainSize / 2 : one.length - one.length / 8;
      byte[] two = deltaAgainst(c, pair, best == null ? limit : Math.min(limit, best.length));
      if (two != null) best = two;
    }
    if (best == null) {
      return plain(p);
    }
    c.release();
    writer.deltasStored.incrementAndGet();
    return new Prepared(p.id(), null, null, p.rawLength(), best);
  }

  /**
   * The framed delta of {@code c} against {@code bases} if it is shorter than {@code limit} bytes;
   * else null.
   */
  private static byte[] deltaAgainst(Chunker.Chunk c, List<Base> bases, int limit) {
    byte[] out = BackupWriter.scratch(c.length());
    int header = Compression.deltaHeader(bases.size());
    int n =
        Compression.compressAgainst(
            bases.stream().map(Base::plaintext).toList(),
            c.array(),
            c.from(),
            c.length(),
            out,
            header,
            limit - header);
    if (n < 0) {
      return null;
    }
    out[0] = Compression.deltaFlag(bases.size());
    for (int i = 0; i < bases.size(); i++) {
      bases.get(i).id().writeTo(out, 1 + i * Id.BYTES);
    }
    return Arrays.copyOf(out, header + n);
  }
}
