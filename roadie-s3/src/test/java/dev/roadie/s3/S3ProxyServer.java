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
 * Each server has its own access key and secret; {@link #startHttps} serves https only.
 */
public final class S3ProxyServer implements AutoCloseable {
  public static final String IDENTITY = "roadie-test-access";
  public static final String CREDENTIAL = "roadie-test-secret-do-not-print";

  private final Process process;
  private final Path dir;
  private final int port;
  private final String identity;
  private final String credential;
  private final boolean https;

  private S3ProxyServer(
      Process process, Path dir, int port, String identity, String credential, boolean https) {
    this.process = process;
    this.dir = dir;
    this.port = port;
    this.identity = identity;
    this.credential = credential;
    this.https = https;
  }

  /** The s3proxy jar: -Droadie.s3proxy.jar (set by the poms), else roadie-s3's build output. */
  public static Path jar() {
    String p = System.getProperty("roadie.s3proxy.jar");
    Path jar = p != null ? Path.of(p) : Path.of("target/s3proxy/s3proxy.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "no s3proxy jar at " + jar + ": build with Maven (the dependency plugin copies it)");
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
    return start(IDENTITY, CREDENTIAL, null);
  }

  /** A server that accepts only {@code identity} with {@code credential}. */
  public static S3ProxyServer start(String identity, String credential) throws IOException {
    return start(identity, credential, null);
  }

  /** A server on https only, with the key and certificate chain in {@code pki}'s keystore. */
  public static S3ProxyServer startHttps(TestPki pki) throws IOException {
    return start(IDENTITY, CREDENTIAL, pki);
  }

  private static S3ProxyServer start(String identity, String credential, TestPki tls)
      throws IOException {
    Path dir = Files.createTempDirectory("roadie-s3proxy");
    Path data = Files.createDirectories(dir.resolve("data"));
    IOException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      int port = freePort();
      Path props = dir.resolve("s3proxy.properties");
      List<String> lines =
          new java.util.ArrayList<>(
              List.of(
                  "s3proxy.authorization=aws-v2-or-v4",
                  "s3proxy.identity=" + identity,
                  "s3proxy.credential=" + credential,
                  "jclouds.provider=filesystem",
                  "jclouds.filesystem.basedir=" + data));
      if (tls == null) {
        lines.add("s3proxy.endpoint=http://127.0.0.1:" + port);
      } else {
        lines.add("s3proxy.secure-endpoint=https://127.0.0.1:" + port);
        lines.add("s3proxy.keystore-path=" + tls.serverKeystore());
        lines.add("s3proxy.keystore-password=" + TestPki.KEYSTORE_PASSWORD);
      }
      Files.writeString(props, String.join("\n", lines) + "\n");
      String java = ProcessHandle.current().info().command().orElse("java");
      ProcessBuilder pb =
          new ProcessBuilder(
                  java,
                  "-Xmx512m",
                  "-XX:+UseSerialGC",
                  "-XX:TieredStopAtLevel=1",
                  "-DLOG_LEVEL=warn",
                  "-jar",
                  jar().toString(),
                  "--properties",
                  props.toString())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("s3proxy.log").toFile());
      Process p = pb.start();
      S3ProxyServer server = new S3ProxyServer(p, dir, port, identity, credential, tls != null);
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
        if (https) {
          // Jetty opens its TLS port only when it is ready; the test's trust store does not know
          // the CA.
          try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            return;
          }
        }
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
    return (https ? "https" : "http") + "://127.0.0.1:" + port;
  }

  public String identity() {
    return identity;
  }

  public String credential() {
    return credential;
  }

  /** Settings for a backend talking to this server directly. */
  public S3Settings settings() {
    return S3Settings.of(
        URI.create(endpoint()),
        "us-east-1",
        StaticCredentialsProvider.create(AwsBasicCredentials.create(identity, credential)));
  }

  /**
   * Settings for a backend talking to the default server's credentials at another endpoint (a
   * proxy).
   */
  public static S3Settings settings(String endpoint) {
    return S3Settings.of(
        URI.create(endpoint),
        "us-east-1",
        StaticCredentialsProvider.create(AwsBasicCredentials.create(IDENTITY, CREDENTIAL)));
  }

  /** Stops the server at once, as a crash would; {@link #close} still removes its data. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
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
    return List.of(
        new String[] {"AWS_ENDPOINT_URL", endpoint()},
        new String[] {"AWS_ACCESS_KEY_ID", identity},
        new String[] {"AWS_SECRET_ACCESS_KEY", credential},
        new String[] {"AWS_REGION", "us-east-1"});
  }
}
