package dev.roadie.core.index;

import dev.roadie.core.Id;
import dev.roadie.core.pack.BlobType;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.StampedLock;
import java.util.function.Consumer;

/**
 * The in-memory map from blob id to {@link BlobLocation} for a whole repository.
 *
 * <p>A repository can hold tens of millions of blobs, so the index keeps no object per blob. The
 * goal is at most 64 bytes per blob, hash table included; the layout below needs about 55.
 *
 * <h2>Layout</h2>
 *
 * <ul>
 *   <li><b>Entries</b> are appended, in insertion order, to pages of {@value #PAGE_ENTRIES}
 *       entries, each page a {@code long[]} with {@value #LONGS_PER_ENTRY} longs per entry (48
 *       bytes): the four id words, then {@code packNumber << 32 | offset} (offset as an unsigned
 *       32-bit int), then {@code length << 32 | rawLength}. Growth allocates a new page and never
 *       copies existing entries (only the small array of page references). Pages are kept under 512
 *       KiB so that G1 never treats them as humongous objects, which would waste the tail of their
 *       regions. An entry, once written, never changes.
 *   <li><b>Packs</b> are numbered in the order they are added; {@code packIds[n]} and {@code
 *       packTypes[n]} describe pack {@code n}. A pack holds blobs of a single type, so the type is
 *       stored once per pack rather than per blob.
 *   <li><b>The hash table</b> is an {@code int[]} of capacity {@code 2^k}, with open addressing and
 *       linear probing. The number of entries never exceeds three quarters of the capacity, so
 *       every probe sequence reaches an empty slot, and an entry number plus one always fits in the
 *       low {@code k} bits of a slot. Those bits hold it (0 = empty slot); the {@code 32 - k} bits
 *       above hold a tag taken from id word 1 (8 bits at ten million blobs). A probe only reads an
 *       entry from its page, a likely cache miss, when the tag matches, so a lookup of an absent id
 *       usually touches the table alone. The home slot comes from id word 0 spread by one
 *       multiplication (Fibonacci hashing): real ids are uniformly random already, but the
 *       multiplication costs nothing and keeps structured ids (as in tests) from clustering.
 *       Growing rehashes into a table of twice the size, recomputing the tags for the new {@code
 *       k}; only this table is reallocated.
 * </ul>
 *
 * <p><b>Delta bases</b> (docs/repository-format.md §6) live in a side table from blob id to its one
 * or two base ids, holding only delta blobs (a minority), so blobs stored in full cost nothing
 * more; a delta costs about 160 more bytes there (200 with two bases). The table follows the
 * location the index chose: {@link #relocate} replaces or drops a blob's base with its location.
 *
 * <p>The first location added for a blob id wins: later {@link #add} calls for the same id are
 * ignored, so a blob that was written to two packs (say, by two concurrent backups) resolves to the
 * one that was indexed first.
 *
 * <h2>Concurrency</h2>
 *
 * <p>All methods are thread safe; any number of threads may read while others add. Writers ({@link
 * #add}, {@link #addPack}) are serialized by the write mode of a {@link StampedLock}. {@link #get}
 * and {@link #contains} first run optimistically without locking and keep the result only if {@link
 * StampedLock#validate} proves no write happened meanwhile; otherwise (or if what they read looked
 * inconsistent) they retry under the shared read lock. Either way a lookup sees exactly the effects
 * of the writes that completed before its validated read: every blob whose {@code add} returned
 * before the lookup started is found, with the location it was added with. Lookups never block each
 * other and, when no write is under way, never write to shared memory. {@link #forEach} works on a
 * snapshot taken when it starts (see there).
 */
public final class BlobIndex {
  /** Entries per page; a page is {@code PAGE_ENTRIES * LONGS_PER_ENTRY * 8} = 384 KiB. */
  static final int PAGE_ENTRIES = 1 << 13;

  static final int LONGS_PER_ENTRY = 6;

  private static final int PAGE_SHIFT = Integer.numberOfTrailingZeros(PAGE_ENTRIES);
  private static final int PAGE_MASK = PAGE_ENTRIES - 1;
  private static final int MIN_TABLE = 1 << 10;
  private static final int MAX_TABLE = 1 << 30;

  /** The most entries the index can hold: three quarters of the largest table. */
  static final int MAX_ENTRIES = MAX_TABLE / 4 * 3;

  private static final long MAX_OFFSET = 0xFFFF_FFFFL;
  private static final long GOLDEN = 0x9E37_79B9_7F4A_7C15L;

