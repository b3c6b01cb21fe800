package dev.roadie.bucket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/** Object names as paths of a directory restore: plain where possible, else reversibly encoded. */
class FileNamesTest {

  @Test
  void namesThatAreAlsoDirectoriesOfLaterNamesAreFoundInListingOrder() {
    List<String> names =
        new ArrayList<>(
            List.of(
                "a", "a b", "a-b", "a.txt", "a/b", "a/b/c", "ab", "b", "b!", "c/d", "x/y", "x/y/z",
                "x/yz"));
    names.sort(Keys.ORDER);
    assertEquals(Set.of("a", "a/b", "x/y"), FileNames.directoryNames(names.iterator()));
  }

  @Property
  void directoryNamesAgreesWithTheDefinition(@ForAll List<@StringLength(max = 6) String> raw) {
    List<String> names =
        new ArrayList<>(
            new HashSet<>(raw.stream().map(s -> s.replaceAll("[^ab/.-]", "/")).toList()));
    names.sort(Keys.ORDER);
    Set<String> expected = new HashSet<>();
    for (String p : names) {
      for (String n : names) {
        if (n.startsWith(p + "/")) expected.add(p);
      }
    }
    assertEquals(expected, FileNames.directoryNames(names.iterator()), names.toString());
  }

  @Test
  void namesThatCannotBePathsAreEncodedUnderTheirOwnDirectory() {
    assertEquals("dir/file.txt", FileNames.path("dir/file.txt", Set.of()));
    assertEquals("with space %41.txt", FileNames.path("with space %41.txt", Set.of()));
    for (String odd :
        List.of(
            "",
            "a//b",
            "a/./b",
            "..",
            "a/..",
            "trailing/",
            "/lead",
            "nul\0byte",
            "x".repeat(256),
            ".roadie-bucket-metadata.jsonl",
            ".roadie-encoded/x",
            "a")) {
      String p = FileNames.path(odd, Set.of("a"));
      assertTrue(p.startsWith(FileNames.ENCODED + "/"), odd + " -> " + p);
      assertEquals(odd, FileNames.decode(p));
      for (String segment : p.split("/")) {
        assertTrue(segment.getBytes(StandardCharsets.UTF_8).length <= 255, segment);
        assertFalse(segment.isEmpty() || segment.equals(".") || segment.equals(".."), p);
      }
    }
  }

  @Property
  void encodingIsReversibleAndNeverMakesAFileWhereAnotherNeedsADirectory(
      @ForAll @StringLength(max = 1100) String a, @ForAll @StringLength(max = 1100) String b) {
    String pa = FileNames.encode(a);
    String pb = FileNames.encode(b);
    assertEquals(a, FileNames.decode(pa));
    if (!a.equals(b)) {
      assertFalse(pb.startsWith(pa + "/"), pa + " is a file and a directory");
      assertFalse(pa.equals(pb));
    }
  }
}
