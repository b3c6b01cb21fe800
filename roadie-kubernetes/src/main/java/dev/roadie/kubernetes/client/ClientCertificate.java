package dev.roadie.kubernetes.client;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.internal.CertUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;

/**
 * A kubeconfig's client certificate and key, looked at before the HTTP client loads them:
 *
 * <ul>
 *   <li>The key's algorithm, which the client needs told: it guesses from the PEM label, and a
 *       PKCS#8 key ({@code BEGIN PRIVATE KEY}, what {@code openssl req -newkey ec} and {@code
 *       openssl genpkey} write) names none, so it would be read as RSA and fail. The algorithm
 *       comes from the key itself. SEC1 keys ({@code BEGIN EC PRIVATE KEY}, as k3s writes them) are
 *       EC.
 *   <li>The certificate's validity: an expired (or not yet valid) certificate is said so, with its
 *       dates, instead of the server's bare 401.
 * </ul>
 */
final class ClientCertificate {
  private ClientCertificate() {}

  /**
   * Checks the client certificate of {@code config} (if it has one) and sets its key's algorithm.
   *
   * @param who the context and user, for messages ("context X, user Y")
   * @param described where the kubeconfig was found, for messages
   */
  static void prepare(Config config, String who, String described, Instant now) {
    boolean hasCert = config.getClientCertData() != null || config.getClientCertFile() != null;
    boolean hasKey = config.getClientKeyData() != null || config.getClientKeyFile() != null;
    if (hasCert)
      checkValidity(
          read(
              config.getClientCertData(),
              config.getClientCertFile(),
              "certificate",
              who,
              described),
          who,
          described,
          now);
    if (hasKey) {
      String algorithm =
          algorithm(
              read(config.getClientKeyData(), config.getClientKeyFile(), "key", who, described));
      if (algorithm != null) config.setClientKeyAlgo(algorithm);
    }
  }

  private static byte[] read(String data, String file, String what, String who, String described) {
    try (ByteArrayInputStream in = CertUtils.getInputStreamFromDataOrFile(data, file)) {
      return in.readAllBytes();
    } catch (IOException | RuntimeException e) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "the client "
              + what
              + " of "
              + who
              + " cannot be read"
              + (file != null ? " from " + file : "")
              + ": "
              + e.getMessage()
              + "; fix the kubeconfig ("
              + described
              + ")",
          e);
    }
  }

  private static void checkValidity(byte[] pem, String who, String described, Instant now) {
    Collection<? extends java.security.cert.Certificate> certs;
    try {
      certs =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(pem));
    } catch (GeneralSecurityException e) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "the client certificate of "
              + who
              + " is not a PEM X.509 "
              + "certificate ("
              + e.getMessage()
              + "); fix the kubeconfig ("
              + described
              + ")",
          e);
    }
    if (certs.isEmpty() || !(certs.iterator().next() instanceof X509Certificate leaf)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "the client certificate of "
              + who
              + " holds no certificate; fix "
              + "the kubeconfig ("
              + described
              + ")");
    }
    String subject = leaf.getSubjectX500Principal().getName();
    Instant notAfter = leaf.getNotAfter().toInstant();
    Instant notBefore = leaf.getNotBefore().toInstant();
    if (now.isAfter(notAfter)) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "the client certificate of "
              + who
              + " ("
              + subject
              + ") expired on "
              + notAfter
              + ": renew it (on kubeadm clusters 'kubeadm certs renew', or ask the "
              + "cluster's administrator for a new one) and update the kubeconfig ("
              + described
              + ")");
    }
    if (now.isBefore(notBefore)) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "the client certificate of "
              + who
              + " ("
              + subject
              + ") is not valid before "
              + notBefore
              + ": check this machine's clock, or wait until then");
    }
  }

  /**
   * The algorithm ("RSA", "EC") of a PEM private key, or null to leave the guess to the client (an
   * encrypted or unknown key: the client says what is wrong with it).
   */
  static String algorithm(byte[] pem) {
    String text = new String(pem, StandardCharsets.US_ASCII);
    if (text.contains("-----BEGIN EC PRIVATE KEY-----")) return "EC";
    if (text.contains("-----BEGIN RSA PRIVATE KEY-----")) return "RSA";
    String begin = "-----BEGIN PRIVATE KEY-----";
    int from = text.indexOf(begin);
    int to = text.indexOf("-----END PRIVATE KEY-----");
    if (from < 0 || to < from) return null;
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
    } catch (IllegalArgumentException e) {
      return null;
    }
    // PKCS#8 names its algorithm; the JDK's key factories read the key of theirs.
    for (String algorithm : new String[] {"EC", "RSA"}) {
      try {
        KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        return algorithm;
      } catch (GeneralSecurityException e) {
        // not this algorithm
      }
    }
    return null;
  }
}
