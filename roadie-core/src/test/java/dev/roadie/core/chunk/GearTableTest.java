package dev.roadie.core.chunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class GearTableTest {
  static byte[] key(int first) {
    byte[] key = new byte[32];
    for (int i = 0; i < key.length; i++) {
      key[i] = (byte) (first + i);
    }
    return key;
  }

  /**
   * Frozen from this implementation and checked against an independent Python script written from
   * the class Javadoc: {@code struct.unpack('>4Q', hmac.new(bytes(range(32)), b'roadie gear v1' +
   * struct.pack('>I', 0), hashlib.sha256).digest())}.
   */
  @Test
  void knownAnswerForKeyZeroToThirtyOne() {
    long[] values = GearTable.derive(key(0)).values();
    assertEquals(256, values.length);
    assertArrayEquals(
        new long[] {
          0x1a0bc618004745faL, 0xdfb5445f0f5a67bdL, 0x4184fc7709e5c783L, 0x8add470b6b0bec20L
        },
        Arrays.copyOf(values, 4));
  }

  @Test
  void deterministicAndKeyDependent() {
    assertArrayEquals(GearTable.derive(key(0)).values(), GearTable.derive(key(0)).values());
    assertFalse(
        Arrays.equals(GearTable.derive(key(0)).values(), GearTable.derive(key(1)).values()));
  }

  @Test
  void valuesAreDistinct() {
    assertEquals(256, Arrays.stream(GearTable.derive(key(0)).values()).distinct().count());
  }

  @Test
  void rejectsWrongKeyLength() {
    assertThrows(IllegalArgumentException.class, () -> GearTable.derive(new byte[16]));
    assertThrows(IllegalArgumentException.class, () -> GearTable.derive(new byte[33]));
    assertThrows(NullPointerException.class, () -> GearTable.derive(null));
  }
}