  /**
   * Returned by {@link #read} when an optimistic read saw a half-made state; never escapes. Only
   * compared by identity.
   */
  private static final BlobLocation INCONSISTENT =
      new BlobLocation(new Id(0, 0, 0, 0), BlobType.DATA, new Id(0, 0, 0, 0), 0, 0, 0);

  /**
   * What {@link #read} returns for a blob found by {@link #contains}; only its identity matters.
   */
  private static final BlobLocation FOUND =
      new BlobLocation(new Id(0, 0, 0, 0), BlobType.DATA, new Id(0, 0, 0, 0), 0, 0, 0);

  private final StampedLock lock = new StampedLock();

  // Every field below is written only while holding the write lock. Readers in optimistic mode
  // may see any mix of old and new values, so read() checks every index it follows.
  private long[][] pages = new long[4][];
  private int[] table;
  private int threshold;
  private int size;
  private Id[] packIds = new Id[16];
  private byte[] packTypes = new byte[16];
  private int packCount;
  private final Map<Id, Integer> packNumbers = new HashMap<>();

  /** Delta blob id → its base blob ids; written under the write lock, read without it. */
  private final java.util.concurrent.ConcurrentHashMap<Id, List<Id>> bases =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** An empty index with a small hash table. */
  public BlobIndex() {
    this(0);
  }

  /**
   * An empty index whose hash table is sized for {@code expectedBlobs} entries, so loading that
   * many needs no rehashing.
   */
  public BlobIndex(int expectedBlobs) {
    if (expectedBlobs < 0 || expectedBlobs > MAX_ENTRIES) {
      throw new IllegalArgumentException("expected blob count out of range: " + expectedBlobs);
    }
    int capacity = MIN_TABLE;
    while (capacity / 4 * 3 < expectedBlobs) {
      capacity <<= 1;
    }
    table = new int[capacity];
    threshold = capacity / 4 * 3;
  }

  /**
   * Registers a pack and returns its number, used by {@link #add}. Adding a pack id that is already
   * known returns its existing number.
   *
   * @throws IllegalArgumentException if the pack is known with a different blob type
   */
  public int addPack(Id packId, BlobType type) {
    Objects.requireNonNull(packId, "packId");
    Objects.requireNonNull(type, "type");
    long stamp = lock.writeLock();
    try {
      Integer existing = packNumbers.get(packId);
      if (existing != null) {
        if (packTypes[existing] != type.code()) {
          throw new IllegalArgumentException(
              "pack "
                  + packId.shortHex()
                  + " is already indexed as "
                  + BlobType.ofCode(packTypes[existing])
                  + ", not "
                  + type);
        }
        return existing;
      }
      if (packCount == Integer.MAX_VALUE - 8) {
        throw new IllegalStateException("too many packs");
      }
      if (packCount == packIds.length) {
        int grown = (int) Math.min(Integer.MAX_VALUE - 8, 2L * packCount);
        // Fill the copies before publishing them, types first: an optimistic reader that sees
        // the new packIds array must find the pack's type too (it checks, but retries are slow).
        packTypes = Arrays.copyOf(packTypes, grown);
        packIds = Arrays.copyOf(packIds, grown);
      }
      int number = packCount;
      packTypes[number] = (byte) type.code();
      packIds[number] = packId;
      packNumbers.put(packId, number);
      packCount = number + 1;
      return number;
    } finally {
      lock.unlockWrite(stamp);
    }
  }

  /**
   * Records that blob {@code blobId} is at {@code offset}, {@code length} bytes long, in pack
   * {@code packNumber} (from {@link #addPack}), with {@code rawLength} bytes of plaintext.
   *
   * @return true if added; false, changing nothing, if the blob id was already indexed (the first
   *     location wins)
   * @throws IllegalArgumentException if the pack number is unknown, the offset is not in [0, 2^32)
   *     or a length is negative
   * @throws IllegalStateException if the index already holds {@value #MAX_ENTRIES} blobs
   */
  public boolean add(Id blobId, int packNumber, long offset, int length, int rawLength) {
    return put(blobId, packNumber, offset, length, rawLength, List.of(), false);
  }

  /** As {@link #add}, for a blob that is a delta against {@code bases} (empty: stored in full). */
  public boolean add(
      Id blobId, int packNumber, long offset, int length, int rawLength, List<Id> bases) {
    return put(blobId, packNumber, offset, length, rawLength, bases, false);
  }

