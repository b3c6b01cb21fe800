package dev.roadie.bucket.mirror;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;

/**
 * Signed (SigV4) GET requests to a bucket for the MinIO extensions the SDK does not model: the
 * listing that carries metadata and tags, and the stream of bucket notifications. Only for an
 * S3-compatible endpoint addressed path-style; credentials and region are the side's client's. The
 * JDK's URL connection serves them: it sets up TLS only for an https endpoint, and streams.
 */
final class SignedHttp {
  private final MirrorSide side;
  private final URI endpoint;

  private SignedHttp(MirrorSide side) {
    this.side = side;
    this.endpoint = side.settings().endpoint();
  }

  /**
   * For {@code side}, or null when it is AWS itself or addressed by virtual host (no MinIO there).
   */
  static SignedHttp of(MirrorSide side) {
    if (side.settings().endpoint() == null || !side.settings().pathStyle()) return null;
    return new SignedHttp(side);
  }

  /** A response: its status, Content-Type and body (the error body for a status other than 2xx). */
  static final class Response implements AutoCloseable {
    private final HttpURLConnection connection;
    final int status;
    final String contentType;
    final InputStream body;

    Response(HttpURLConnection connection, int status, String contentType, InputStream body) {
      this.connection = connection;
      this.status = status;
      this.contentType = contentType == null ? "" : contentType;
      this.body = body == null ? InputStream.nullInputStream() : body;
    }

    /** The error body, for its S3 error code and message. */
    String errorText() {
      try (InputStream in = body) {
        return new String(in.readNBytes(16 * 1024), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "";
      }
    }

    @Override
    public void close() {
      try {
        body.close();
      } catch (IOException e) {
        // the body was read or abandoned
      }
    }
  }

  /**
   * GET of the bucket with {@code query}. {@code timeout} bounds the wait for the response and then
   * for each read of its body.
   *
   * @throws SocketTimeoutException when the server sent nothing within {@code timeout}
   * @throws SdkClientException when the server cannot be reached (transient, as the SDK's own)
   */
  Response get(Map<String, List<String>> query, Duration timeout) throws SocketTimeoutException {
    return prepare(query, timeout).execute();
  }

  /**
   * A signed request not sent yet; it can be ended from another thread before and while it runs.
   */
  final class Call {
    private final HttpURLConnection connection;

    private Call(HttpURLConnection connection) {
      this.connection = connection;
    }

    Response execute() throws SocketTimeoutException {
      try {
        int status = connection.getResponseCode();
        InputStream body =
            status / 100 == 2 ? connection.getInputStream() : connection.getErrorStream();
        return new Response(connection, status, connection.getContentType(), body);
      } catch (SocketTimeoutException e) {
        throw e;
      } catch (IOException e) {
        throw SdkClientException.builder()
            .message("Unable to execute HTTP request: " + e)
            .cause(e)
            .build();
      }
    }

    void disconnect() {
      connection.disconnect();
    }
  }

  /** The signed GET of the bucket with {@code query}, to {@link Call#execute}. */
  Call prepare(Map<String, List<String>> query, Duration timeout) {
    SdkHttpFullRequest.Builder req =
        SdkHttpFullRequest.builder()
            .method(SdkHttpMethod.GET)
            .uri(endpoint)
            .encodedPath(basePath() + "/" + side.bucket());
    query.forEach(req::putRawQueryParameter);
    try {
      HttpURLConnection c = side.requests().signedConnection(req.build(), (int) timeout.toMillis());
      return new Call(c);
    } catch (IOException e) {
      throw SdkClientException.builder()
          .message("Unable to execute HTTP request: " + e)
          .cause(e)
          .build();
    }
  }

  private String basePath() {
    String p = endpoint.getRawPath() == null ? "" : endpoint.getRawPath();
    return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
  }
}
