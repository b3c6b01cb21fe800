package dev.roadie.kubernetes.client;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * One API server, reached with the credentials of a kubeconfig context (or a pod's service
 * account). Requests are raw JSON over the client's authenticated HTTP connection: roadie handles
 * every kind alike, as maps, and decides itself which failures to retry. A failure to connect or to
 * authenticate is a {@link RoadieException} whose message names the server and the context and says
 * what to check; an error status is a {@link KubeApiException}.
 */
public final class KubeConnection implements AutoCloseable {
  /** Maps of a request's or an answer's JSON. */
  public static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http;
  private final String server;
  private final String context;
  private final String user;

  private KubeConnection(HttpClient http, String masterUrl, String context, String user) {
    this.http = http;
    String url = masterUrl;
    this.server = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    this.context = context;
    this.user = user;
  }

  /**
   * Connects (lazily: no request is made yet) to the cluster of {@code context} (null: the current
   * context) as {@code env} finds it.
   */
  public static KubeConnection open(KubeEnvironment env, String context) {
    List<Path> files = env.existingKubeconfigs();
    Config config;
    String contextName;
    if (!files.isEmpty()) {
      Path file = fileWithContext(files, context, env);
      try {
        config = Config.fromKubeconfig(context, file.toFile());
      } catch (RuntimeException e) {
        throw new RoadieException(
            ErrorCode.USAGE,
            "cannot use the kubeconfig "
                + file
                + (context == null ? "" : " (context " + context + ")")
                + ": "
                + e.getMessage(),
            e);
      }
      contextName =
          config.getCurrentContext() != null ? config.getCurrentContext().getName() : context;
    } else if (env.inCluster() != null && context == null) {
      config = inCluster(env.inCluster());
      contextName = "in-cluster service account";
    } else {
      throw new RoadieException(
          ErrorCode.USAGE,
          "no kubeconfig found ("
              + env.described()
              + ": no such file"
              + (context != null ? "; --context needs a kubeconfig" : "")
              + "), and this is not a pod with a service "
              + "account: set KUBECONFIG or create ~/.kube/config");
    }
    // roadie decides itself what to retry (restore retries transient refusals with its own
    // backoff);
    // the client's own retries would make an unreachable server take minutes to report.
    config.setRequestRetryBackoffLimit(0);
    config.setConnectionTimeout(10_000);
    config.setRequestTimeout(120_000);
    config.setMaxConcurrentRequests(256);
    config.setMaxConcurrentRequestsPerHost(256);
    if (config.getMasterUrl() == null || config.getMasterUrl().isBlank()) {
      throw new RoadieException(ErrorCode.USAGE, "context " + contextName + " names no server");
    }
    String user =
        config.getCurrentContext() != null && config.getCurrentContext().getContext() != null
            ? config.getCurrentContext().getContext().getUser()
            : null;
    ClientCertificate.prepare(
        config,
        "context " + contextName + (user != null ? ", user " + user : ""),
        env.described(),
        java.time.Instant.now());
    HttpClient client;
    try {
      // The HTTP client with the kubeconfig's TLS settings and authentication (tokens, exec
      // plugins, their refresh), without the typed client: roadie handles every kind as JSON.
      client = new JdkHttpClientFactory().newBuilder(config).build();
    } catch (RuntimeException e) {
      throw new RoadieException(
          ErrorCode.FAILURE,
          "the credentials of context "
              + contextName
              + " cannot be used: "
              + e.getMessage()
              + "; fix the kubeconfig ("
              + env.described()
              + ")",
          e);
    }
    return new KubeConnection(client, config.getMasterUrl(), contextName, user);
  }

