package dev.roadie.files;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * File names and symlink targets as snapshots record them, exact for every byte string a Unix name
 * may hold. A Unix name is bytes (anything but '/' and NUL), usually UTF-8; Java shows a name that
 * is not valid UTF-8 with U+FFFD in place of the bad bytes, which would restore under another name.
 * Such a name is recorded as its valid UTF-8 runs with each other byte written as NUL and two hex
 * digits: NUL never occurs in a real name, so the recorded form is unambiguous, and a name that is
 * valid UTF-8 (nearly all) is recorded as itself.
 *
 * <p>The name's bytes are reached through {@code file:} URIs, which the JDK writes and reads byte
 * for byte ({@code %FF}), where its {@code String} forms are lossy.
 */
final class FileNames {
  private static final char ESCAPE = '\0';
  private static final char LOSSY = '\uFFFD';

  private FileNames() {}

  /** The recorded name of {@code p}'s last element. */
  static String name(Path p) {
    String s = p.getFileName().toString();
    if (s.indexOf(LOSSY) < 0) return s;
    String raw = p.toAbsolutePath().toUri().getRawPath();
    if (raw.endsWith("/")) raw = raw.substring(0, raw.length() - 1); // toUri marks directories
    return record(decodePercent(raw.substring(raw.lastIndexOf('/') + 1)));
  }

  /**
   * The recorded target of a symlink whose target {@link java.nio.file.Files#readSymbolicLink}
   * read.
   */
  static String linkTarget(Path target) {
    String s = target.toString();
    if (s.indexOf(LOSSY) < 0) return s;
    boolean absolute = target.isAbsolute();
    String raw = (absolute ? target : Path.of("/").resolve(target)).toUri().getRawPath();
    if (raw.length() > 1 && raw.endsWith("/")) raw = raw.substring(0, raw.length() - 1);
    return record(decodePercent(absolute ? raw : raw.substring(1)));
  }

  /** The path of entry {@code name} (a recorded name) in directory {@code dir}. */
  static Path child(Path dir, String name) {
    if (name.indexOf(ESCAPE) < 0) return dir.resolve(name);
    byte[] bytes = bytes(name);
    for (byte b : bytes) {
      if (b == '/' || b == 0) {
        throw new RoadieException(
            ErrorCode.INTEGRITY,
            "the snapshot has an unsafe entry name "
                + printable(name)
                + "; refusing to write outside the target");
      }
    }
    String base = dir.toAbsolutePath().toUri().toString();
    return Path.of(URI.create((base.endsWith("/") ? base : base + "/") + encodePercent(bytes)));
  }

  /** The path a recorded symlink target stands for, byte for byte. */
  static Path linkPath(String recorded) {
    if (recorded.indexOf(ESCAPE) < 0) return Path.of(recorded);
    byte[] bytes = bytes(recorded);
    Path out = bytes.length > 0 && bytes[0] == '/' ? Path.of("/") : null;
    int start = 0;
    for (int i = 0; i <= bytes.length; i++) {
      if (i < bytes.length && bytes[i] != '/') continue;
      if (i > start) {
        byte[] element = java.util.Arrays.copyOfRange(bytes, start, i);
        Path e =
            isUtf8(element)
                ? Path.of(new String(element, StandardCharsets.UTF_8))
                : Path.of("/").relativize(Path.of(URI.create("file:///" + encodePercent(element))));
        out = out == null ? e : out.resolve(e);
      }
      start = i + 1;
    }
    return out == null ? Path.of("") : out;
  }

  /** A recorded name in a form fit for a message: the escapes shown as \xFF. */
  static String printable(String recorded) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < recorded.length(); i++) {
      char c = recorded.charAt(i);
      if (c == ESCAPE && i + 2 < recorded.length()) {
        b.append("\\x").append(recorded, i + 1, i + 3);
        i += 2;
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  /** The recorded form of a name's bytes. */
  static String record(byte[] raw) {
    CharsetDecoder d =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(raw);
    CharBuffer out = CharBuffer.allocate(raw.length * 3 + 1);
    while (true) {
      CoderResult r = d.decode(in, out, true);
      if (r.isError()) {
        for (int i = 0; i < r.length(); i++) {
          out.put(ESCAPE).put(String.format("%02x", in.get() & 0xff));
        }
      } else if (r.isUnderflow()) {
        break;
      } else {
        throw new IllegalStateException(r.toString()); // the buffer holds 3 chars per byte
      }
    }
    d.flush(out);
    return out.flip().toString();
  }

  /** The bytes of a recorded name. */
  static byte[] bytes(String recorded) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(recorded.length() + 8);
    int run = 0;
    for (int i = 0; i < recorded.length(); i++) {
      if (recorded.charAt(i) != ESCAPE) continue;
      out.writeBytes(recorded.substring(run, i).getBytes(StandardCharsets.UTF_8));
      if (i + 2 >= recorded.length()) throw unreadable(recorded);
      try {
        out.write(Integer.parseInt(recorded.substring(i + 1, i + 3), 16));
      } catch (NumberFormatException e) {
        throw unreadable(recorded);
      }
      i += 2;
      run = i + 1;
    }
    out.writeBytes(recorded.substring(run).getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  private static RoadieException unreadable(String recorded) {
    return new RoadieException(
        ErrorCode.INTEGRITY,
        "the snapshot has an entry name with a broken byte escape: " + printable(recorded));
  }

  private static boolean isUtf8(byte[] b) {
    return record(b).indexOf(ESCAPE) < 0;
  }

  private static byte[] decodePercent(String raw) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%' && i + 2 < raw.length()) {
        out.write(Integer.parseInt(raw.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
      }
    }
    return out.toByteArray();
  }

  private static String encodePercent(byte[] bytes) {
    StringBuilder b = new StringBuilder(bytes.length * 3);
    for (byte x : bytes) {
      int c = x & 0xff;
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '.'
          || c == '_'
          || c == '~') {
        b.append((char) c);
      } else {
        b.append('%').append(String.format("%02X", c));
      }
    }
    return b.toString();
  }
}
