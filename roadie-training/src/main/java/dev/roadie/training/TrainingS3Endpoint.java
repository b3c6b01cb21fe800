package dev.roadie.training;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;

/**
 * An in-memory stand-in for S3 on a loopback port, for the start-up archive's training run only
 * ({@link TrainingRun}): it answers exactly the requests roadie's S3 backend makes (bucket HEAD,
 * object PUT with {@code If-None-Match}, GET with {@code Range}, HEAD, ListObjectsV2, DELETE), so
 * the AWS SDK's classes and roadie's S3 code paths get into the archive (also those of a bucket
 * backup and restore, listing with ETags, GET, PUT, and of a mirror, HEAD, CopyObject, DELETE);
 * without them an S3 command spends about a second of CPU loading and interpreting the SDK at every
 * start. It checks no signature and keeps one flat map of keys: it is no S3 server, and nothing but
 * training uses it.
 */
final class TrainingS3Endpoint implements AutoCloseable {
  private static final DateTimeFormatter HTTP_DATE =
      DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);

  private record Stored(byte[] bytes, Instant modified) {
    String etag() {
      return "\"" + Integer.toHexString(java.util.Arrays.hashCode(bytes)) + "\"";
    }
  }

  private final HttpServer server;
  private final Map<String, Stored> objects = new ConcurrentSkipListMap<>();

  private TrainingS3Endpoint() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.createContext("/", this::handle);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.start();
  }

  static TrainingS3Endpoint start() throws IOException {
    return new TrainingS3Endpoint();
  }

  /** Deletes an object directly (training data for a mirror). */
  void delete(String bucket, String key) {
    objects.remove(bucket + "/" + key);
  }

  /** Puts an object directly (training data for a bucket backup). */
  void put(String bucket, String key, byte[] bytes) {
    objects.put(bucket + "/" + key, new Stored(bytes, Instant.now()));
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void handle(HttpExchange x) throws IOException {
    try (x) {
      String path = URLDecoder.decode(x.getRequestURI().getRawPath(), StandardCharsets.UTF_8);
      String query = x.getRequestURI().getRawQuery();
      String method = x.getRequestMethod();
      int slash = path.indexOf('/', 1);
      String bucket = slash < 0 ? path.substring(1) : path.substring(1, slash);
      String key = slash < 0 ? "" : path.substring(slash + 1);
      byte[] body = x.getRequestBody().readAllBytes();
      if (key.isEmpty()) {
        if (method.equals("GET") && query != null && query.contains("list-type=2")) {
          list(x, bucket, param(query, "prefix"));
        } else {
          reply(x, 200, null);
        }
        return;
      }
      String name = bucket + "/" + key;
      Stored s = objects.get(name);
      switch (method) {
        case "PUT" -> {
          String copySource = x.getRequestHeaders().getFirst("x-amz-copy-source");
          if (copySource != null) {
            copy(x, name, copySource);
            return;
          }
          if (s != null && "*".equals(x.getRequestHeaders().getFirst("If-None-Match"))) {
            error(x, 412, "PreconditionFailed");
            return;
          }
          Stored stored = new Stored(body, Instant.now());
          objects.put(name, stored);
          x.getResponseHeaders().set("ETag", stored.etag());
          reply(x, 200, null);
        }
        case "DELETE" -> {
          objects.remove(name);
          x.sendResponseHeaders(204, -1);
        }
        case "HEAD" -> {
          if (s == null) {
            x.sendResponseHeaders(404, -1);
            return;
          }
          x.getResponseHeaders().set("Last-Modified", HTTP_DATE.format(s.modified()));
          x.getResponseHeaders().set("ETag", s.etag());
          // A HEAD answer carries the object's length but no body: set as a header, not passed.
          x.getResponseHeaders().set("Content-Length", Integer.toString(s.bytes().length));
          x.sendResponseHeaders(200, -1);
        }
        case "GET" -> {
          if (s == null) {
            error(x, 404, "NoSuchKey");
            return;
          }
          get(x, s);
        }
        default -> error(x, 405, "MethodNotAllowed");
      }
    } catch (RuntimeException e) {
      error(x, 500, "InternalError");
    }
  }

  /** CopyObject: the source's bytes under {@code name} (metadata is not kept here). */
  private void copy(HttpExchange x, String name, String copySource) throws IOException {
    String source = copySource.startsWith("/") ? copySource.substring(1) : copySource;
    int q = source.indexOf('?');
    if (q >= 0) source = source.substring(0, q);
    Stored from = objects.get(URLDecoder.decode(source, StandardCharsets.UTF_8));
    if (from == null) {
      error(x, 404, "NoSuchKey");
      return;
    }
    Stored copied = new Stored(from.bytes(), Instant.now());
    objects.put(name, copied);
    x.getResponseHeaders().set("Content-Type", "application/xml");
    reply(
        x,
        200,
        ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CopyObjectResult><LastModified>"
                + DateTimeFormatter.ISO_INSTANT.format(copied.modified())
                + "</LastModified><ETag>"
                + copied.etag().replace("\"", "&quot;")
                + "</ETag></CopyObjectResult>")
            .getBytes(StandardCharsets.UTF_8));
  }

  private static void get(HttpExchange x, Stored s) throws IOException {
    byte[] b = s.bytes();
    String range = x.getRequestHeaders().getFirst("Range");
    x.getResponseHeaders().set("Last-Modified", HTTP_DATE.format(s.modified()));
    x.getResponseHeaders().set("ETag", s.etag());
    if (range == null || !range.startsWith("bytes=")) {
      reply(x, 200, b);
      return;
    }
    String[] r = range.substring(6).split("-", 2);
    int from = Integer.parseInt(r[0]);
    int to = r[1].isEmpty() ? b.length - 1 : (int) Math.min(Long.parseLong(r[1]), b.length - 1L);
    if (from >= b.length) {
      error(x, 416, "InvalidRange");
      return;
    }
    x.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + to + "/" + b.length);
    byte[] part = java.util.Arrays.copyOfRange(b, from, to + 1);
    x.getResponseHeaders().set("Content-Type", "application/octet-stream");
    x.sendResponseHeaders(206, part.length);
    try (OutputStream out = x.getResponseBody()) {
      out.write(part);
    }
  }

  private void list(HttpExchange x, String bucket, String prefix) throws IOException {
    StringBuilder xml =
        new StringBuilder(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    + "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>")
            .append(bucket)
            .append("</Name><Prefix>")
            .append(prefix)
            .append("</Prefix><IsTruncated>false</IsTruncated>");
    int n = 0;
    for (Map.Entry<String, Stored> e : objects.entrySet()) {
      String key = e.getKey().substring(bucket.length() + 1);
      if (!e.getKey().startsWith(bucket + "/") || !key.startsWith(prefix)) continue;
      xml.append("<Contents><Key>")
          .append(key)
          .append("</Key><LastModified>")
          .append(DateTimeFormatter.ISO_INSTANT.format(e.getValue().modified()))
          .append("</LastModified><ETag>")
          .append(e.getValue().etag().replace("\"", "&quot;"))
          .append("</ETag><Size>")
          .append(e.getValue().bytes().length)
          .append("</Size><StorageClass>STANDARD</StorageClass></Contents>");
      n++;
    }
    xml.append("<KeyCount>")
        .append(n)
        .append("</KeyCount><MaxKeys>1000</MaxKeys></ListBucketResult>");
    x.getResponseHeaders().set("Content-Type", "application/xml");
    reply(x, 200, xml.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static String param(String query, String name) {
    for (String p : query.split("&")) {
      if (p.startsWith(name + "="))
        return URLDecoder.decode(p.substring(name.length() + 1), StandardCharsets.UTF_8);
    }
    return "";
  }

  private static void error(HttpExchange x, int status, String code) throws IOException {
    x.getResponseHeaders().set("Content-Type", "application/xml");
    byte[] body =
        x.getRequestMethod().equals("HEAD")
            ? null
            : ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
                    + code
                    + "</Code><Message>"
                    + code
                    + "</Message></Error>")
                .getBytes(StandardCharsets.UTF_8);
    reply(x, status, body);
  }

  private static void reply(HttpExchange x, int status, byte[] body) throws IOException {
    if (body == null || body.length == 0) {
      x.sendResponseHeaders(status, -1);
      return;
    }
    x.sendResponseHeaders(status, body.length);
    try (OutputStream out = x.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
