package dev.roadie.kubernetes.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.testkit.KubeCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client certificates in a kubeconfig as clusters issue them: EC keys in PKCS#8 ({@code openssl req
 * -newkey ec}, {@code openssl genpkey}) and SEC1 form (k3s), RSA (kubeadm's default), each signed
 * by the test cluster's CA and used against its API server; and an expired certificate, said so.
 */
@Tag("slow")
class ClientCertificateTest {
  static KubeCluster cluster;
  @TempDir static Path work;

  @BeforeAll
  static void start() throws IOException {
    cluster = KubeCluster.start();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) cluster.close();
  }

  static void openssl(Path dir, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), "openssl " + String.join(" ", args) + ": " + out);
  }

  /**
   * A client certificate for {@code name} (in system:masters) signed by the cluster's CA, its key
   * made by {@code keyArgs} into NAME.key; valid from {@code start} to {@code end}
   * (YYYYMMDDHHMMSSZ), or for a day from now when null.
   */
  static Path issue(String name, String start, String end, String... keyArgs) throws Exception {
    Path dir = Files.createDirectories(work.resolve(name));
    Path pki = cluster.dir().resolve("pki");
    List<String> req =
        new ArrayList<>(List.of("req", "-new", "-nodes", "-subj", "/O=system:masters/CN=" + name));
    req.addAll(List.of(keyArgs));
    req.addAll(List.of("-keyout", name + ".key"));
    req.addAll(List.of("-out", name + ".csr"));
    openssl(dir, req.toArray(String[]::new));
    // openssl ca sets any validity period (x509 -req only counts days from now).
    Files.writeString(
        dir.resolve("ca.cnf"),
        """
        [ca]
        default_ca = ca_default
        [ca_default]
        database = index.txt
        new_certs_dir = .
        serial = serial
        default_md = sha256
        policy = any
        copy_extensions = none
        [any]
        organizationName = optional
        commonName = supplied
        [client]
        basicConstraints = CA:FALSE
        keyUsage = digitalSignature, keyEncipherment
        extendedKeyUsage = clientAuth
        """);
    Files.writeString(dir.resolve("index.txt"), "");
    Files.writeString(dir.resolve("serial"), "01\n");
    List<String> ca =
        new ArrayList<>(
            List.of(
                "ca",
                "-batch",
                "-notext",
                "-config",
                "ca.cnf",
                "-extensions",
                "client",
                "-cert",
                pki.resolve("ca.crt").toString(),
                "-keyfile",
                pki.resolve("ca.key").toString(),
                "-in",
                name + ".csr",
                "-out",
                name + ".crt"));
    if (start != null) {
      ca.addAll(List.of("-startdate", start, "-enddate", end));
    } else {
      ca.addAll(List.of("-days", "1"));
    }
    openssl(dir, ca.toArray(String[]::new));
    return dir;
  }

  /** A kubeconfig for the test cluster with {@code dir}/NAME.crt and the key file {@code key}. */
  static Path kubeconfig(Path dir, String name, Path key) throws IOException {
    String admin = Files.readString(cluster.kubeconfig());
    String clusters = admin.substring(admin.indexOf("clusters:"), admin.indexOf("users:"));
    Base64.Encoder b64 = Base64.getEncoder();
    String config =
        "apiVersion: v1\nkind: Config\n"
            + clusters
            + "users:\n- name: "
            + name
            + "\n  user:\n"
            + "    client-certificate-data: "
            + b64.encodeToString(Files.readAllBytes(dir.resolve(name + ".crt")))
            + "\n"
            + "    client-key-data: "
            + b64.encodeToString(Files.readAllBytes(key))
            + "\n"
            + "contexts:\n- name: "
            + name
            + "\n  context: {cluster: roadie-test, user: "
            + name
            + "}\n"
            + "current-context: "
            + name
            + "\n";
    Path f = dir.resolve("kubeconfig");
    Files.writeString(f, config);
    return f;
  }

  static String firstLine(Path f) throws IOException {
    return Files.readAllLines(f).get(0);
  }

  /** Lists namespaces with {@code kubeconfig}: the credentials were taken. */
  static void assertWorks(Path kubeconfig) {
    try (KubeConnection c = KubeConnection.open(KubeEnvironment.file(kubeconfig), null)) {
      Map<String, Object> list = c.get("/api/v1/namespaces", "list namespaces");
      assertEquals("NamespaceList", list.get("kind"));
    }
  }

  @Test
  void anEcKeyInPkcs8FormWorks() throws Exception {
    Path dir =
        issue("ec-pkcs8", null, null, "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1");
    Path key = dir.resolve("ec-pkcs8.key");
    assertEquals("-----BEGIN PRIVATE KEY-----", firstLine(key));
    assertWorks(kubeconfig(dir, "ec-pkcs8", key));
  }

  @Test
  void anEcKeyInSec1FormWorks() throws Exception {
    Path dir =
        issue("ec-sec1", null, null, "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp384r1");
    openssl(dir, "ec", "-in", "ec-sec1.key", "-out", "sec1.key");
    Path key = dir.resolve("sec1.key");
    assertEquals("-----BEGIN EC PRIVATE KEY-----", firstLine(key));
    assertWorks(kubeconfig(dir, "ec-sec1", key));
  }

  @Test
  void anRsaKeyInPkcs8AndPkcs1FormWorks() throws Exception {
    Path dir = issue("rsa", null, null, "-newkey", "rsa:2048");
    assertEquals("-----BEGIN PRIVATE KEY-----", firstLine(dir.resolve("rsa.key")));
    assertWorks(kubeconfig(dir, "rsa", dir.resolve("rsa.key")));
    openssl(dir, "rsa", "-in", "rsa.key", "-traditional", "-out", "pkcs1.key");
    assertEquals("-----BEGIN RSA PRIVATE KEY-----", firstLine(dir.resolve("pkcs1.key")));
    assertWorks(kubeconfig(dir, "rsa", dir.resolve("pkcs1.key")));
  }

  @Test
  void anExpiredCertificateIsSaidSoWithItsDate() throws Exception {
    Path dir =
        issue(
            "expired",
            "20200101000000Z",
            "20200102000000Z",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1");
    Path kubeconfig = kubeconfig(dir, "expired", dir.resolve("expired.key"));
    RoadieException e =
        assertThrows(
            RoadieException.class,
            () -> KubeConnection.open(KubeEnvironment.file(kubeconfig), null).close());
    assertEquals(ErrorCode.FAILURE, e.code());
    assertTrue(
        e.getMessage().contains("the client certificate of context expired, user expired")
            && e.getMessage().contains("expired on 2020-01-02T00:00:00Z")
            && e.getMessage().contains("renew it"),
        e.getMessage());
    String key = Files.readString(dir.resolve("expired.key"));
    String body = key.substring(key.indexOf('\n') + 1, key.indexOf("-----END"));
    assertTrue(
        !e.getMessage().contains(body.strip().substring(0, 20)), "no key material in the message");
  }
}
