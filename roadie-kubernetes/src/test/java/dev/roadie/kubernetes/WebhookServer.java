package dev.roadie.kubernetes;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A validating admission webhook served by the test on 127.0.0.1 over HTTPS, with a private CA made
 * by openssl. It allows every object, except that it answers HTTP 500 to the next {@link #failNext}
 * calls (as a webhook whose server is not ready yet) and denies objects labelled {@code
 * roadie.dev/deny: "true"}.
 */
final class WebhookServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpsServer server;
  private final String caBundle;
  final AtomicInteger calls = new AtomicInteger();
  final AtomicInteger failNext = new AtomicInteger();

  WebhookServer(Path dir) throws Exception {
    run(
        dir,
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=roadie-test-webhook-ca");
    run(
        dir,
        "openssl",
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1");
    Files.writeString(
        dir.resolve("ext.cnf"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    run(
        dir,
        "openssl",
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
        "ext.cnf");
    run(
        dir,
        "openssl",
        "pkcs8",
        "-topk8",
        "-nocrypt",
        "-in",
        "server.key",
        "-outform",
        "DER",
        "-out",
        "server.der");
    caBundle = Base64.getEncoder().encodeToString(Files.readAllBytes(dir.resolve("ca.crt")));

    PrivateKey key =
        KeyFactory.getInstance("RSA")
            .generatePrivate(
                new PKCS8EncodedKeySpec(Files.readAllBytes(dir.resolve("server.der"))));
    Certificate cert =
        CertificateFactory.getInstance("X.509")
            .generateCertificate(
                new ByteArrayInputStream(Files.readAllBytes(dir.resolve("server.crt"))));
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("server", key, "x".toCharArray(), new Certificate[] {cert});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "x".toCharArray());
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(kmf.getKeyManagers(), null, null);

    server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(ssl));
    server.createContext(
        "/validate",
        exchange -> {
          calls.incrementAndGet();
          byte[] body;
          try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
          }
          if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            exchange.sendResponseHeaders(500, -1);
            exchange.close();
            return;
          }
          Map<String, Object> review = JSON.readValue(body, new TypeReference<>() {});
          Map<?, ?> request = (Map<?, ?>) review.get("request");
          Map<?, ?> object = request.get("object") instanceof Map<?, ?> o ? o : Map.of();
          Map<?, ?> metadata = object.get("metadata") instanceof Map<?, ?> m ? m : Map.of();
          Map<?, ?> labels = metadata.get("labels") instanceof Map<?, ?> l ? l : Map.of();
          boolean allowed = !"true".equals(labels.get("roadie.dev/deny"));
          Map<String, Object> response =
              Map.of(
                  "apiVersion",
                  "admission.k8s.io/v1",
                  "kind",
                  "AdmissionReview",
                  "response",
                  allowed
                      ? Map.of("uid", request.get("uid"), "allowed", true)
                      : Map.of(
                          "uid",
                          request.get("uid"),
                          "allowed",
                          false,
                          "status",
                          Map.of(
                              "code", 403, "message", "the festival webhook denies this object")));
          byte[] out = JSON.writeValueAsBytes(response);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, out.length);
          exchange.getResponseBody().write(out);
          exchange.close();
        });
    server.start();
  }

  String url() {
    return "https://127.0.0.1:" + server.getAddress().getPort() + "/validate";
  }

  String caBundle() {
    return caBundle;
  }

  private static void run(Path dir, String... command) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(List.of(command))
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) throw new IOException(String.join(" ", command) + " failed: " + out);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
