package dev.roadie.s3;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A throwaway certificate authority and a server certificate for 127.0.0.1 and localhost, made with
 * openssl in a directory of the test's: {@link #caCert} trusts {@link #serverKeystore} (PKCS#12,
 * password {@value #KEYSTORE_PASSWORD}, for s3proxy's https port); {@link #otherCaCert} is a second
 * CA that signed nothing.
 */
public final class TestPki {
  public static final String KEYSTORE_PASSWORD = "roadie-test-keystore";
  private final Path dir;

  private TestPki(Path dir) {
    this.dir = dir;
  }

  public static TestPki create(Path dir) throws IOException, InterruptedException {
    return create(dir, "IP:127.0.0.1,DNS:localhost");
  }

  /** As {@link #create(Path)}, the server certificate naming only {@code subjectAltName}. */
  public static TestPki create(Path dir, String subjectAltName)
      throws IOException, InterruptedException {
    Files.createDirectories(dir);
    TestPki pki = new TestPki(dir);
    Files.writeString(dir.resolve("server.ext"), "subjectAltName=" + subjectAltName + "\n");
    String ec = "ec_paramgen_curve:prime256v1";
    for (String ca : List.of("ca", "other-ca")) {
      pki.openssl(
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          ec,
          "-noenc",
          "-keyout",
          ca + ".key",
          "-out",
          ca + ".crt",
          "-days",
          "2",
          "-subj",
          "/CN=roadie test " + ca);
    }
    pki.openssl(
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        ec,
        "-noenc",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=server");
    pki.openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "server.ext");
    pki.openssl(
        "pkcs12",
        "-export",
        "-in",
        "server.crt",
        "-inkey",
        "server.key",
        "-certfile",
        "ca.crt",
        "-name",
        "server",
        "-out",
        "server.p12",
        "-passout",
        "pass:" + KEYSTORE_PASSWORD);
    return pki;
  }

  private void openssl(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) throw new IOException(String.join(" ", cmd) + " failed: " + out);
  }

  public Path caCert() {
    return dir.resolve("ca.crt");
  }

  public Path otherCaCert() {
    return dir.resolve("other-ca.crt");
  }

  /** The server's certificate (PEM), signed by {@link #caCert}. */
  public Path serverCert() {
    return dir.resolve("server.crt");
  }

  /** The server certificate's private key (PEM, unencrypted). */
  public Path serverKey() {
    return dir.resolve("server.key");
  }

  public Path serverKeystore() {
    return dir.resolve("server.p12");
  }
}
