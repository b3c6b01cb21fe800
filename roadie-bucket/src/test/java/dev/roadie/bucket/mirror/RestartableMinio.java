package dev.roadie.bucket.mirror;

import dev.roadie.s3.S3Settings;
import dev.roadie.testkit.TestServers;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A MinIO that a test can stop and start again on the same port with the same data, to take a
 * server away from a running mirror and give it back (roadie-testkit's MinioServer lives once).
 * Same binary as MinioServer's; single drive under {@code dir}.
 */
final class RestartableMinio implements AutoCloseable {
  static final String USER = "restartable-root";
  static final String PASSWORD = "restartable-secret-0123";

  private final Path minio = TestServers.binary("minio");
  private final Path dir;
  private final int port;
  private Process process;

  RestartableMinio(Path dir) throws IOException {
    this.dir = dir;
    try (ServerSocket s = new ServerSocket(0)) {
      this.port = s.getLocalPort();
    }
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  S3Settings settings() {
    return Minio.settings(endpoint(), "us-east-1", USER, PASSWORD);
  }

  void start() throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder(
                minio.toString(),
                "server",
                "--quiet",
                "--address",
                "127.0.0.1:" + port,
                dir.resolve("data").toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("minio.log").toFile()));
    pb.environment().put("MINIO_ROOT_USER", USER);
    pb.environment().put("MINIO_ROOT_PASSWORD", PASSWORD);
    pb.environment().put("MINIO_BROWSER", "off");
    pb.environment().put("MINIO_UPDATE", "off");
    process = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive())
        throw new IOException("MinIO exited; see " + dir.resolve("minio.log"));
      try {
        HttpURLConnection c =
            (HttpURLConnection) endpoint().resolve("/minio/health/live").toURL().openConnection();
        c.setConnectTimeout(500);
        if (c.getResponseCode() == 200) return;
      } catch (IOException e) {
        // not yet
      }
      Thread.sleep(100);
    }
    throw new IOException("MinIO did not answer on port " + port + " within 60 s");
  }

  void stop() throws InterruptedException {
    if (process == null) return;
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
    process = null;
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
