import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * bench/S3Ceiling.java: what the S3 server alone needs to take or serve the bytes of a backup, with
 * no roadie work and almost no client work. MODE put: COUNT objects of SIZE bytes PUT by
 * CONCURRENCY threads (roadie uploads two packs at a time); MODE get: the same objects read back in
 * RANGE-byte ranged GETs (roadie's restore reads up to 4 MiB of a pack per GET from S3). Requests
 * are SigV4-signed with UNSIGNED-PAYLOAD, as roadie sends them; the body is one reused buffer. Untimed requests
 * first warm up both sides (16 objects written and read back). Prints the wall seconds of the timed part and, given the
 * server's PID, the CPU seconds the server used meanwhile (from /proc).
 *
 * <p>Usage: java bench/S3Ceiling.java ENDPOINT BUCKET PREFIX put|get COUNT SIZE CONCURRENCY RANGE
 * [SERVER_PID] (credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).
 */
public class S3Ceiling {
  static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
  static String access = System.getenv("AWS_ACCESS_KEY_ID");
  static String secret = System.getenv("AWS_SECRET_ACCESS_KEY");
  static String region = System.getenv().getOrDefault("AWS_REGION", "us-east-1");

  public static void main(String[] args) throws Exception {
    URI endpoint = URI.create(args[0]);
    String bucket = args[1];
    String prefix = args[2];
    boolean put = args[3].equals("put");
    int count = Integer.parseInt(args[4]);
    int size = Integer.parseInt(args[5]);
    int threads = Integer.parseInt(args[6]);
    int range = Integer.parseInt(args[7]);
    String pid = args.length > 8 ? args[8] : null;
    byte[] body = new byte[size];
    new Random(1).nextBytes(body);
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    int ranges = (size + range - 1) / range;
    Task task = put
        ? i -> send(http, request(endpoint, "PUT", "/" + bucket + "/" + prefix + "/" + i, null, body), 200)
        : j -> {
          int i = j / ranges;
          long from = (long) (j % ranges) * range;
          long to = Math.min(size, from + range) - 1;
          send(http, request(endpoint, "GET", "/" + bucket + "/" + prefix + "/" + i, "bytes=" + from + "-" + to, null), 206);
        };
    if (put) {
      send(http, request(endpoint, "PUT", "/" + bucket, null, new byte[0]), 0); // the bucket; 409 if it exists
      // Warm-up, untimed: 16 objects written and read back, so both JITs are done before timing.
      run(threads, 16, i -> send(http, request(endpoint, "PUT", "/" + bucket + "/warm-up/" + i, null, body), 200));
      run(threads, 16 * ranges, j -> send(http, request(endpoint, "GET", "/" + bucket + "/warm-up/" + (j / ranges),
          "bytes=" + (long) (j % ranges) * range + "-" + (Math.min(size, (long) (j % ranges + 1) * range) - 1), null), 206));
    } else {
      run(threads, Math.min(count * ranges, 4 * threads), task);
    }
    double cpu0 = cpu(pid);
    long t0 = System.nanoTime();
    run(threads, put ? count : count * ranges, task);
    long t1 = System.nanoTime();
    double cpu1 = cpu(pid);
    System.out.printf("%.2f %.2f%n", (t1 - t0) / 1e9, cpu1 - cpu0);
  }

  /** User + system CPU seconds of a process (Linux), or 0 without a PID. */
  static double cpu(String pid) throws Exception {
    if (pid == null) return 0;
    String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", pid, "stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime in clock ticks (USER_HZ = 100)
  }

  interface Task {
    void run(int i) throws Exception;
  }

  static void run(int threads, int n, Task task) throws Exception {
    try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
      List<Future<?>> fs = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int k = i;
        fs.add(pool.submit(() -> {
          task.run(k);
          return null;
        }));
      }
      for (Future<?> f : fs) f.get();
    }
  }

  static void send(HttpClient http, HttpRequest req, int want) throws Exception {
    HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
    if (want != 0 && r.statusCode() != want) {
      throw new IllegalStateException(req.method() + " " + req.uri() + ": HTTP " + r.statusCode() + " "
          + new String(r.body(), StandardCharsets.UTF_8));
    }
  }

  static HttpRequest request(URI endpoint, String method, String path, String range, byte[] body) throws Exception {
    String date = ZonedDateTime.now(ZoneOffset.UTC).format(AMZ_DATE);
    String day = date.substring(0, 8);
    String host = endpoint.getHost() + (endpoint.getPort() > 0 ? ":" + endpoint.getPort() : "");
    String signed = "host;x-amz-content-sha256;x-amz-date";
    String canonical = method + "\n" + path + "\n\nhost:" + host + "\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:"
        + date + "\n\n" + signed + "\nUNSIGNED-PAYLOAD";
    String scope = day + "/" + region + "/s3/aws4_request";
    String toSign = "AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n"
        + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8)));
    byte[] key = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), day);
    key = hmac(hmac(hmac(key, region), "s3"), "aws4_request");
    String signature = HexFormat.of().formatHex(hmac(key, toSign));
    HttpRequest.Builder b = HttpRequest.newBuilder(endpoint.resolve(path))
        .header("x-amz-date", date)
        .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
        .header("Authorization", "AWS4-HMAC-SHA256 Credential=" + access + "/" + scope + ", SignedHeaders=" + signed
            + ", Signature=" + signature);
    if (range != null) b.header("Range", range);
    return body == null ? b.GET().build() : b.method(method, HttpRequest.BodyPublishers.ofByteArray(body)).build();
  }

  static byte[] hmac(byte[] key, String data) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
  }
}