  /**
   * Like {@link #add}, but a blob already indexed is moved to the new location: for a blob stored
   * again because the pack of its first copy is missing from storage.
   */
  public void relocate(Id blobId, int packNumber, long offset, int length, int rawLength) {
    put(blobId, packNumber, offset, length, rawLength, List.of(), true);
  }

  /**
   * As {@link #relocate}; the new copy is a delta against {@code bases} (empty: stored in full).
   */
  public void relocate(
      Id blobId, int packNumber, long offset, int length, int rawLength, List<Id> bases) {
    put(blobId, packNumber, offset, length, rawLength, bases, true);
  }

  /** The number of delta blobs indexed. */
  public int deltaCount() {
    return bases.size();
  }

  private boolean put(
      Id blobId,
      int packNumber,
      long offset,
      int length,
      int rawLength,
      List<Id> deltaBases,
      boolean overwrite) {
    Objects.requireNonNull(blobId, "blobId");
    List<Id> baseIds = IndexFile.checkBases(deltaBases);
    if (offset < 0 || offset > MAX_OFFSET) {
      throw new IllegalArgumentException("blob offset out of range [0, 2^32): " + offset);
    }
    if (length < 0 || rawLength < 0) {
      throw new IllegalArgumentException(
          "negative blob length " + length + " or raw length " + rawLength);
    }
    long w0 = blobId.word(0);
    long w1 = blobId.word(1);
    long w2 = blobId.word(2);
    long w3 = blobId.word(3);
    long stamp = lock.writeLock();
    try {
      if (packNumber < 0 || packNumber >= packCount) {
        throw new IllegalArgumentException(
            "unknown pack number " + packNumber + " (" + packCount + " packs)");
      }
      int[] t = table;
      int mask = t.length - 1;
      int i = home(w0, mask);
      int tag = tag(w1, mask);
      for (int e; (e = t[i]) != 0; i = (i + 1) & mask) {
        if ((e & ~mask) != tag) {
          continue;
        }
        int entry = (e & mask) - 1;
        long[] page = pages[entry >>> PAGE_SHIFT];
        int base = (entry & PAGE_MASK) * LONGS_PER_ENTRY;
        if (page[base] == w0
            && page[base + 1] == w1
            && page[base + 2] == w2
            && page[base + 3] == w3) {
          if (!overwrite) {
            return false;
          }
          page[base + 4] = ((long) packNumber << 32) | offset;
          page[base + 5] = ((long) length << 32) | (rawLength & 0xFFFF_FFFFL);
          setBases(blobId, baseIds);
          return true;
        }
      }
      if (size >= threshold) {
        if (t.length == MAX_TABLE) {
          throw new IllegalStateException("blob index is full (" + size + " blobs)");
        }
        t = rehash(t.length * 2);
        mask = t.length - 1;
        i = home(w0, mask);
        tag = tag(w1, mask);
        while (t[i] != 0) {
          i = (i + 1) & mask;
        }
      }
      int entry = size;
      long[] page = pageFor(entry);
      int base = (entry & PAGE_MASK) * LONGS_PER_ENTRY;
      page[base] = w0;
      page[base + 1] = w1;
      page[base + 2] = w2;
      page[base + 3] = w3;
      page[base + 4] = ((long) packNumber << 32) | offset;
      page[base + 5] = ((long) length << 32) | (rawLength & 0xFFFF_FFFFL);
      setBases(blobId, baseIds);
      // The slot is filled last, after the entry it points to.
      t[i] = tag | (entry + 1);
      size = entry + 1;
      return true;
    } finally {
      lock.unlockWrite(stamp);
    }
  }

  private void setBases(Id blobId, List<Id> baseIds) {
    if (baseIds.isEmpty()) {
      if (!bases.isEmpty()) bases.remove(blobId);
    } else {
      bases.put(blobId, baseIds);
    }
  }

  /** The bases of a delta blob; empty for a blob stored in full or not indexed. */
  public List<Id> basesOf(Id blobId) {
    return bases.isEmpty() ? List.of() : bases.getOrDefault(blobId, List.of());
  }

  /** The location of a blob, or null if it is not indexed. */
  public BlobLocation get(Id blobId) {
    Objects.requireNonNull(blobId, "blobId");
    long stamp = lock.tryOptimisticRead();
    if (stamp != 0) {
      BlobLocation found = read(blobId, true);
      if (found != INCONSISTENT && lock.validate(stamp)) {
        return found;
      }
    }
    stamp = lock.readLock();
    try {
      return read(blobId, true);
    } finally {
      lock.unlockRead(stamp);
    }
  }

