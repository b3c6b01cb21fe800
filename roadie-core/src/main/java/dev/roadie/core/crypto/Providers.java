package dev.roadie.core.crypto;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.security.GeneralSecurityException;
import java.security.Provider;
import javax.crypto.Cipher;

/**
 * Chooses the implementation of AES-GCM. The JDK's AES-GCM reaches its intrinsic (2 GB/s here)
 * only after the JIT has compiled its callers, which for large blobs takes many seconds at about
 * 50 MB/s; Amazon Corretto Crypto Provider (native, AES-NI/CLMUL) is fast from the first byte but
 * costs about 0.3 s to load. So small messages (keys, snapshots, index files, small blobs) use the
 * JDK, large blobs use ACCP where its native library loads (Linux x86-64), and {@link #preload}
 * lets a command that will move data load it in the background. {@code ROADIE_CRYPTO=jdk} turns
 * ACCP off. Both produce identical bytes (a known-answer test checks it).
 */
public final class Providers {
  /** Messages at least this long go to the native provider when it is available. */
  static final int NATIVE_THRESHOLD = 2 * 1024;
  private static final boolean DISABLED = "jdk".equalsIgnoreCase(System.getenv("ROADIE_CRYPTO"));

  private Providers() {}

  private static final class Native {
    static final Provider PROVIDER = load();

    private static Provider load() {
      if (DISABLED) return null;
      try {
        AmazonCorrettoCryptoProvider p = AmazonCorrettoCryptoProvider.INSTANCE;
        if (p.getLoadingError() != null) return null;
        // Its self-tests run here, on this platform thread. Left to run lazily, they ran on the
        // first virtual thread to ask for a cipher, loading classes there; with every carrier
        // thread pinned in class loading, a backup could deadlock while loading the index.
        p.assertHealthy();
        Cipher.getInstance("AES/GCM/NoPadding", p);
        ready = p;
        return p;
      } catch (Throwable t) {
        return null;
      }
    }
  }

  private static final java.util.concurrent.atomic.AtomicBoolean PRELOADING = new java.util.concurrent.atomic.AtomicBoolean();

  /** The native provider once loaded and self-tested; until then virtual threads use the JDK's. */
  private static volatile Provider ready;

  /** Starts loading the native provider on a background thread (once; later calls do nothing). */
  public static void preload() {
    if (!DISABLED && PRELOADING.compareAndSet(false, true)) {
      Thread.ofPlatform().daemon().name("roadie-crypto-load").start(() -> {
        Provider unused = Native.PROVIDER;
      });
    }
  }

  static Cipher jdkAesGcm() throws GeneralSecurityException {
    return Cipher.getInstance("AES/GCM/NoPadding");
  }

  /** The native AES-GCM, or null when it is not available. */
  static Cipher nativeAesGcm() throws GeneralSecurityException {
    // A virtual thread never loads the provider itself (see Native.load).
    Provider p = Thread.currentThread().isVirtual() ? ready : Native.PROVIDER;
    return p == null ? null : Cipher.getInstance("AES/GCM/NoPadding", p);
  }
}
