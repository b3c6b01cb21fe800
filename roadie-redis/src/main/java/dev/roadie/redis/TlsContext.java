package dev.roadie.redis;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.tls.PemCertificates;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * The TLS socket factory of a rediss:// URL: the JVM's trust store, or the PEM certificates of
 * {@code cacert=FILE}; a client certificate and key ({@code cert=}, {@code key=}) when given. The
 * server's host name (or IP address) must be in its certificate.
 */
final class TlsContext {
  private TlsContext() {}

  static SSLSocketFactory socketFactory(RedisUrl url) {
    RedisUrl.TlsFiles f = url.tlsFiles();
    if (f.caCert() == null && f.cert() == null) {
      return (SSLSocketFactory) SSLSocketFactory.getDefault();
    }
    try {
      TrustManager[] trust =
          f.caCert() == null ? null : PemCertificates.trustManagers(f.caCert(), url.toString());
      KeyManagerFactory kmf = null;
      if (f.cert() != null) {
        List<Certificate> chain = PemCertificates.read(f.cert(), url.toString());
        PrivateKey key = privateKey(url, f.key());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        char[] none = new char[0];
        ks.setKeyEntry("client", key, none, chain.toArray(new Certificate[0]));
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, none);
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf == null ? null : kmf.getKeyManagers(), trust, null);
      return ctx.getSocketFactory();
    } catch (GeneralSecurityException | IOException e) {
      throw new RoadieException(ErrorCode.USAGE, url + ": cannot set up TLS: " + e.getMessage());
    }
  }

  private static byte[] read(RedisUrl url, Path file, String what) {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new RoadieException(
          ErrorCode.USAGE, url + ": " + what + " file " + file + " does not exist");
    } catch (IOException e) {
      throw new RoadieException(
          ErrorCode.USAGE, url + ": cannot read " + what + " file " + file + ": " + e.getMessage());
    }
  }

  /** A PKCS#8 PEM key ({@code -----BEGIN PRIVATE KEY-----}): RSA, EC or EdDSA. */
  private static PrivateKey privateKey(RedisUrl url, Path file) {
    String pem = new String(read(url, file, "key"), StandardCharsets.US_ASCII);
    String begin = "-----BEGIN PRIVATE KEY-----";
    int b = pem.indexOf(begin);
    int e = pem.indexOf("-----END PRIVATE KEY-----");
    if (b < 0 || e < b) {
      throw new RoadieException(
          ErrorCode.USAGE,
          url
              + ": "
              + file
              + " is not an unencrypted PKCS#8 PEM key"
              + " (-----BEGIN PRIVATE KEY-----); convert it: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8");
    }
    byte[] der = Base64.getMimeDecoder().decode(pem.substring(b + begin.length(), e));
    for (String alg : List.of("RSA", "EC", "Ed25519", "Ed448")) {
      try {
        return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException ignored) {
        // try the next algorithm
      }
    }
    throw new RoadieException(
        ErrorCode.USAGE,
        url
            + ": "
            + file
            + " holds a private key roadie cannot read"
            + " (RSA, EC, Ed25519 and Ed448 are supported)");
  }
}
