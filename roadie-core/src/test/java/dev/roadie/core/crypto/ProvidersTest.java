package dev.roadie.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The native provider loads only once enough data went through AES-GCM. Checked in a child JVM: the
 * provider's state is per JVM, and other tests in this one may have loaded it already.
 */
class ProvidersTest {
  @Test
  void nativeProviderLoadsOnlyAfterEnoughData() throws Exception {
    runChild(Child.class);
  }

  /**
   * {@link Providers#useJdkOnly} (ROADIE_CRYPTO=jdk, the training run): the native provider never
   * loads.
   */
  @Test
  void jdkOnlyNeverLoadsTheNativeProvider() throws Exception {
    runChild(JdkOnlyChild.class);
  }

  private static void runChild(Class<?> main) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                java.toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                main.getName()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), out);
  }

  /**
   * Exits 0 when, with the JDK's only, neither a large command nor much data loads the provider.
   */
  public static final class JdkOnlyChild {
    public static void main(String[] args) throws Exception {
      Providers.useJdkOnly();
      Providers.expect(1L << 40);
      Providers.preload();
      byte[] key = new byte[32];
      byte[] plain = new byte[64 * 1024];
      for (long done = 0, n = 0; done <= Providers.LOAD_AFTER_BYTES; done += plain.length) {
        byte[] nonce = new byte[Aead.NONCE_BYTES];
        nonce[0] = (byte) n;
        nonce[1] = (byte) (n++ >>> 8);
        Aead.seal(key, nonce, new byte[8], plain);
      }
      if (Providers.loadStarted() || Providers.isReady()) {
        System.out.println("the native provider was loaded with useJdkOnly");
        System.exit(1);
      }
      System.exit(0);
    }
  }

  /** Exits 0 when the provider stayed unloaded for a small amount of data and loaded after more. */
  public static final class Child {
    public static void main(String[] args) throws Exception {
      byte[] key = new byte[32];
      byte[] aad = new byte[8];
      byte[] plain = new byte[64 * 1024];
      new Random(3).nextBytes(plain);
      long nonce = 0;
      long small = Providers.LOAD_AFTER_BYTES / 4;
      for (long done = 0; done < small; done += plain.length) {
        seal(key, nonce++, aad, plain);
      }
      if (Providers.loadStarted())
        fail("the provider started loading after only " + small + " bytes");
      for (long done = 0; done < Providers.LOAD_AFTER_BYTES; done += plain.length) {
        seal(key, nonce++, aad, plain);
      }
      if (!Providers.loadStarted())
        fail("the provider did not start loading after " + Providers.LOAD_AFTER_BYTES + " bytes");
      if (Providers.loadNow() == null) {
        System.exit(0); // not available on this platform: nothing more to check
      }
      // Once ready, Aead uses it; its output must still open (and match the JDK's,
      // KnownAnswerTest).
      if (!Providers.isReady()) fail("loaded but not ready");
      byte[] sealed = seal(key, nonce++, aad, plain);
      assertArrayEquals(plain, Aead.open(key, aad, sealed, 0, sealed.length, "test"));
      System.exit(0);
    }

    private static byte[] seal(byte[] key, long counter, byte[] aad, byte[] plain) {
      byte[] nonce = new byte[Aead.NONCE_BYTES];
      for (int i = 0; i < 8; i++) nonce[i] = (byte) (counter >>> (8 * i));
      return Aead.seal(key, nonce, aad, plain);
    }

    private static void fail(String message) {
      System.out.println(message);
      System.exit(1);
    }
  }
}
