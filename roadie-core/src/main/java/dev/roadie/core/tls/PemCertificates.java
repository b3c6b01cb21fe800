package dev.roadie.core.tls;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * X.509 certificates from PEM files ({@code -----BEGIN CERTIFICATE-----}, one or more), for TLS
 * connections to servers with a private CA. Errors name {@code context} (the server or repository
 * concerned) and the file, and are usage errors: the file given is wrong.
 */
public final class PemCertificates {
  private PemCertificates() {}

  /** Every certificate in {@code file}; at least one. */
  public static List<Certificate> read(Path file, String context) {
    byte[] pem;
    try {
      pem = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new RoadieException(
          ErrorCode.USAGE, context + ": certificate file " + file + " does not exist");
    } catch (IOException e) {
      throw new RoadieException(
          ErrorCode.USAGE,
          context + ": cannot read certificate file " + file + ": " + e.getMessage());
    }
    Collection<? extends Certificate> certs;
    try (InputStream in = new ByteArrayInputStream(pem)) {
      certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
    } catch (CertificateException | IOException e) {
      throw new RoadieException(
          ErrorCode.USAGE,
          context + ": " + file + " is not a PEM certificate file: " + e.getMessage());
    }
    if (certs.isEmpty()) {
      throw new RoadieException(
          ErrorCode.USAGE,
          context
              + ": "
              + file
              + " holds no certificate (expected PEM,"
              + " -----BEGIN CERTIFICATE-----)");
    }
    return new ArrayList<>(certs);
  }

  /** Trust managers that trust the authorities in {@code file}, and only those. */
  public static TrustManager[] trustManagers(Path file, String context) {
    List<Certificate> cas = read(file, context);
    try {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      for (int i = 0; i < cas.size(); i++) trust.setCertificateEntry("ca" + i, cas.get(i));
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      return tmf.getTrustManagers();
    } catch (GeneralSecurityException | IOException e) {
      throw new RoadieException(
          ErrorCode.USAGE,
          context + ": cannot use the certificates in " + file + ": " + e.getMessage());
    }
  }
}
