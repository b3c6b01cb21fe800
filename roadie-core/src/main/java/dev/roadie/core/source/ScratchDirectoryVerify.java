package dev.roadie.core.source;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scratch verification of a kind that restores into a directory and has no throwaway server of
 * its own: restore into a fresh scratch directory with the kind's default options, then compare the
 * copy with {@link SourceProvider#verify}. The file source verifies this way (every file re-read
 * and its chunks re-hashed against the snapshot); so does any source that restores to a directory.
 */
public final class ScratchDirectoryVerify {
  private ScratchDirectoryVerify() {}

  public static ScratchVerifyResult run(SourceProvider source, ScratchVerifyRequest request)
      throws IOException {
    String kind = request.kind();
    boolean directory =
        source.destinations(kind).stream().anyMatch(f -> f.type() == Destination.Type.DIRECTORY);
    if (!directory) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          kind
              + " snapshots cannot be verified in scratch space yet: the "
              + kind
              + " source neither restores into a directory nor sets up a scratch server of its own");
    }
    Path dir = request.scratch().directory(kind);
    Destination.Directory copy = new Destination.Directory(dir.resolve("restore"));
    List<Check> checks = new ArrayList<>();
    long start = System.nanoTime();
    RestoreResult restored;
    try {
      restored =
          source.restore(
              new RestoreRequest(
                  request.repository(), request.snapshot(), copy, null, request.progress()));
    } catch (RoadieException | IOException e) {
      checks.add(restoreFailed(e));
      return new ScratchVerifyResult(checks, copy.describe(), null);
    }
    Map<String, Object> figures = new LinkedHashMap<>();
    for (RestoreResult.Count c : restored.counts()) figures.put(c.many(), c.value());
    figures.put("bytes", restored.bytes());
    figures.put("seconds", seconds(System.nanoTime() - start));
    checks.add(
        Check.pass(
            "restore",
            "restored "
                + restored.counts().stream()
                    .map(Object::toString)
                    .reduce((a, b) -> a + ", " + b)
                    .orElse("nothing")
                + " into a scratch directory",
            figures));
    long verifyStart = System.nanoTime();
    VerifyResult v =
        source.verify(new VerifyRequest(request.repository(), request.snapshot(), copy, null));
    Map<String, Object> vf = new LinkedHashMap<>();
    vf.put(v.unit(), v.checked());
    vf.put("differences", v.differences().size());
    vf.put("seconds", seconds(System.nanoTime() - verifyStart));
    checks.add(
        Check.of(
            "content",
            v.matches()
                ? v.checked() + " " + v.unit() + " equal the snapshot's"
                : v.differences().size()
                    + " of "
                    + v.checked()
                    + " "
                    + v.unit()
                    + " differ from the snapshot",
            vf,
            v.differences()));
    return new ScratchVerifyResult(
        checks, "a scratch directory", request.snapshot().snapshot().time());
  }

  /**
   * A failed restore as a check: {@code damaged} when the repository is (a missing or altered
   * pack), else {@code fail}.
   */
  public static Check restoreFailed(Exception e) {
    boolean damaged = damaged(e);
    String why =
        e instanceof RoadieException
            ? e.getMessage()
            : dev.roadie.core.FileFailure.describe((IOException) e);
    return new Check(
        "restore",
        damaged ? Check.DAMAGED : Check.FAIL,
        "the restore failed: " + why,
        Map.of(),
        List.of());
  }

  /**
   * Whether a failure means the repository is damaged: data that does not authenticate ({@link
   * ErrorCode#INTEGRITY}) or an object the index names that storage does not have, anywhere in the
   * chain of causes (a source wraps what its restore met).
   */
  public static boolean damaged(Throwable e) {
    for (int i = 0; e != null && i < 16; e = e.getCause(), i++) {
      if (e instanceof RoadieException r && r.code() == ErrorCode.INTEGRITY) return true;
      if (e instanceof dev.roadie.core.backend.NoSuchObjectException) return true;
    }
    return false;
  }

  public static double seconds(long nanos) {
    return Math.round(nanos / 1e7) / 100.0;
  }
}
