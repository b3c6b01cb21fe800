package dev.roadie.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.net.URI;
import org.junit.jupiter.api.Test;

/** The two forms of an S3 location, and the errors for everything else. */
class S3LocationTest {
  @Test
  void bucketAndPrefix() {
    S3Location l = S3Location.parse("s3://backups/team/prod");
    assertNull(l.endpoint());
    assertEquals("backups", l.bucket());
    assertEquals("team/prod/", l.prefix());
    assertEquals("team/prod/config", l.key("config"));
    assertEquals("s3://backups/team/prod", l.toString());
    assertEquals("", S3Location.parse("s3://backups").prefix());
    assertEquals("p/", S3Location.parse("s3://backups//p//").prefix());
  }

  @Test
  void endpointInTheLocation() {
    S3Location l = S3Location.parse("s3:http://minio.backup.svc:9000/backups/team/prod");
    assertEquals(URI.create("http://minio.backup.svc:9000"), l.endpoint());
    assertEquals("backups", l.bucket());
    assertEquals("team/prod/", l.prefix());
    assertEquals("s3:http://minio.backup.svc:9000/backups/team/prod", l.toString());

    S3Location tls = S3Location.parse("s3:https://127.0.0.1/bucket");
    assertEquals(URI.create("https://127.0.0.1"), tls.endpoint());
    assertEquals("", tls.prefix());
    assertEquals("s3:https://127.0.0.1/bucket", tls.toString());
    assertEquals(tls, S3Location.parse(tls.toString()));
  }

  @Test
  void endpointLocationsArePathStyle() {
    S3Settings s =
        S3Settings.of(
            S3Location.parse("s3:http://127.0.0.1:9000/b-1/p"),
            dev.roadie.core.backend.BackendSettings.DEFAULTS);
    assertEquals(URI.create("http://127.0.0.1:9000"), s.endpoint());
    assertTrue(s.pathStyle());
    S3Settings aws =
        S3Settings.of(
            S3Location.parse("s3://b-1/p"), dev.roadie.core.backend.BackendSettings.DEFAULTS);
    assertNull(aws.endpoint());
    assertFalse(aws.pathStyle());
    assertFalse(s.signPayload(), "bodies unsigned by default");
    assertTrue(
        S3Settings.of(
                S3Location.parse("s3://b-1/p"),
                new dev.roadie.core.backend.BackendSettings(null, null, null, null, null, true))
            .signPayload(),
        "the repository's settings ask for signed bodies");
  }

  @Test
  void malformedLocationsListTheAcceptedForms() {
    for (String bad :
        new String[] {
          "s3:minio:9000/bucket/p",
          "s3:ftp://host/bucket",
          "s3://minio:9000/bucket",
          "s3:http://host:9000",
          "s3:http://host:9000/",
          "s3:http://host/bucket?x=1",
          "s3:/bucket"
        }) {
      RoadieException e = assertThrows(RoadieException.class, () -> S3Location.parse(bad), bad);
      assertEquals(ErrorCode.USAGE, e.code(), bad);
      assertTrue(
          e.getMessage().contains("s3://BUCKET/PREFIX")
              && e.getMessage().contains("s3:http(s)://HOST[:PORT]"),
          bad + ": " + e.getMessage());
    }
    RoadieException name =
        assertThrows(RoadieException.class, () -> S3Location.parse("s3:http://h/Bad_Bucket/x"));
    assertTrue(
        name.getMessage().contains("invalid S3 bucket name 'Bad_Bucket'"), name.getMessage());
  }

  @Test
  void credentialsInALocationAreRefusedAndNeverEchoed() {
    for (String bad :
        new String[] {
          "s3://key:hunter22@bucket/p",
          "s3:http://key:hunter22@host:9000/bucket/p",
          "s3:key:hunter22@host/bucket"
        }) {
      RoadieException e = assertThrows(RoadieException.class, () -> S3Location.parse(bad), bad);
      assertEquals(ErrorCode.USAGE, e.code());
      assertFalse(e.getMessage().contains("hunter22"), e.getMessage());
    }
  }
}