  private static Path fileWithContext(List<Path> files, String context, KubeEnvironment env) {
    List<String> known = new java.util.ArrayList<>();
    for (Path f : files) {
      io.fabric8.kubernetes.api.model.Config parsed;
      try {
        parsed = io.fabric8.kubernetes.client.internal.KubeConfigUtils.parseConfig(f.toFile());
      } catch (RuntimeException e) {
        throw new RoadieException(
            ErrorCode.USAGE, "the kubeconfig " + f + " cannot be read: " + e.getMessage(), e);
      }
      if (context == null) {
        if (parsed.getCurrentContext() != null && !parsed.getCurrentContext().isBlank()) return f;
      } else if (parsed.getContexts() != null) {
        for (var c : parsed.getContexts()) {
          if (context.equals(c.getName())) return f;
          known.add(c.getName());
        }
      }
    }
    if (context == null) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "the kubeconfig ("
              + env.described()
              + ") sets no current context: pass --context NAME or run 'kubectl config use-context NAME'");
    }
    throw new RoadieException(
        ErrorCode.USAGE,
        "no context "
            + context
            + " in the kubeconfig ("
            + env.described()
            + ")"
            + (known.isEmpty() ? "" : "; it has " + String.join(", ", known)));
  }

  private static Config inCluster(KubeEnvironment.InCluster pod) {
    Config config = Config.empty();
    String host = pod.host().contains(":") ? "[" + pod.host() + "]" : pod.host();
    config.setMasterUrl("https://" + host + ":" + pod.port());
    config.setCaCertFile(pod.caFile().toString());
    // The projected token is rotated by the kubelet: read it for every request that needs it.
    config.setOauthTokenProvider(
        () -> {
          try {
            return Files.readString(pod.tokenFile()).strip();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
    return config;
  }

  /** The API server's URL, without a trailing slash. */
  public String server() {
    return server;
  }

  /** The server's host and port, as a target name shows them. */
  public String serverAddress() {
    URI u = URI.create(server);
    int port = u.getPort() > 0 ? u.getPort() : "http".equals(u.getScheme()) ? 80 : 443;
    return (u.getHost().contains(":") ? "[" + u.getHost() + "]" : u.getHost()) + ":" + port;
  }

  /** The kubeconfig context in use, for messages. */
  public String context() {
    return context;
  }

  /** An HTTP answer: its status and body. */
  public record Response(int status, byte[] body) {
    public boolean ok() {
      return status >= 200 && status < 300;
    }

    public Map<String, Object> json() {
      try {
        return JSON.readValue(body, new TypeReference<>() {});
      } catch (IOException e) {
        throw new RoadieException(
            ErrorCode.FAILURE,
            "the API server sent an answer that is not JSON: "
                + new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8),
            e);
      }
    }
  }

  /**
   * Sends one request; any HTTP status is returned. A request that reaches no server is a {@link
   * RoadieException.Retriable} naming the server and context.
   */
  public Response send(String method, String path, String contentType, byte[] body) {
    HttpRequest.Builder b =
        http.newHttpRequestBuilder().uri(server + path).header("Accept", "application/json");
    if (body != null && "POST".equals(method)) {
      b.post(contentType, body); // a byte array body: no stream to copy from on another thread
    } else if (body != null) {
      b.method(method, contentType, new String(body, StandardCharsets.UTF_8));
    } else if (!"GET".equals(method)) {
      b.method(method, "application/json", new java.io.ByteArrayInputStream(new byte[0]), 0L);
    }
    try {
      HttpResponse<byte[]> r = http.sendAsync(b.build(), byte[].class).get(180, TimeUnit.SECONDS);
      byte[] bytes = r.body() == null ? new byte[0] : r.body();
      return new Response(r.code(), bytes);
    } catch (ExecutionException e) {
      throw unreachable(e.getCause() != null ? e.getCause() : e);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new RoadieException.Retriable(
          where() + "did not answer " + method + " " + path + " within 180 s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RoadieException(ErrorCode.FAILURE, "interrupted", e);
    }
  }

  /** A streaming GET (a watch): the body as it arrives. The caller closes the stream. */
  public InputStream stream(String path) {
    HttpRequest request =
        http.newHttpRequestBuilder()
            .uri(server + path)
            .header("Accept", "application/json")
            .forStreaming()
            .build();
    try {
      HttpResponse<InputStream> r =
          http.sendAsync(request, InputStream.class).get(60, TimeUnit.SECONDS);
      if (r.code() >= 300) {
        byte[] body;
        try (InputStream in = r.body()) {
          body = in == null ? new byte[0] : in.readAllBytes();
        } catch (IOException e) {
          body = new byte[0];
        }
        throw error(new Response(r.code(), body), "watch " + path);
      }
      return r.body();
    } catch (ExecutionException e) {
      throw unreachable(e.getCause() != null ? e.getCause() : e);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new RoadieException.Retriable(
          where() + "did not answer watch " + path + " within 60 s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RoadieException(ErrorCode.FAILURE, "interrupted", e);
    }
  }

  /** GET as JSON; an error status is thrown as a {@link KubeApiException}. */
  public Map<String, Object> get(String path, String what) {
    Response r = send("GET", path, null, null);
    if (!r.ok()) throw error(r, what);
    return r.json();
  }

  private String where() {
    return "the Kubernetes API server at " + server + " (context " + context + ") ";
  }

  private RoadieException unreachable(Throwable cause) {
    Throwable root = cause;
    while (root.getCause() != null && root.getCause() != root) {
      if (root instanceof ConnectException
          || root instanceof UnknownHostException
          || root instanceof SSLException) break;
      root = root.getCause();
    }
    if (root instanceof SSLException) {
      return new RoadieException(
          ErrorCode.FAILURE,
          where()
              + "failed the TLS handshake ("
              + root.getMessage()
              + "): the kubeconfig's certificate authority does not match the server, or the server is not an API "
              + "server; check the context's cluster entry",
          cause);
    }
    String why =
        root instanceof UnknownHostException
            ? "its host name does not resolve"
            : root instanceof ConnectException || root instanceof HttpConnectTimeoutException
                ? "the connection failed ("
                    + (root.getMessage() == null
                        ? root.getClass().getSimpleName()
                        : root.getMessage())
                    + ")"
                : root.getClass().getSimpleName()
                    + (root.getMessage() == null ? "" : ": " + root.getMessage());
    return new RoadieException.Retriable(
        where()
            + "cannot be reached: "
            + why
            + "; check that the cluster is up and that the context names it",
        cause);
  }

  /**
   * The error an unsuccessful answer stands for, with the server's own message. {@code what} says
   * what was asked ("list secrets in festival").
   */
  public KubeApiException error(Response r, String what) {
    String reason = null;
    String message = null;
    try {
      Map<String, Object> status = r.json();
      reason = status.get("reason") instanceof String s ? s : null;
      message = status.get("message") instanceof String s ? s : null;
    } catch (RoadieException e) {
      message =
          new String(r.body(), 0, Math.min(r.body().length, 300), StandardCharsets.UTF_8).strip();
    }
    if (r.status() == 401) {
      return new KubeApiException(
          401,
          "Unauthorized",
          where()
              + "refused the credentials of "
              + (user != null ? "user " + user : "the context")
              + " (401 Unauthorized): the token or client certificate "
              + "is invalid or has expired; renew them in the kubeconfig and try again");
    }
    String text =
        what
            + ": "
            + (message == null || message.isBlank() ? "HTTP " + r.status() : message)
            + (reason != null ? " (" + reason + ")" : "");
    return new KubeApiException(r.status(), reason, text);
  }

  /** {@code s} encoded for a URL query parameter. */
  public static String query(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    http.close();
  }
}
