package dev.roadie.postgres.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * What roadie reads from PostgreSQL's own files: the long page header at the start of every WAL
 * segment ({@code XLogLongPageHeaderData}: magic, info, timeline, page address, remaining length,
 * system identifier at byte 24, segment size at 32, block size at 36) and the system identifier at
 * the start of {@code global/pg_control}. Both are in the server's byte order, which is the byte
 * order of the machine that runs archive_command (little-endian on x86 and arm64).
 */
public record WalFileHeader(
    int magic, int timeline, long pageAddress, long systemId, long segmentSize) {
  private static final int XLP_LONG_HEADER = 0x0002;

  /** The header of a segment's first page, or null when the bytes do not start with one. */
  public static WalFileHeader parse(byte[] segment) {
    return parse(segment, segment.length);
  }

  /** As {@link #parse(byte[])} for the first {@code length} bytes of {@code segment}. */
  public static WalFileHeader parse(byte[] segment, int length) {
    if (length < 40) return null;
    ByteBuffer b = ByteBuffer.wrap(segment).order(ByteOrder.nativeOrder());
    int magic = Short.toUnsignedInt(b.getShort(0));
    int info = Short.toUnsignedInt(b.getShort(2));
    if ((info & XLP_LONG_HEADER) == 0 || magic < 0xD000 || magic > 0xDFFF) return null;
    return new WalFileHeader(
        magic, b.getInt(4), b.getLong(8), b.getLong(24), Integer.toUnsignedLong(b.getInt(32)));
  }

  /** The system identifier recorded in {@code <pgdata>/global/pg_control}. */
  public static long systemIdOfDataDirectory(Path pgdata) throws IOException {
    try (FileChannel ch =
        FileChannel.open(pgdata.resolve("global").resolve("pg_control"), StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
      while (b.hasRemaining()) {
        if (ch.read(b) < 0)
          throw new IOException(pgdata + "/global/pg_control is shorter than 8 bytes");
      }
      return b.getLong(0);
    }
  }
}
