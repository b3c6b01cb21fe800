package dev.roadie.core.crypto;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.security.GeneralSecurityException;
import java.security.Provider;
import javax.crypto.Cipher;

/**
 * Chooses the implementation of AES-GCM. The JDK's AES-GCM reaches its intrinsic only after the JIT
 * has compiled its callers, which for large blobs means seconds of slow encryption first; Amazon
 * Corretto Crypto Provider (native, AES-NI/CLMUL) is fast from the first byte but costs a good part
 * of a second of CPU to load (signed-jar verification, self-tests). Most commands never move enough
 * data to earn that back: a WAL segment (16 MiB), a small stream, a key file. So the native
 * provider loads in the background only when a command says it will move a lot ({@link #expect},
 * {@link #preload}), or once {@link #LOAD_AFTER_BYTES} of large messages have gone through the
 * JDK's; it is used from then on, once ready, for messages of {@link #NATIVE_THRESHOLD} bytes and
 * more, and no caller ever waits for it. Loading early pays most: started mid-stream, its load and
 * the JIT's recompilation of the switched call sites cost about as much as it saves over the next
 * few hundred MiB (docs/decisions/0007-native-aes-gcm-where-it-pays.md). {@link #useJdkOnly} turns
 * ACCP off (the command line does for {@code ROADIE_CRYPTO=jdk}). Both produce identical bytes (a
 * known-answer test checks it).
 */
public final class Providers {
  /** Messages at least this long go to the native provider when it is ready. */
  static final int NATIVE_THRESHOLD = 2 * 1024;

  /**
   * Bytes of large messages after which the native provider starts loading when the command could
   * not say how much it will move (a stream): commands that stop short of it (one WAL segment,
   * small streams, RDBs of a few MiB) never pay for it, and long streams still get it.
   */
  static final long LOAD_AFTER_BYTES = 128L << 20;

  /** A command that expects to move at least this many bytes loads the native provider at once. */
  static final long EXPECT_NATIVE_BYTES = 64L << 20;

  private static volatile boolean disabled;
  private static final java.util.concurrent.atomic.AtomicLong LARGE_BYTES =
      new java.util.concurrent.atomic.AtomicLong();

  private Providers() {}

  /**
   * The JDK's AES-GCM only, for the rest of this process: the native provider is never loaded (nor
   * used, if it was). For a process that must not load it: {@code ROADIE_CRYPTO=jdk}, the start-up
   * archive's training run.
   */
  public static void useJdkOnly() {
    disabled = true;
    ready = null;
  }

  private static final class Native {
    static final Provider PROVIDER = load();

    private static Provider load() {
      if (disabled) return null;
      try {
        AmazonCorrettoCryptoProvider p = AmazonCorrettoCryptoProvider.INSTANCE;
        if (p.getLoadingError() != null) return null;
        // Its self-tests run here, on this platform thread. Left to run lazily, they ran on the
        // first virtual thread to ask for a cipher, loading classes there; with every carrier
        // thread pinned in class loading, a backup could deadlock while loading the index.
        p.assertHealthy();
        Cipher.getInstance("AES/GCM/NoPadding", p);
        if (!disabled) ready = p;
        return p;
      } catch (Throwable t) {
        return null;
      }
    }
  }

  private static final java.util.concurrent.atomic.AtomicBoolean PRELOADING =
      new java.util.concurrent.atomic.AtomicBoolean();

  /** The native provider once loaded and self-tested; until then everyone uses the JDK's. */
  private static volatile Provider ready;

  /**
   * Starts loading the native provider on a background thread (once; later calls do nothing): for a
   * command that will move far more than {@link #EXPECT_NATIVE_BYTES}, at its start.
   */
  public static void preload() {
    if (!disabled && PRELOADING.compareAndSet(false, true)) {
      Thread.ofPlatform()
          .daemon()
          .name("roadie-crypto-load")
          .start(
              () -> {
                Provider unused = Native.PROVIDER;
              });
    }
  }

  /** Tells how many bytes a command is about to encrypt or decrypt, when it knows. */
  public static void expect(long bytes) {
    if (bytes >= EXPECT_NATIVE_BYTES) preload();
  }

  /**
   * For tests: loads the native provider on this (platform) thread; null where it is not available.
   */
  static Provider loadNow() {
    return Native.PROVIDER;
  }

  /** For tests: whether loading has started, and whether the provider is ready. */
  static boolean loadStarted() {
    return PRELOADING.get();
  }

  static boolean isReady() {
    return ready != null;
  }

  static Cipher jdkAesGcm() throws GeneralSecurityException {
    return Cipher.getInstance("AES/GCM/NoPadding");
  }

  /**
   * The native AES-GCM if it is ready, else null (the caller uses the JDK's). Counts {@code length}
   * towards {@link #LOAD_AFTER_BYTES} while it is not.
   */
  static Cipher nativeAesGcm(int length) throws GeneralSecurityException {
    Provider p = ready;
    if (p != null) return Cipher.getInstance("AES/GCM/NoPadding", p);
    if (!disabled && !PRELOADING.get() && LARGE_BYTES.addAndGet(length) >= LOAD_AFTER_BYTES) {
      preload();
    }
    return null;
  }
}
