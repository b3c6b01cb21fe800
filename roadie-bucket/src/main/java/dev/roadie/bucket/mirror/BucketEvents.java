package dev.roadie.bucket.mirror;

import com.fasterxml.jackson.databind.JsonNode;
import dev.roadie.core.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.SocketTimeoutException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * The changes of a bucket as they happen, from MinIO's ListenBucketNotification: a GET of the
 * bucket with {@code events=…} that the server keeps open, writing one JSON line per event (and an
 * empty record every {@value #PING_SECONDS} s, so a silent connection is known to be dead). Needs
 * no notification target configured on the server. Other servers do not offer it: {@link #listen}
 * then throws {@link NotOffered}, and a watch relies on its periodic passes.
 */
final class BucketEvents {
  static final int PING_SECONDS = 2;

  /**
   * No line for this long (pings included): the connection is dead. A server that has taken the
   * request and sends nothing this long, not even the response's headers, holds the stream back:
   * MinIO builds from late October 2025 on do (a response wrapper there drops the flush), so events
   * would arrive in batches of kilobytes, if at all.
   */
  private static final Duration SILENCE = Duration.ofSeconds(20);

  /** One change: the key relative to the side's prefix, and whether it was removed. */
  record Event(String key, boolean removed) {}

  /** The server does not offer notifications (not MinIO, or not here). */
  static final class NotOffered extends Exception {
    NotOffered(String why) {
      super(why);
    }
  }

  private final MirrorSide side;
  private final SignedHttp http;
  private volatile SignedHttp.Call open;
  private volatile boolean stopped;

  /**
   * @param extensions false: treat the server as one without MinIO's extensions
   */
  BucketEvents(MirrorSide side, boolean extensions) {
    this.side = side;
    this.http = extensions ? SignedHttp.of(side) : null;
  }

  /**
   * Hands every event under the side's prefix to {@code sink}, and {@code connected} once the
   * server has accepted the subscription; returns when the connection ends (closed by {@link
   * #close}, by the server, or silent too long).
   *
   * @throws NotOffered when the server has no such API
   * @throws SdkException when the server cannot be reached or refuses (told by {@link S3Failures})
   */
  void listen(Runnable connected, Consumer<Event> sink) throws NotOffered, InterruptedException {
    if (http == null)
      throw new NotOffered("notifications are a MinIO extension, and this is not a MinIO endpoint");
    Map<String, List<String>> q = new LinkedHashMap<>();
    q.put("events", List.of("s3:ObjectCreated:*", "s3:ObjectRemoved:*"));
    if (!side.prefix().isEmpty()) q.put("prefix", List.of(side.prefix()));
    q.put("ping", List.of(Integer.toString(PING_SECONDS)));
    // The read timeout also tells a dead connection: pings come every PING_SECONDS.
    SignedHttp.Call call = http.prepare(q, SILENCE);
    open = call;
    if (stopped) return;
    SignedHttp.Response r;
    try {
      r = call.execute();
    } catch (SocketTimeoutException e) {
      if (stopped) return;
      throw new NotOffered(
          "the server took the request but sent nothing in "
              + SILENCE.toSeconds()
              + " s; MinIO builds from late October 2025 on hold notifications back");
    }
    try (r) {
      if (r.status != 200) {
        String body = r.errorText();
        int s = r.status;
        if (s == 400 || s == 405 || s == 501 || s == 404 && !body.contains("NoSuchBucket")) {
          throw new NotOffered("the server answered HTTP " + s + " to a notification request");
        }
        throw BucketLister.error(s, body);
      }
      if (!r.contentType.startsWith("text/event-stream")) {
        throw new NotOffered(
            "the server answered with "
                + (r.contentType.isEmpty() ? "no content type" : r.contentType)
                + ", not an event stream");
      }
      if (stopped) return;
      connected.run();
      BufferedReader in = new BufferedReader(new InputStreamReader(r.body, StandardCharsets.UTF_8));
      for (String line; (line = in.readLine()) != null; ) {
        if (!line.isBlank()) parse(line, sink);
      }
    } catch (IOException e) {
      // The connection ended (closed, silent too long, or lost): the caller reconnects, and
      // compares in full for what it may have missed.
    } finally {
      open = null;
    }
  }

  private void parse(String line, Consumer<Event> sink) {
    JsonNode records;
    try {
      records = Json.MAPPER.readTree(line).path("Records");
    } catch (IOException e) {
      return; // not an event (a proxy's keep-alive): the periodic pass covers anything lost
    }
    for (JsonNode r : records) {
      String name = r.path("eventName").asText("");
      boolean removed = name.startsWith("s3:ObjectRemoved");
      // MinIO sends listeners the key as it is; older builds and other senders URL-encode it. An
      // event only says which key to compare, so both readings are compared when they differ.
      String key = r.path("s3").path("object").path("key").asText("");
      String decoded = decode(key);
      for (String k : decoded.equals(key) ? List.of(key) : List.of(key, decoded)) {
        if (k.startsWith(side.prefix()) && k.length() > side.prefix().length()) {
          sink.accept(new Event(side.relative(k), removed));
        }
      }
    }
  }

  private static String decode(String key) {
    try {
      return URLDecoder.decode(key, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return key; // a '%' not followed by two hex digits: not encoded
    }
  }

  /** Ends a {@link #listen} in progress, or the next one (from another thread). */
  void close() {
    stopped = true;
    SignedHttp.Call c = open;
    if (c != null) c.disconnect();
  }
}