  /** Whether a blob is indexed. */
  public boolean contains(Id blobId) {
    Objects.requireNonNull(blobId, "blobId");
    long stamp = lock.tryOptimisticRead();
    if (stamp != 0) {
      BlobLocation found = read(blobId, false);
      if (found != INCONSISTENT && lock.validate(stamp)) {
        return found != null;
      }
    }
    stamp = lock.readLock();
    try {
      return read(blobId, false) != null;
    } finally {
      lock.unlockRead(stamp);
    }
  }

  /**
   * The entry number of a blob: its position in the order blobs were added (the order of {@link
   * #forEach}), so callers can keep one bit per blob in a {@link java.util.BitSet}; -1 if absent.
   * {@link #relocate} keeps a blob's entry number.
   */
  public int entryOf(Id blobId) {
    long w0 = blobId.word(0);
    long w1 = blobId.word(1);
    long stamp = lock.readLock();
    try {
      int[] t = table;
      int mask = t.length - 1;
      int tag = tag(w1, mask);
      for (int i = home(w0, mask); ; i = (i + 1) & mask) {
        int e = t[i];
        if (e == 0) {
          return -1;
        }
        if ((e & ~mask) != tag) {
          continue;
        }
        int entry = (e & mask) - 1;
        long[] page = pages[entry >>> PAGE_SHIFT];
        int base = (entry & PAGE_MASK) * LONGS_PER_ENTRY;
        if (page[base] == w0
            && page[base + 1] == w1
            && page[base + 2] == blobId.word(2)
            && page[base + 3] == blobId.word(3)) {
          return entry;
        }
      }
    } finally {
      lock.unlockRead(stamp);
    }
  }

  /** The number of blobs indexed. */
  public int size() {
    long stamp = lock.readLock();
    try {
      return size;
    } finally {
      lock.unlockRead(stamp);
    }
  }

  /** The number of packs registered with {@link #addPack}. */
  public int packCount() {
    long stamp = lock.readLock();
    try {
      return packCount;
    } finally {
      lock.unlockRead(stamp);
    }
  }

  /** The registered pack ids, indexed by pack number. */
  public List<Id> packIds() {
    long stamp = lock.readLock();
    try {
      return List.of(Arrays.copyOf(packIds, packCount));
    } finally {
      lock.unlockRead(stamp);
    }
  }

  /** The number of a registered pack, or -1 if the pack is unknown. */
  public int packNumber(Id packId) {
    long stamp = lock.readLock();
    try {
      return packNumbers.getOrDefault(packId, -1);
    } finally {
      lock.unlockRead(stamp);
    }
  }

  /**
   * Calls {@code action} for every blob, in the order they were added. It sees exactly the blobs
   * indexed when it starts: entries are never modified once written, so after taking a snapshot of
   * the page and pack arrays under the read lock it runs without holding any lock, and {@code
   * action} may itself add to this index.
   */
  public void forEach(Consumer<? super BlobLocation> action) {
    Objects.requireNonNull(action, "action");
    long[][] pg;
    Id[] pids;
    byte[] ptypes;
    int n;
    long stamp = lock.readLock();
    try {
      pg = pages;
      pids = packIds;
      ptypes = packTypes;
      n = size;
    } finally {
      lock.unlockRead(stamp);
    }
    for (int entry = 0; entry < n; entry++) {
      long[] page = pg[entry >>> PAGE_SHIFT];
      int base = (entry & PAGE_MASK) * LONGS_PER_ENTRY;
      Id id = new Id(page[base], page[base + 1], page[base + 2], page[base + 3]);
      action.accept(location(id, page[base + 4], page[base + 5], pids, ptypes, basesOf(id)));
    }
  }

  /**
   * An estimate, in bytes, of the heap this index holds: its pages, hash table and pack arrays
   * (object headers counted as 16 bytes, references as 8). For statistics only.
   */
  public long memoryBytes() {
    long stamp = lock.readLock();
    try {
      long bytes = 16 + 8L * pages.length;
      for (long[] page : pages) {
        if (page != null) {
          bytes += 16 + 8L * page.length;
        }
      }
      bytes += 16 + 4L * table.length;
      bytes += 16 + 8L * packIds.length + 16 + packTypes.length;
      // Each pack's Id object (header + four longs), shared by packIds and packNumbers, plus a
      // HashMap node, a boxed Integer and a bucket slot.
      bytes += packCount * (48L + 32 + 16 + 8);
      // Delta bases: a map node, a key Id object, a table slot, and a list of one or two Id
      // objects.
      for (List<Id> b : bases.values()) bytes += 32 + 48 + 8 + 16 + 48L * b.size();
      return bytes;
    } finally {
      lock.unlockRead(stamp);
    }
  }

