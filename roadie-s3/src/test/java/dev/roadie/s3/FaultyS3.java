package dev.roadie.s3;

import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * s3proxy behind a {@link FaultProxy}, shared by the tests of one class: both start before the
 * first test, the proxy's fault policy is reset after each test, both stop after the last. Register
 * it in a static field with {@code @RegisterExtension}; {@link #backend} opens a backend that talks
 * to s3proxy through the proxy.
 */
public final class FaultyS3 implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {
  private final long latencyMillis;
  private S3ProxyServer server;
  private FaultProxy proxy;

  /** {@code latencyMillis}: the delay of {@link FaultProxy.Fault#LATENCY}. */
  public FaultyS3(long latencyMillis) {
    this.latencyMillis = latencyMillis;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    server = S3ProxyServer.start();
    proxy = new FaultProxy(server.port()).latency(latencyMillis);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    proxy.policy(FaultProxy.Policy.NONE);
  }

  @Override
  public void afterAll(ExtensionContext context) throws IOException {
    try {
      if (proxy != null) proxy.close();
    } finally {
      if (server != null) server.close();
    }
  }

  public FaultProxy proxy() {
    return proxy;
  }

  /** A backend for {@code s3://BUCKET/PREFIX} through the proxy. */
  public S3Backend backend(String url) {
    return backend(url, false);
  }

  /**
   * As {@link #backend(String)}, with request bodies signed ({@link S3Settings#signPayload}) or
   * not.
   */
  public S3Backend backend(String url, boolean signPayload) {
    return new S3Backend(
        S3Location.parse(url),
        S3ProxyServer.settings(proxy.endpoint()).withSignedPayload(signPayload));
  }

  /**
   * {@code n} bytes, the first half compressible log-like text, the rest random (from {@code
   * seed}).
   */
  public static byte[] data(int n, long seed) {
    byte[] b = new byte[n];
    Random r = new Random(seed);
    r.nextBytes(b);
    byte[] text = "2026-01-01T00:00:00Z INFO api request took=12ms user=42 status=200\n".getBytes();
    for (int i = 0; i < n / 2; i++) b[i] = text[(i + r.nextInt(3)) % text.length];
    return b;
  }
}
