package dev.roadie.bucket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.json.Json;
import dev.roadie.core.snapshot.Node;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PartLayoutTest {
  static final long MIB = 1 << 20;

  static List<Long> sizes(PartLayout l) {
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < l.count(); i++) out.add((long) l.size(i));
    return out;
  }

  @Test
  void recordedPartsAreWrittenAsTheyWere() {
    List<Long> parts = List.of(6 * MIB, 5 * MIB, 7 * MIB, MIB);
    PartLayout l = PartLayout.of(19 * MIB, 6 * MIB, parts);
    assertEquals(parts, sizes(l));
    assertEquals(7 << 20, l.largest(), "the buffer: the longest part");
    assertEquals(19 * MIB, l.total());
  }

  @Test
  void withoutRecordedPartsTheFirstPartsLengthIsRepeated() {
    assertEquals(
        List.of(6 * MIB, 6 * MIB, 6 * MIB, MIB), sizes(PartLayout.of(19 * MIB, 6 * MIB, null)));
    assertEquals(List.of(16 * MIB, 3 * MIB), sizes(PartLayout.of(19 * MIB, null, null)));
    assertEquals(List.of(0L), sizes(PartLayout.of(0, null, null)), "one empty part");
  }

  @Test
  void partsThatCannotBeWrittenFallBackToTheFirstPartsLength() {
    List<Long> uniform6 = List.of(6 * MIB, 6 * MIB, 6 * MIB, MIB);
    // Not summing to the object's size.
    assertEquals(
        uniform6, sizes(PartLayout.of(19 * MIB, 6 * MIB, List.of(6 * MIB, 5 * MIB, 7 * MIB))));
    // A part but the last shorter than S3 accepts.
    assertNull(PartLayout.exactly(List.of(MIB, 18 * MIB), 19 * MIB));
    // An empty last part.
    assertNull(PartLayout.exactly(List.of(19 * MIB, 0L), 19 * MIB));
    // Longer than roadie buffers.
    long huge = Bucket.MAX_BUFFERED_PART + 1L;
    assertNull(PartLayout.exactly(List.of(huge, MIB), huge + MIB));
    assertEquals(List.of(0L), sizes(PartLayout.exactly(List.of(0L), 0)));
  }

  @Test
  void aLayoutIsUniformWhenItsFirstPartTellsIt() {
    assertTrue(PartLayout.isUniform(List.of(5 * MIB, 5 * MIB, 2 * MIB)));
    assertTrue(PartLayout.isUniform(List.of(5 * MIB, 5 * MIB)));
    assertTrue(PartLayout.isUniform(List.of(3 * MIB)));
    assertFalse(PartLayout.isUniform(List.of(6 * MIB, 5 * MIB, 7 * MIB, MIB)));
    assertFalse(PartLayout.isUniform(List.of(5 * MIB, 5 * MIB, 7 * MIB)), "a longer last part");
  }

  /** The node of a 17 MiB object with {@code meta}, as a snapshot's page holds it. */
  static Node node(Map<String, Object> meta) {
    return new Node(
        "k",
        Node.FILE,
        17 * MIB,
        null,
        "2024-05-06T07:08:09.123Z",
        null,
        null,
        null,
        List.of(),
        null,
        null,
        meta);
  }

  @Test
  void recordedPartSizesSurviveTheNodeAndAreLeftOutWhenNone() throws IOException {
    SnapshotObject o =
        new SnapshotObject(
            "k",
            false,
            17 * MIB,
            "0123456789abcdef0123456789abcdef-3",
            Instant.parse("2024-05-06T07:08:09.123Z"),
            null,
            true,
            "00",
            null,
            null,
            5 * MIB,
            List.of(5 * MIB, 5 * MIB, 7 * MIB));
    Node read = Json.read(Json.write(node(o.meta())), Node.class, "node");
    assertEquals(o.partSizes(), SnapshotObject.of(read).partSizes());
    assertEquals(5 * MIB, SnapshotObject.of(read).partSize());
    assertEquals(o.partSizes(), o.withLatest(true).partSizes());
    Map<String, Object> meta = new LinkedHashMap<>(o.meta());
    meta.remove("partSizes");
    assertNull(
        SnapshotObject.of(node(meta)).partSizes(), "a node of before part sizes were recorded");
  }
}
