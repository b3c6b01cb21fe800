package dev.roadie.core.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * RFC 7914 section 12 test vectors (the empty-password vector is left out: HMAC keys cannot be
 * empty).
 */
class ScryptTest {
  private static String derive(String pw, String salt, int n, int r, int p) {
    return HexFormat.of()
        .formatHex(
            Scrypt.derive(
                pw.getBytes(StandardCharsets.US_ASCII),
                salt.getBytes(StandardCharsets.US_ASCII),
                n,
                r,
                p,
                64));
  }

  @Test
  void rfc7914Vector2() {
    assertEquals(
        "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
            + "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640",
        derive("password", "NaCl", 1024, 8, 16));
  }

  @Test
  void rfc7914Vector3() {
    assertEquals(
        "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
            + "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887",
        derive("pleaseletmein", "SodiumChloride", 16384, 8, 1));
  }
}
