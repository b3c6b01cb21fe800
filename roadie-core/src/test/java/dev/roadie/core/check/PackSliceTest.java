package dev.roadie.core.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Slices n/m of the packs: m runs read every pack exactly once. */
class PackSliceTest {
  @Property
  void everyPackIsInExactlyOneSliceOfM(@ForAll @IntRange(min = 1, max = 500) int m) {
    for (int i = 0; i < 50; i++) {
      Id pack = Id.random();
      int in = 0;
      for (int n = 1; n <= m; n++) {
        if (new PackSlice(n, m).contains(pack)) in++;
      }
      assertEquals(1, in, pack.hex() + " in " + in + " of " + m + " slices");
    }
  }

  @Test
  void parsesAndWraps() {
    assertEquals(new PackSlice(3, 7), PackSlice.parse("3/7"));
    assertNull(PackSlice.parse("10%"));
    assertEquals(new PackSlice(1, 7), new PackSlice(7, 7).next());
    assertEquals(new PackSlice(5, 7), new PackSlice(4, 7).next());
    assertThrows(RoadieException.class, () -> PackSlice.parse("0/7"));
    assertThrows(RoadieException.class, () -> PackSlice.parse("8/7"));
    assertThrows(RoadieException.class, () -> PackSlice.parse("a/b"));
  }
}
