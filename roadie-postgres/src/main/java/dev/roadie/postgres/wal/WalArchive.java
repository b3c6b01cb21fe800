package dev.roadie.postgres.wal;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.NoSuchObjectException;
import dev.roadie.core.backend.ObjectExistsException;
import dev.roadie.core.backend.ObjectInfo;
import dev.roadie.core.backend.ObjectKind;
import dev.roadie.core.backend.ObjectName;
import dev.roadie.core.crypto.Aead;
import dev.roadie.core.crypto.Compression;
import dev.roadie.core.json.Json;
import dev.roadie.core.repo.Hosts;
import dev.roadie.core.repo.Repository;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;

/**
 * The WAL archive of one PostgreSQL cluster (one system identifier) in a repository: {@code
 * wal/<system id, 16 hex>/<file name>}, one immutable object per archived file.
 *
 * <p>Object layout ({@code docs/repository-format.md}, "WAL archive"):
 *
 * <pre>
 * magic "RDWAL001"            8 bytes
 * L                           uint32, length of the sealed header
 * sealed header               L bytes: nonce || AES-GCM(header JSON) || tag
 * sealed body                 the rest: nonce || AES-GCM(flag || zstd frame or raw bytes) || tag
 * </pre>
 *
 * The objects are side objects ({@code ObjectKind.SIDE}) in the area {@code wal}, one group per
 * cluster. Both units are sealed under the object key of {@code wal/<cluster>/<file>} with random
 * nonces; their additional data is the magic, the object's path and {@code "header"} or {@code
 * "body"}, so neither can be moved to another name or swapped with the other. The header records
 * the file name, its size and a keyed hash (HMAC under the id key) of its plaintext, so that
 * pushing the same file again is recognised from the header alone (two small reads, no decryption
 * of the body), and a different file under a name already archived is refused.
 *
 * <p>Besides whole files, a streaming receiver stores the bytes of a segment that is not complete
 * yet as fragments {@code <segment>.<start>-<end>.partial} (byte offsets, 8 upper-case hex digits).
 * {@link #fetch} assembles a segment from its fragments when the whole segment is not archived.
 */
public final class WalArchive {
  public static final byte[] MAGIC = "RDWAL001".getBytes(StandardCharsets.US_ASCII);
  public static final int VERSION = 1;

  /**
   * The archive's area among the repository's side objects: {@code wal/<cluster>/<file>}, the
   * object's path, and the name its object key is derived under. Fixed by the repository format.
   */
  static final String AREA = "wal";

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Repository repo;
  private final long systemId;
  private final String cluster;

  public WalArchive(Repository repo, long systemId) {
    this.repo = repo;
    this.systemId = systemId;
    this.cluster = WalNames.clusterId(systemId);
  }

  public long systemId() {
    return systemId;
  }

  public Repository repository() {
    return repo;
  }

  /**
   * The authenticated header of one archived object. {@code hash} is HMAC-SHA256 under the
   * repository's id key of the plaintext (64 hex). Segments and fragments carry {@code
   * segmentSize}; fragments also {@code start} and {@code end} (the byte range of the segment they
   * hold, end exclusive).
   */
  public record Header(
      int version,
      String name,
      long size,
      String hash,
      Long segmentSize,
      Long start,
      Long end,
      String archived,
      String host) {}

  /** What {@link #fetch} found: the bytes, and whether they are a whole archived file. */
  public record Fetched(byte[] bytes, boolean complete, String note) {}

  /** One object of the archive as listed: its file name and stored size. */
  public record Entry(String name, long storedSize, Instant modified) {}

  public enum PushResult {
    STORED,
    ALREADY_ARCHIVED
  }

  /** All system identifiers that have WAL in this repository. */
  public static List<Long> clusters(Repository repo) throws IOException {
    TreeSet<String> ids = new TreeSet<>();
    for (ObjectInfo i : repo.backend().list(ObjectKind.SIDE, AREA + "/")) {
      if (WalNames.isArchiveObject(i.name())) ids.add(i.name().group());
    }
    return ids.stream().map(h -> Long.parseUnsignedLong(h, 16)).toList();
  }

  private ObjectName objectName(String file) {
    if (!WalNames.isArchivable(file) && !WalNames.FRAGMENT.matcher(file).matches()) {
      throw new IllegalArgumentException(
          "WAL object id must be <16 hex>/<WAL file name>: " + cluster + "/" + file);
    }
    return ObjectName.side(AREA, cluster, file);
  }

  /**
   * Archives a whole file (segment, timeline history or backup history file). Idempotent: the same
   * content under the same name again is {@link PushResult#ALREADY_ARCHIVED}; different content
   * under a name already archived is refused, and the archived copy is kept.
   */
  public PushResult push(String name, byte[] content) throws IOException {
    return push(name, content, content.length, new PushBuffers());
  }

