package dev.roadie.testkit;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A real MinIO server of its own for a test: single drive in a temporary directory (so bucket
 * versioning and object lock work), a free loopback port, random root credentials. The binary is
 * built by {@code scripts/test-servers} on first use; {@link #close} stops the server and deletes
 * its data.
 */
public final class MinioServer implements AutoCloseable {
  private final ServerRun run;

  private MinioServer(ServerRun run) {
    this.run = run;
  }

  public static MinioServer start() throws IOException {
    return new MinioServer(ServerRun.start("minio", 4, Duration.ofMinutes(3)));
  }

  /**
   * A server with options: {@code certsDir} (holding {@code public.crt} and {@code private.key})
   * makes it serve https only; {@code kmsSecretKey} ({@code NAME:BASE64 of 32 bytes}) gives it a
   * static key for server-side encryption (SSE-S3, and SSE-KMS with key id NAME). Either may be
   * null.
   */
  public static MinioServer start(Path certsDir, String kmsSecretKey) throws IOException {
    Map<String, String> env = new java.util.HashMap<>();
    if (certsDir != null) env.put("ROADIE_MINIO_CERTS_DIR", certsDir.toString());
    if (kmsSecretKey != null) env.put("MINIO_KMS_SECRET_KEY", kmsSecretKey);
    return new MinioServer(ServerRun.start("minio", 4, Duration.ofMinutes(3), env));
  }

  public URI endpoint() {
    return URI.create(run.env().get("AWS_ENDPOINT_URL"));
  }

  public String accessKey() {
    return run.env().get("AWS_ACCESS_KEY_ID");
  }

  public String secretKey() {
    return run.env().get("AWS_SECRET_ACCESS_KEY");
  }

  public String region() {
    return run.env().get("AWS_REGION");
  }

  /**
   * The environment a process (roadie, an AWS SDK or CLI) needs to use this server:
   * AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION.
   */
  public Map<String, String> env() {
    return run.env();
  }

  /** MinIO's client, of the pinned version; use it with {@link #mcEnv}. */
  public static Path mc() {
    return TestServers.binary("mc");
  }

  /**
   * The environment under which {@code mc} reaches this server as {@code alias} (MC_HOST_alias: no
   * credential in argv), and keeps its configuration in {@code configDir}.
   */
  public Map<String, String> mcEnv(String alias, Path configDir) {
    String host =
        endpoint().getScheme()
            + "://"
            + accessKey()
            + ":"
            + secretKey()
            + "@"
            + endpoint().getAuthority();
    return Map.of(
        "MC_HOST_" + alias, host, "MC_CONFIG_DIR", configDir.toString(), "MC_NO_COLOR", "1");
  }

  /** The server's directory (its data and log). */
  public Path dir() {
    return run.dir();
  }

  @Override
  public void close() {
    run.close();
  }
}