  /**
   * Looks up {@code id}; returns its location (or a non-null placeholder when {@code full} is
   * false), null if absent, or {@link #INCONSISTENT} if the state read cannot be a real one, which
   * happens only without the read lock while a writer is active. Never throws on such states: every
   * index taken from shared memory is checked before use.
   */
  private BlobLocation read(Id id, boolean full) {
    long w0 = id.word(0);
    long w1 = id.word(1);
    long w2 = id.word(2);
    long w3 = id.word(3);
    int[] t = table;
    long[][] pg = pages;
    int mask = t.length - 1;
    int tag = tag(w1, mask);
    // Terminates: at most three quarters of any table's slots are ever filled.
    for (int i = home(w0, mask); ; i = (i + 1) & mask) {
      int e = t[i];
      if (e == 0) {
        return null;
      }
      if ((e & ~mask) != tag) {
        continue;
      }
      int entry = (e & mask) - 1;
      int p = entry >>> PAGE_SHIFT;
      if (p >= pg.length) {
        return INCONSISTENT;
      }
      long[] page = pg[p];
      int base = (entry & PAGE_MASK) * LONGS_PER_ENTRY;
      if (page == null || base + LONGS_PER_ENTRY > page.length) {
        return INCONSISTENT;
      }
      if (page[base] == w0
          && page[base + 1] == w1
          && page[base + 2] == w2
          && page[base + 3] == w3) {
        if (!full) {
          return FOUND;
        }
        long where = page[base + 4];
        long sizes = page[base + 5];
        Id[] pids = packIds;
        byte[] ptypes = packTypes;
        int pack = (int) (where >>> 32);
        if (pack < 0
            || pack >= pids.length
            || pack >= ptypes.length
            || pids[pack] == null
            || (int) (sizes >>> 32) < 0
            || (int) sizes < 0) {
          return INCONSISTENT;
        }
        return location(id, where, sizes, pids, ptypes, basesOf(id));
      }
    }
  }

  private static BlobLocation location(
      Id id, long where, long sizes, Id[] pids, byte[] ptypes, List<Id> bases) {
    int pack = (int) (where >>> 32);
    return new BlobLocation(
        id,
        BlobType.ofCode(ptypes[pack]),
        pids[pack],
        where & MAX_OFFSET,
        (int) (sizes >>> 32),
        (int) sizes,
        bases);
  }

  /** The slot where the probe for an id with first word {@code w0} starts. */
  private static int home(long w0, int mask) {
    return (int) ((w0 * GOLDEN) >>> 32) & mask;
  }

  /**
   * The tag bits (those above {@code mask}) of a slot for an id with second word {@code w1}. Taken
   * from a different word than {@link #home}, so they still tell apart ids whose probes meet.
   */
  private static int tag(long w1, int mask) {
    return (int) ((w1 * GOLDEN) >>> 32) & ~mask;
  }

  /** The page for a new entry, allocating it (and growing the page list) if needed. */
  private long[] pageFor(int entry) {
    int p = entry >>> PAGE_SHIFT;
    if (p >= pages.length) {
      pages = Arrays.copyOf(pages, Math.max(p + 1, pages.length * 2));
    }
    long[] page = pages[p];
    if (page == null) {
      page = new long[PAGE_ENTRIES * LONGS_PER_ENTRY];
      pages[p] = page;
    }
    return page;
  }

  /** Replaces the table with one of {@code capacity} slots holding every entry; returns it. */
  private int[] rehash(int capacity) {
    int[] t = new int[capacity];
    int mask = capacity - 1;
    for (int entry = 0; entry < size; entry++) {
      long[] page = pages[entry >>> PAGE_SHIFT];
      int base = (entry & PAGE_MASK) * LONGS_PER_ENTRY;
      int i = home(page[base], mask);
      while (t[i] != 0) {
        i = (i + 1) & mask;
      }
      t[i] = tag(page[base + 1], mask) | (entry + 1);
    }
    table = t;
    threshold = capacity / 4 * 3;
    return t;
  }
}