  /**
   * The working memory of pushes, reused from one push to the next by one thread at a time: a
   * segment's compressed frame and its sealed object, each about the size of a segment, are the
   * largest allocations of archiving, and allocating them per push makes the heap grow with the
   * number of pushes under way and the garbage collector clear and copy them.
   */
  public static final class PushBuffers {
    private byte[] framed = new byte[0];
    private byte[] sealed = new byte[0];

    byte[] framed(int size) {
      if (framed.length < size) framed = new byte[size];
      return framed;
    }

    byte[] sealed(int size) {
      if (sealed.length < size) sealed = new byte[size];
      return sealed;
    }
  }

  /**
   * As {@link #push(String, byte[])} for the first {@code length} bytes of {@code content}, sealed
   * in {@code buffers} (which must not be used by another thread meanwhile).
   */
  public PushResult push(String name, byte[] content, int length, PushBuffers buffers)
      throws IOException {
    if (!WalNames.isArchivable(name)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "'"
              + name
              + "' is not a WAL segment, timeline history or backup "
              + "history file name; archive_command must pass %p (the file's path)");
    }
    Long segmentSize = null;
    if (WalNames.isSegment(name)) {
      segmentSize = (long) length;
      WalFileHeader h = WalFileHeader.parse(content, length);
      if (h != null && h.systemId() != systemId) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            "WAL segment "
                + name
                + " belongs to the cluster with system "
                + "identifier "
                + WalNames.systemIdText(h.systemId())
                + ", not "
                + WalNames.systemIdText(systemId));
      }
    }
    return store(name, content, length, segmentSize, null, null, null, buffers);
  }

  /**
   * Archives bytes {@code [start, start + bytes.length)} of a segment that is not complete yet (for
   * a streaming receiver). Returns the fragment's file name. Idempotent like {@link #push}.
   */
  public String pushFragment(String segment, long segmentSize, long start, byte[] bytes)
      throws IOException {
    if (!WalNames.isSegment(segment)) {
      throw new IllegalArgumentException("not a segment name: " + segment);
    }
    long end = start + bytes.length;
    if (start < 0 || end > segmentSize || bytes.length == 0) {
      throw new IllegalArgumentException(
          "fragment " + start + ".." + end + " does not lie in a segment of " + segmentSize);
    }
    String name = WalNames.fragmentName(segment, start, end);
    store(name, bytes, bytes.length, segmentSize, start, end, null, new PushBuffers());
    return name;
  }

  /**
   * Archives a file of the same cluster's archive in another repository under the same name, sealed
   * under this repository's keys (read, authenticated and verified there first). The copy keeps
   * when and from which host the file was first archived: the end of a recoverable window is dated
   * by it. Idempotent like {@link #push}. Null when the source has no such file.
   */
  public PushResult copyFrom(WalArchive source, String name) throws IOException {
    if (source.systemId != systemId) {
      throw new IllegalArgumentException(
          "copying WAL of cluster "
              + WalNames.systemIdText(source.systemId)
              + " into the archive of "
              + WalNames.systemIdText(systemId));
    }
    Opened o = source.open(name);
    if (o == null) return null;
    Header h = o.header();
    byte[] content = o.content();
    return store(
        name, content, content.length, h.segmentSize(), h.start(), h.end(), h, new PushBuffers());
  }

  /**
   * {@code original}: the header of the file this is a copy of, or null for a file archived now.
   */
  private PushResult store(
      String name,
      byte[] content,
      int length,
      Long segmentSize,
      Long start,
      Long end,
      Header original,
      PushBuffers buffers)
      throws IOException {
    ObjectName on = objectName(name);
    String hash = repo.key().blobId(content, 0, length).hex();
    if (repo.backend().size(on) >= 0) {
      return compare(name, hash, length);
    }
    Header header =
        new Header(
            VERSION,
            name,
            length,
            hash,
            segmentSize,
            start,
            end,
            original != null ? original.archived() : Instant.now().toString(),
            original != null ? original.host() : Hosts.host());
    try {
      int sealedLength = seal(on, header, content, length, buffers);
      repo.backend().write(on, ByteBuffer.wrap(buffers.sealed(0), 0, sealedLength), true);
      return PushResult.STORED;
    } catch (ObjectExistsException e) {
      return compare(name, hash, length); // another pusher got there first
    }
  }

  private PushResult compare(String name, String hash, long size) throws IOException {
    Header there = header(name);
    if (there.hash().equals(hash) && there.size() == size) {
      return PushResult.ALREADY_ARCHIVED;
    }
    throw new RoadieException(
        ErrorCode.FAILURE,
        repo.backend().location()
            + ": "
            + objectName(name).path()
            + " is already archived with different content ("
            + there.size()
            + " bytes, archived "
            + there.archived()
            + " from "
            + there.host()
            + "); the archived copy is kept and this one refused. Two clusters with system "
            + "identifier "
            + WalNames.systemIdText(systemId)
            + " on the same timeline archive into this repository "
            + "(a restored copy that was promoted?), or the file changed; see docs/runbooks/postgres-pitr.md");
  }

  /** Seals the object into {@code buffers.sealed} and returns its length. */
  private int seal(ObjectName on, Header header, byte[] content, int length, PushBuffers buffers) {
    byte[] key = objectKey(on);
    byte[] headerPlain = Json.write(header);
    byte[] framed = buffers.framed(Compression.bound(length));
    int framedLength = Compression.packInto(content, 0, length, framed);
    int headerLength = headerPlain.length + Aead.OVERHEAD;
    int total = MAGIC.length + 4 + headerLength + framedLength + Aead.OVERHEAD;
    byte[] out = buffers.sealed(total);
    System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
    ByteBuffer.wrap(out).putInt(MAGIC.length, headerLength);
    int pos = MAGIC.length + 4;
    pos += Aead.seal(key, nonce(), aad(on, "header"), headerPlain, 0, headerPlain.length, out, pos);
    Aead.seal(key, nonce(), aad(on, "body"), framed, 0, framedLength, out, pos);
    return total;
  }

  /**
   * The key an archived object is sealed under: the repository's object key for {@code
   * <cluster>/<file>} in the name {@code wal} (as it has been since the first WAL object).
   */
  private byte[] objectKey(ObjectName on) {
    return repo.key().objectKey(AREA, on.group() + "/" + on.sideName());
  }

  private static byte[] nonce() {
    byte[] n = new byte[Aead.NONCE_BYTES];
    RANDOM.nextBytes(n);
    return n;
  }

  private static byte[] aad(ObjectName on, String unit) {
    // on.path() is wal/<cluster>/<file>, the object's path in the repository.
    return (new String(MAGIC, StandardCharsets.US_ASCII) + on.path() + unit)
        .getBytes(StandardCharsets.UTF_8);
  }

  /** Whether a whole file of this name is archived (fragments do not count). */
  public boolean has(String name) throws IOException {
    return repo.backend().size(objectName(name)) >= 0;
  }

  /** Reads and authenticates only the header of an archived object (two small ranged reads). */
  public Header header(String name) throws IOException {
    ObjectName on = objectName(name);
    byte[] head = repo.backend().readRange(on, 0, MAGIC.length + 4);
    int headerLength = checkMagic(on, head);
    byte[] sealed = repo.backend().readRange(on, MAGIC.length + 4, headerLength);
    return openHeader(on, sealed, 0, headerLength);
  }

  private int checkMagic(ObjectName on, byte[] bytes) {
    if (bytes.length < MAGIC.length + 4
        || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new RoadieException(
          ErrorCode.INTEGRITY,
          on.path() + " does not start with the WAL object magic: damaged or not roadie's");
    }
    int headerLength = ByteBuffer.wrap(bytes).getInt(MAGIC.length);
    if (headerLength < Aead.OVERHEAD || headerLength > 1 << 20) {
      throw new RoadieException(
          ErrorCode.INTEGRITY, on.path() + " has a damaged header length " + headerLength);
    }
    return headerLength;
  }

  private Header openHeader(ObjectName on, byte[] buf, int off, int len) throws IOException {
    byte[] key = objectKey(on);
    byte[] plain = Aead.open(key, aad(on, "header"), buf, off, len, on.path() + " header");
    Header h = Json.read(plain, Header.class, on.path() + " header");
    String file = on.sideName();
    if (!file.equals(h.name())) {
      throw new RoadieException(
          ErrorCode.INTEGRITY, on.path() + " names itself " + h.name() + " inside: damaged");
    }
    return h;
  }

  /** Reads, authenticates and verifies one whole archived object; null when it does not exist. */
  public byte[] read(String name) throws IOException {
    Opened o = open(name);
    return o == null ? null : o.content();
  }

  private record Opened(Header header, byte[] content) {}

  private Opened open(String name) throws IOException {
    ObjectName on = objectName(name);
    byte[] all;
    try {
      all = repo.backend().read(on);
    } catch (NoSuchObjectException e) {
      return null;
    }
    int headerLength = checkMagic(on, all);
    int bodyOffset = MAGIC.length + 4 + headerLength;
    if (bodyOffset > all.length) {
      throw new RoadieException(ErrorCode.INTEGRITY, on.path() + " is truncated");
    }
    Header h = openHeader(on, all, MAGIC.length + 4, headerLength);
    byte[] key = objectKey(on);
    byte[] framed =
        Aead.open(key, aad(on, "body"), all, bodyOffset, all.length - bodyOffset, on.path());
    if (h.size() > Integer.MAX_VALUE - 16) {
      throw new RoadieException(ErrorCode.INTEGRITY, on.path() + " claims " + h.size() + " bytes");
    }
    byte[] content = Compression.unpack(framed, (int) h.size(), on.path());
    if (!repo.key().blobId(content).hex().equals(h.hash())) {
      throw new RoadieException(
          ErrorCode.INTEGRITY, on.path() + " does not match the hash in its header: damaged");
    }
    return new Opened(h, content);
  }

  /**
   * The bytes of a file for restore_command: the archived file itself, or, for a segment that is
   * not archived whole, the segment assembled from fragments that cover it from byte 0. When the
   * fragments end before the segment does, the rest is zeros (recovery ends at the first zero
   * record, as with pg_receivewal's {@code .partial} files) and {@code complete} is false. Null
   * when nothing usable is archived.
   */
  public Fetched fetch(String name) throws IOException {
    byte[] whole = read(name);
    if (whole != null) {
      return new Fetched(whole, true, null);
    }
    if (!WalNames.isSegment(name)) {
      return null;
    }
    return assemble(name);
  }

  /** The fragments archived for one segment, as (name, start, end), by start then end. */
  public List<Fragment> fragments(String segment) throws IOException {
    List<Fragment> out = new ArrayList<>();
    for (ObjectInfo i :
        repo.backend().list(ObjectKind.SIDE, AREA + "/" + cluster + "/" + segment + ".")) {
      Matcher m = WalNames.FRAGMENT.matcher(i.name().sideName());
      if (m.matches() && m.group(1).equals(segment)) {
        out.add(
            new Fragment(
                m.group(), Long.parseLong(m.group(2), 16), Long.parseLong(m.group(3), 16)));
      }
    }
    out.sort(Comparator.comparingLong(Fragment::start).thenComparingLong(Fragment::end));
    return out;
  }

  public record Fragment(String name, long start, long end) {}

  private Fetched assemble(String segment) throws IOException {
    List<Fragment> fragments = fragments(segment);
    byte[] out = null;
    long pos = 0;
    long segmentSize = Long.MAX_VALUE;
    while (pos < segmentSize) {
      // Of the fragments that hold the byte at pos, take the one that reaches furthest.
      Fragment best = null;
      for (Fragment f : fragments) {
        if (f.start() <= pos && f.end() > pos && (best == null || f.end() > best.end())) best = f;
      }
      if (best == null) break; // a gap, or the end of what was received
      Opened o = open(best.name());
      if (o == null) break; // removed meanwhile, once the whole segment was archived
      if (out == null) {
        segmentSize =
            o.header().segmentSize() == null
                ? WalNames.DEFAULT_SEGMENT_SIZE
                : o.header().segmentSize();
        out = new byte[(int) segmentSize];
      }
      byte[] bytes = o.content();
      int overlap = (int) (pos - best.start());
      if (best.end() > segmentSize
          || bytes.length != best.end() - best.start()
          || !Arrays.equals(bytes, 0, overlap, out, (int) best.start(), (int) pos)) {
        throw new RoadieException(
            ErrorCode.INTEGRITY,
            "fragment "
                + best.name()
                + " disagrees with the fragments of "
                + segment
                + " before it; the archive holds two histories of this segment");
      }
      System.arraycopy(bytes, overlap, out, (int) pos, bytes.length - overlap);
      pos = best.end();
    }
    if (out == null) return null;
    boolean complete = pos == segmentSize;
    return new Fetched(
        out,
        complete,
        complete
            ? null
            : segment
                + " is archived only up to byte "
                + pos
                + " of "
                + segmentSize
                + " (the rest is zeros): recovery ends at or before "
                + WalNames.formatLsn(
                    WalNames.segmentNumber(segment, segmentSize) * segmentSize + pos));
  }

  /** Every object of this cluster's archive, by name. */
  public List<Entry> list() throws IOException {
    List<Entry> out = new ArrayList<>();
    for (ObjectInfo i : repo.backend().list(ObjectKind.SIDE, AREA + "/" + cluster + "/")) {
      if (WalNames.isArchiveObject(i.name()))
        out.add(new Entry(i.name().sideName(), i.size(), i.modified()));
    }
    out.sort(Comparator.comparing(Entry::name));
    return out;
  }

  /**
   * Until when the storage's object lock keeps an archived object; null when nothing does
   * (fragments, a repository without object lock).
   */
  public Instant retainedUntil(String name) throws IOException {
    return repo.backend().retainedUntil(objectName(name));
  }

  /** Deletes one archived object (used by forget for WAL no kept backup can use). */
  public void delete(String name) throws IOException {
    repo.backend().delete(objectName(name));
  }
}
