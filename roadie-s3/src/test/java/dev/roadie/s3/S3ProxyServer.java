package dev.roadie.s3;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * A real S3 server for tests: s3proxy (its jar from Maven Central, copied to target/s3proxy by the
 * build) as a separate {@code java -jar} process on a free loopback port, storing objects in a
 * temporary directory. Started by {@link #start}, killed and its data removed by {@link #close}.
 */
public final class S3ProxyServer implements AutoCloseable {
  public static final String IDENTITY = "roadie-test-access";
  public static final String CREDENTIAL = "roadie-test-secret-do-not-print";

  private final Process process;
  private final Path dir;
  private final int port;

  private S3ProxyServer(Process process, Path dir, int port) {
    this.process = process;
    this.dir = dir;
    this.port = port;
  }

  /** The s3proxy jar: -Droadie.s3proxy.jar (set by the poms), else roadie-s3's build output. */
  public static Path jar() {
    String p = System.getProperty("roadie.s3proxy.jar");
    Path jar = p != null ? Path.of(p) : Path.of("target/s3proxy/s3proxy.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("no s3proxy jar at " + jar + ": build with Maven (the dependency plugin copies it)");
    }
    return jar;
  }

  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static S3ProxyServer start() throws IOException {
    Path dir = Files.createTempDirectory("roadie-s3proxy");
    Path data = Files.createDirectories(dir.resolve("data"));
    IOException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      int port = freePort();
      Path props = dir.resolve("s3proxy.properties");
      Files.writeString(props, String.join("\n",
          "s3proxy.endpoint=http://127.0.0.1:" + port,
          "s3proxy.authorization=aws-v2-or-v4",
          "s3proxy.identity=" + IDENTITY,
          "s3proxy.credential=" + CREDENTIAL,
          "jclouds.provider=filesystem",
          "jclouds.filesystem.basedir=" + data) + "\n");
      String java = ProcessHandle.current().info().command().orElse("java");
      ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
          "-DLOG_LEVEL=warn", "-jar", jar().toString(), "--properties", props.toString())
          .redirectErrorStream(true)
          .redirectOutput(dir.resolve("s3proxy.log").toFile());
      Process p = pb.start();
      S3ProxyServer server = new S3ProxyServer(p, dir, port);
      try {
        server.awaitReady(Duration.ofSeconds(30));
        return server;
      } catch (IOException e) {
        last = e;
        p.destroyForcibly();
      }
    }
    throw last;
  }

  private void awaitReady(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("s3proxy exited with " + process.exitValue() + ": " + log());
      }
      try {
        HttpURLConnection c = (HttpURLConnection) URI.create(endpoint()).toURL().openConnection();
        c.setConnectTimeout(500);
        c.setReadTimeout(2000);
        int code = c.getResponseCode(); // 403 without credentials: it answers
        c.disconnect();
        if (code > 0) return;
      } catch (IOException e) {
        // not up yet
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted");
      }
    }
    throw new IOException("s3proxy did not answer within " + timeout + ": " + log());
  }

  private String log() {
    try {
      String s = Files.readString(dir.resolve("s3proxy.log"));
      return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
    } catch (IOException e) {
      return "(no log)";
    }
  }

  public int port() {
    return port;
  }

  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  /** Settings for a backend talking to this server directly. */
  public S3Settings settings() {
    return settings(endpoint());
  }

  /** Settings for a backend talking to this server's credentials at another endpoint (a proxy). */
  public static S3Settings settings(String endpoint) {
    return new S3Settings(URI.create(endpoint), "us-east-1",
        StaticCredentialsProvider.create(AwsBasicCredentials.create(IDENTITY, CREDENTIAL)));
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // best effort
    }
  }

  /** The environment a roadie process needs to use this server. */
  public List<String[]> env() {
    return List.of(new String[] {"AWS_ENDPOINT_URL", endpoint()}, new String[] {"AWS_ACCESS_KEY_ID", IDENTITY},
        new String[] {"AWS_SECRET_ACCESS_KEY", CREDENTIAL}, new String[] {"AWS_REGION", "us-east-1"});
  }
}
