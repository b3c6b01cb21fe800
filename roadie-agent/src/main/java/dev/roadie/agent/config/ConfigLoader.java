package dev.roadie.agent.config;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.retention.RetentionPolicy;
import dev.roadie.core.retention.Span;
import dev.roadie.core.source.BackupRequest;
import dev.roadie.core.source.Sources;
import dev.roadie.core.source.TargetOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads and validates {@code roadie.yaml}. Every problem is reported with the file, the line and
 * the key ("roadie.yaml line 12, target 'cache', key 'url': ..."), all of them at once, in one
 * {@link ErrorCode#USAGE} error. Nothing here reaches the network: a config is checked anywhere.
 * Secrets are accepted only as references (a file, an environment variable), never inline.
 */
public final class ConfigLoader {
  private static final Set<String> TOP_KEYS =
      Set.of(
          "repository",
          "passwordFile",
          "passwordEnv",
          "secondRegion",
          "timezone",
          "listen",
          "tokenFile",
          "maxParallel",
          "missedRuns",
          "retries",
          "targets",
          "notifications",
          // Read by 'roadie drill --config' from the same file (commands.md, drill); the agent
          // leaves them alone.
          "scratch",
          "objectives");

  /** Keys of a target that the agent reads; every other key is the source's own option. */
  private static final Set<String> TARGET_KEYS =
      Set.of(
          "name",
          "kind",
          "schedule",
          "timezone",
          "jitter",
          "retention",
          "copy",
          "verify",
          "tags",
          "expectedInterval",
          "objectives");

  private static final Set<String> REPOSITORY_KEYS =
      Set.of("location", "s3Endpoint", "profile", "caFile", "passwordFile", "passwordEnv");
  public static final String DEFAULT_LISTEN = "127.0.0.1:9464";

  private final String file;
  private final Map<String, String> env;
  private final List<String> errors = new ArrayList<>();

  /**
   * Whether the files the config names are on this host (they are read and checked here), or on the
   * hosts that will run it (the pods of {@code render-cronjobs}, where they come from a Secret).
   */
  private final boolean localFiles;

  private ConfigLoader(String file, Map<String, String> env, boolean localFiles) {
    this.file = file;
    this.env = env;
    this.localFiles = localFiles;
  }

  /**
   * Reads {@code path}; {@code env} is the environment of the process ({@code *Env} references).
   */
  public static AgentConfig load(Path path, Map<String, String> env) {
    return parse(read(path), path, env, true);
  }

  private static String read(Path path) {
    try {
      return Files.readString(path, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new RoadieException(ErrorCode.USAGE, "config file " + path + " does not exist");
    } catch (IOException e) {
      throw new RoadieException(
          ErrorCode.USAGE, "config file " + path + " cannot be read: " + e.getMessage());
    }
  }

  /**
   * As {@link #load}, for a config that runs on other hosts ({@code config render-cronjobs}): the
   * files it names are neither looked for nor read here, only named; everything else is checked.
   */
  public static AgentConfig loadForOtherHosts(Path path, Map<String, String> env) {
    return parse(read(path), path, env, false);
  }

  /** Parses {@code text} as if read from {@code path}. */
  public static AgentConfig parse(String text, Path path, Map<String, String> env) {
    return parse(text, path, env, true);
  }

  private static AgentConfig parse(
      String text, Path path, Map<String, String> env, boolean localFiles) {
    ConfigLoader l = new ConfigLoader(path.toString(), env == null ? Map.of() : env, localFiles);
    Yaml.Node root = Yaml.parse(text, l.file);
    AgentConfig c = l.config(root, path);
    l.refuseProblems(path);
    return c;
  }

  /**
   * The webhooks of the config at {@code path} alone, validated as {@link #load} does, for a
   * command that reads its own part of the file ({@code roadie drill --config}): the rest of the
   * file need not be an agent's config. An empty list when the file has no {@code notifications}.
   */
  public static List<WebhookConfig> notifications(Path path, Map<String, String> env) {
    String text = read(path);
    ConfigLoader l = new ConfigLoader(path.toString(), env == null ? Map.of() : env, true);
    Yaml.Node root = Yaml.parse(text, l.file);
    if (!root.isMap()) return List.of();
    List<WebhookConfig> hooks = l.notifications(root.map().get("notifications"));
    l.refuseProblems(path);
    return hooks;
  }

  /** Every problem found, at once, naming file, line and key. */
  private void refuseProblems(Path path) {
    if (!errors.isEmpty()) {
      throw new RoadieException(
          ErrorCode.USAGE,
          errors.size() == 1
              ? errors.get(0)
              : errors.size() + " problems in " + path + ":\n  " + String.join("\n  ", errors));
    }
  }

  private String at(Yaml.Node n) {
    return file + " line " + n.line();
  }

  private void error(Yaml.Node n, String key, String message) {
    errors.add(at(n) + ", key '" + key + "': " + message);
  }

  private AgentConfig config(Yaml.Node root, Path path) {
    if (!root.isMap()) {
      errors.add(
          at(root) + ": the config is a map of keys (repository, passwordFile, targets, ...)");
      return null;
    }
    Map<String, Yaml.Node> m = root.map();
    for (var e : m.entrySet()) {
      if (!TOP_KEYS.contains(e.getKey())) {
        error(
            e.getValue(),
            e.getKey(),
            "unknown key; the top-level keys are " + String.join(", ", sorted(TOP_KEYS)));
      }
    }
    ZoneId zone = zone(m, "timezone", ZoneId.of("UTC"));
    RepositoryConfig repo = repository(m.get("repository"), "repository", m, root);
    RepositoryConfig copyTo =
        m.containsKey("secondRegion") ? secondRegion(m.get("secondRegion"), repo) : null;
    AgentConfig.Listen listen = listen(m);
    Path tokenFile = existingFile(m, "tokenFile");
    if (!listen.loopback() && tokenFile == null) {
      error(
          m.get("listen"),
          "listen",
          listen
              + " is not a loopback address: give tokenFile: PATH, the bearer token "
              + "that every request but /healthz, /readyz and /metrics must carry");
    }
    int maxParallel = integer(m, "maxParallel", 2, 1, 64);
    AgentConfig.MissedRuns missed = AgentConfig.MissedRuns.ONCE;
    String missedText = string(m, "missedRuns");
    if (missedText != null) {
      switch (missedText) {
        case "once" -> missed = AgentConfig.MissedRuns.ONCE;
        case "skip" -> missed = AgentConfig.MissedRuns.SKIP;
        default ->
            error(m.get("missedRuns"), "missedRuns", "'" + missedText + "' is not once or skip");
      }
    }
    AgentConfig.Retry retry = retry(m.get("retries"));
    List<TargetConfig> targets = new ArrayList<>();
    Yaml.Node tnode = m.get("targets");
    if (tnode == null || !tnode.isList() || tnode.list().isEmpty()) {
      errors.add(
          (tnode == null ? file : at(tnode))
              + ", key 'targets': a list of at least one target is needed "
              + "(each with name, kind and schedule)");
    } else {
      Set<String> names = new HashSet<>();
      for (Yaml.Node t : tnode.list()) {
        TargetConfig tc = target(t, zone, copyTo != null);
        if (tc == null) continue;
        if (!names.add(tc.name())) {
          errors.add(
              at(t)
                  + ", key 'name': target '"
                  + tc.name()
                  + "' is named twice; names must be unique");
        }
        targets.add(tc);
      }
    }
    List<WebhookConfig> hooks = notifications(m.get("notifications"));
    java.util.LinkedHashSet<Path> files = new java.util.LinkedHashSet<>();
    fileReferences(root, files);
    return new AgentConfig(
        path,
        repo,
        copyTo,
        zone,
        listen,
        tokenFile,
        maxParallel,
        missed,
        retry == null ? AgentConfig.Retry.DEFAULT : retry,
        targets,
        hooks,
        List.copyOf(files));
  }

  /**
   * Every value of a key ending in {@code File} (passwordFile, urlFile, caFile, …), anywhere in the
   * file.
   */
  private static void fileReferences(Yaml.Node n, Set<Path> out) {
    if (n.isMap()) {
      for (var e : n.map().entrySet()) {
        if (e.getKey().endsWith("File") && e.getValue().value() instanceof String s && !s.isBlank())
          out.add(Path.of(s));
        fileReferences(e.getValue(), out);
      }
    } else if (n.isList()) {
      for (Yaml.Node i : n.list()) fileReferences(i, out);
    }
  }

  private RepositoryConfig repository(
      Yaml.Node n, String key, Map<String, Yaml.Node> top, Yaml.Node root) {
    if (n == null) {
      errors.add(
          file
              + ", key '"
              + key
              + "': missing; give the repository's location (a directory or "
              + "s3://BUCKET/PREFIX), and its password by passwordFile or passwordEnv");
      return null;
    }
    Map<String, Yaml.Node> m;
    String location;
    Yaml.Node where = n;
    if (n.value() instanceof String s) {
      location = s;
      m = top != null ? top : Map.of();
    } else if (n.isMap()) {
      m = n.map();
      for (var e : m.entrySet()) {
        if (!REPOSITORY_KEYS.contains(e.getKey())) {
          error(
              e.getValue(),
              e.getKey(),
              "unknown key of "
                  + key
                  + "; its keys are "
                  + String.join(", ", sorted(REPOSITORY_KEYS)));
        }
      }
      location = string(m, "location");
      if (location == null) {
        error(n, key + ".location", "missing: the repository's directory or s3://BUCKET/PREFIX");
        return null;
      }
    } else {
      error(
          n, key, "expected a location (a directory or s3://BUCKET/PREFIX) or a map with location");
      return null;
    }
    if (location.contains("@")) {
      error(
          where,
          key,
          "a location with credentials is refused: give them by profile or the AWS environment");
      return null;
    }
    String endpoint = n.isMap() ? string(m, "s3Endpoint") : null;
    String profile = n.isMap() ? string(m, "profile") : null;
    Path caFile = n.isMap() ? existingFile(m, "caFile") : null;
    Path pwFile = existingFile(m, "passwordFile");
    String pwEnv = string(m, "passwordEnv");
    Yaml.Node pwWhere =
        m.getOrDefault("passwordFile", m.getOrDefault("passwordEnv", n.isMap() ? n : root));
    String fromEnv = null;
    if (pwFile != null && pwEnv != null) {
      error(pwWhere, "passwordFile", "give passwordFile or passwordEnv, not both");
    } else if (pwFile == null && pwEnv == null && !m.containsKey("passwordFile")) {
      error(
          pwWhere,
          key.equals("repository") ? "passwordFile" : key + ".passwordFile",
          "the repository's password is needed: passwordFile: PATH (its first line) or passwordEnv: NAME");
    } else if (pwEnv != null) {
      fromEnv = env.get(pwEnv);
      if (fromEnv == null || fromEnv.isEmpty()) {
        error(
            m.get("passwordEnv"),
            "passwordEnv",
            "the environment variable " + pwEnv + " is not set (or empty)");
      }
    }
    return new RepositoryConfig(location, endpoint, profile, caFile, pwFile, pwEnv, fromEnv);
  }

  /**
   * The second region's repository, where targets with {@code copy: true} are copied: {@code
   * repository}, its S3 options, and its password ({@code passwordFile} or {@code passwordEnv};
   * default: the first repository's). The same section {@code roadie drill --config} reads.
   */
  private RepositoryConfig secondRegion(Yaml.Node n, RepositoryConfig first) {
    if (!n.isMap()) {
      error(n, "secondRegion", "expected a map: {repository: LOCATION, passwordFile: PATH}");
      return null;
    }
    Map<String, Yaml.Node> m = n.map();
    unknown(
        m,
        Set.of("repository", "passwordFile", "passwordEnv", "s3Endpoint", "profile", "caFile"),
        "secondRegion");
    String location = string(m, "repository");
    if (location == null) {
      error(
          n,
          "secondRegion.repository",
          "missing: the second region's repository (s3://BUCKET/PREFIX or a directory)");
      return null;
    }
    Path pwFile = existingFile(m, "passwordFile");
    String pwEnv = string(m, "passwordEnv");
    String fromEnv = null;
    if (pwEnv != null) {
      fromEnv = env.get(pwEnv);
      if (fromEnv == null || fromEnv.isEmpty()) {
        error(
            m.get("passwordEnv"),
            "passwordEnv",
            "the environment variable " + pwEnv + " is not set (or empty)");
      }
    }
    if (pwFile == null && pwEnv == null && first != null) {
      pwFile = first.passwordFile();
      pwEnv = first.passwordEnv();
      fromEnv = first.passwordFromEnv();
    }
    return new RepositoryConfig(
        location,
        string(m, "s3Endpoint"),
        string(m, "profile"),
        existingFile(m, "caFile"),
        pwFile,
        pwEnv,
        fromEnv);
  }

  private AgentConfig.Listen listen(Map<String, Yaml.Node> m) {
    String text = string(m, "listen");
    if (text == null) text = DEFAULT_LISTEN;
    int colon = text.lastIndexOf(':');
    String host = colon > 0 ? text.substring(0, colon) : "";
    int port = -1;
    try {
      port = colon > 0 ? Integer.parseInt(text.substring(colon + 1)) : -1;
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (host.isEmpty() || port < 0 || port > 65535) {
      error(
          m.get("listen"),
          "listen",
          "'" + text + "' is not HOST:PORT, such as 127.0.0.1:9464 or 0.0.0.0:9464");
      return new AgentConfig.Listen("127.0.0.1", 9464);
    }
    if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
    return new AgentConfig.Listen(host, port);
  }

  private AgentConfig.Retry retry(Yaml.Node n) {
    if (n == null) return null;
    if (!n.isMap()) {
      error(n, "retries", "expected a map: {attempts: 3, backoff: 30s, maxBackoff: 10m}");
      return null;
    }
    Map<String, Yaml.Node> m = n.map();
    unknown(m, Set.of("attempts", "backoff", "maxBackoff"), "retries");
    int attempts = integer(m, "attempts", AgentConfig.Retry.DEFAULT.attempts(), 1, 100);
    Duration backoff = duration(m, "backoff", AgentConfig.Retry.DEFAULT.backoff());
    Duration max = duration(m, "maxBackoff", AgentConfig.Retry.DEFAULT.maxBackoff());
    return new AgentConfig.Retry(attempts, backoff, max);
  }

  private TargetConfig target(Yaml.Node t, ZoneId topZone, boolean hasCopyTo) {
    if (!t.isMap()) {
      errors.add(
          at(t) + ": a target is a map with name, kind, schedule and the kind's own options");
      return null;
    }
    Map<String, Yaml.Node> m = t.map();
    String name = string(m, "name");
    if (name == null) {
      errors.add(
          at(t)
              + ", key 'name': every target needs a name (the snapshots' target and the metrics' label)");
      return null;
    }
    String kind = string(m, "kind");
    String here = at(t) + ", target '" + name + "'";
    if (kind == null) {
      errors.add(here + ", key 'kind': missing; one of " + String.join(", ", Sources.kinds()));
      return null;
    }
    if (!Sources.kinds().contains(kind)) {
      errors.add(
          at(m.get("kind"))
              + ", target '"
              + name
              + "', key 'kind': '"
              + kind
              + "' is not a kind of this "
              + "roadie; one of "
              + String.join(", ", Sources.kinds()));
      return null;
    }
    ZoneId zone = zone(m, "timezone", topZone);
    Schedule schedule = schedule(m, name, kind, zone);
    Duration jitter = duration(m, "jitter", Duration.ZERO);
    RetentionPolicy retention = retention(m.get("retention"), name);
    boolean copy = flag(m, "copy", false);
    if (copy && !hasCopyTo) {
      error(
          m.get("copy"),
          "copy",
          "target '"
              + name
              + "' is copied, but the config has no secondRegion "
              + "(secondRegion: {repository: LOCATION, passwordFile: PATH})");
    }
    TargetConfig.VerifyConfig verify = verify(m.get("verify"), zone);
    List<String> tags = strings(m, "tags");
    Duration expected = duration(m, "expectedInterval", null);
    if (expected == null && schedule instanceof Schedule.Cron c) {
      expected = c.longestGap(ZonedDateTime.now(zone));
    }
    Map<String, Object> own = new LinkedHashMap<>();
    for (var e : m.entrySet()) {
      if (!TARGET_KEYS.contains(e.getKey())) own.put(e.getKey(), e.getValue().plain());
    }
    TargetOptions options =
        new TargetOptions(
            name,
            own,
            key -> (m.containsKey(key) ? at(m.get(key)) : at(t)) + ", target '" + name + "'",
            env,
            localFiles);
    BackupRequest.Options built = null;
    try {
      built = Sources.forKind(kind).backupOptions(kind, options);
    } catch (RoadieException e) {
      errors.add(e.getMessage());
    }
    return new TargetConfig(
        name, kind, schedule, zone, jitter, retention, copy, verify, built, expected, tags,
        t.line());
  }

  private Schedule schedule(Map<String, Yaml.Node> m, String name, String kind, ZoneId zone) {
    Yaml.Node n = m.get("schedule");
    if (n == null) return new Schedule.Manual();
    if (n.value() instanceof Map<?, ?>) {
      Map<String, Yaml.Node> s = n.map();
      unknown(s, Set.of("onChange", "settle"), "schedule");
    }
    String text = n.value() instanceof String s ? s : null;
    if (text == null) {
      error(
          n,
          "schedule",
          "expected a cron expression such as \"0 * * * *\", continuous or on-change");
      return new Schedule.Manual();
    }
    switch (text) {
      case "continuous" -> {
        if (!kind.equals("postgres-physical")) {
          error(
              n,
              "schedule",
              "continuous applies to postgres-physical targets (the WAL stream), not " + kind);
        }
        return new Schedule.Continuous();
      }
      case "on-change" -> {
        if (!kind.equals("k8s"))
          error(n, "schedule", "on-change applies to k8s targets, not " + kind);
        return new Schedule.OnChange(Duration.ofSeconds(10));
      }
      default -> {
        try {
          return Schedule.Cron.parse(text, zone);
        } catch (IllegalArgumentException e) {
          error(
              n,
              "schedule",
              "'"
                  + text
                  + "' is not a cron expression (minute hour day-of-month month "
                  + "day-of-week, such as \"0 * * * *\" for hourly, or second minute hour "
                  + "day-of-month month day-of-week): "
                  + e.getMessage());
          return new Schedule.Manual();
        }
      }
    }
  }

  private RetentionPolicy retention(Yaml.Node n, String target) {
    if (n == null) return null;
    if (!n.isMap()) {
      error(n, "retention", "expected a map such as {keepLast: 5} or {keepWithin: 30d}");
      return null;
    }
    Map<String, Yaml.Node> m = n.map();
    unknown(
        m,
        Set.of(
            "keepLast",
            "keepHourly",
            "keepDaily",
            "keepWeekly",
            "keepMonthly",
            "keepYearly",
            "keepWithin",
            "keepTags"),
        "retention");
    int last = integer(m, "keepLast", 0, -1, Integer.MAX_VALUE);
    int hourly = integer(m, "keepHourly", 0, -1, Integer.MAX_VALUE);
    int daily = integer(m, "keepDaily", 0, -1, Integer.MAX_VALUE);
    int weekly = integer(m, "keepWeekly", 0, -1, Integer.MAX_VALUE);
    int monthly = integer(m, "keepMonthly", 0, -1, Integer.MAX_VALUE);
    int yearly = integer(m, "keepYearly", 0, -1, Integer.MAX_VALUE);
    Span within = null;
    String w = string(m, "keepWithin");
    if (w != null) {
      try {
        within = Span.parse(w);
      } catch (IllegalArgumentException e) {
        error(m.get("keepWithin"), "keepWithin", e.getMessage());
      }
    }
    RetentionPolicy p =
        new RetentionPolicy(
            last, hourly, daily, weekly, monthly, yearly, within, strings(m, "keepTags"));
    if (p.isEmpty()) {
      error(
          n,
          "retention",
          "target '"
              + target
              + "': no keep rule given, which would remove every snapshot; "
              + "say what to keep (keepLast, keepDaily, keepWithin, ...) or leave retention out to keep all");
      return null;
    }
    return p;
  }

  private TargetConfig.VerifyConfig verify(Yaml.Node n, ZoneId zone) {
    if (n == null) return null;
    if (!n.isMap()) {
      error(n, "verify", "expected a map such as {schedule: \"0 4 * * 0\"} or {afterBackup: true}");
      return null;
    }
    Map<String, Yaml.Node> m = n.map();
    unknown(m, Set.of("schedule", "afterBackup"), "verify");
    Schedule.Cron cron = null;
    String s = string(m, "schedule");
    if (s != null) {
      try {
        cron = Schedule.Cron.parse(s, zone);
      } catch (IllegalArgumentException e) {
        error(
            m.get("schedule"),
            "verify.schedule",
            "'" + s + "' is not a cron expression: " + e.getMessage());
      }
    }
    boolean after = flag(m, "afterBackup", false);
    if (cron == null && !after && s == null) {
      error(n, "verify", "give schedule: CRON, afterBackup: true, or both");
    }
    return new TargetConfig.VerifyConfig(cron, after);
  }

  private List<WebhookConfig> notifications(Yaml.Node n) {
    List<WebhookConfig> out = new ArrayList<>();
    if (n == null) return out;
    if (!n.isList()) {
      error(
          n,
          "notifications",
          "expected a list, such as - webhook: {urlFile: /etc/roadie/slack-url, format: slack}");
      return out;
    }
    for (Yaml.Node item : n.list()) {
      if (!item.isMap()
          || !item.map().containsKey("webhook")
          || !item.map().get("webhook").isMap()) {
        errors.add(at(item) + ": a notification is webhook: {urlFile: PATH, format: slack|json}");
        continue;
      }
      unknown(item.map(), Set.of("webhook"), "notifications");
      Yaml.Node w = item.map().get("webhook");
      Map<String, Yaml.Node> m = w.map();
      unknown(m, Set.of("urlFile", "urlEnv", "url", "format", "on"), "webhook");
      if (m.containsKey("url")) {
        error(
            m.get("url"),
            "url",
            "a webhook URL is a credential and is never written into the config: put it in "
                + "a file and give urlFile: PATH, or in an environment variable and give urlEnv: NAME");
        continue;
      }
      String format = string(m, "format");
      if (format == null) format = "json";
      if (!format.equals("slack") && !format.equals("json")) {
        error(m.get("format"), "format", "'" + format + "' is not slack or json");
      }
      Set<String> events = new LinkedHashSet<>(strings(m, "on"));
      if (events.isEmpty()) events.addAll(List.of("failure", "recovery", "verification", "drill"));
      for (String e : events) {
        if (!WebhookConfig.EVENTS.contains(e)) {
          error(
              m.get("on"),
              "on",
              "'"
                  + e
                  + "' is not an event; the events are "
                  + String.join(", ", sorted(WebhookConfig.EVENTS)));
        }
      }
      String url = null;
      Path urlFile = existingFile(m, "urlFile");
      String urlEnv = string(m, "urlEnv");
      if (urlFile != null && !localFiles) {
        url = null; // read where the config runs
      } else if (urlFile != null) {
        try {
          url = Files.readString(urlFile, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
          error(m.get("urlFile"), "urlFile", "cannot be read: " + e.getMessage());
        }
      } else if (urlEnv != null) {
        url = env.get(urlEnv);
        if (url == null || url.isBlank())
          error(
              m.get("urlEnv"),
              "urlEnv",
              "the environment variable " + urlEnv + " is not set (or empty)");
      } else if (!m.containsKey("urlFile")) {
        error(
            w, "urlFile", "a webhook needs urlFile: PATH (a file holding the URL) or urlEnv: NAME");
      }
      if (url == null || url.isBlank()) continue;
      URI uri;
      try {
        uri = URI.create(url.strip());
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
            || uri.getHost() == null) {
          throw new IllegalArgumentException();
        }
      } catch (IllegalArgumentException e) {
        error(
            m.getOrDefault("urlFile", m.get("urlEnv")),
            urlFile != null ? "urlFile" : "urlEnv",
            "does not hold an http(s) URL");
        continue;
      }
      out.add(new WebhookConfig(uri, format, events));
    }
    return out;
  }

  // Typed getters: each records an error naming the key and returns a harmless value.

  private void unknown(Map<String, Yaml.Node> m, Set<String> allowed, String what) {
    for (var e : m.entrySet()) {
      if (!allowed.contains(e.getKey())) {
        error(
            e.getValue(),
            e.getKey(),
            "unknown key of " + what + "; its keys are " + String.join(", ", sorted(allowed)));
      }
    }
  }

  private String string(Map<String, Yaml.Node> m, String key) {
    Yaml.Node n = m.get(key);
    if (n == null || n.value() == null) return null;
    if (!(n.value() instanceof String s) || s.isBlank()) {
      error(n, key, "expected text");
      return null;
    }
    return s;
  }

  private List<String> strings(Map<String, Yaml.Node> m, String key) {
    Yaml.Node n = m.get(key);
    if (n == null || n.value() == null) return List.of();
    if (n.value() instanceof String s) return List.of(s);
    if (!n.isList()) {
      error(n, key, "expected a list of text");
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (Yaml.Node i : n.list()) {
      if (i.value() instanceof String s) {
        out.add(s);
      } else {
        error(i, key, "expected a list of text");
      }
    }
    return out;
  }

  private int integer(Map<String, Yaml.Node> m, String key, int dflt, int min, int max) {
    Yaml.Node n = m.get(key);
    if (n == null || n.value() == null) return dflt;
    if (!(n.value() instanceof Integer || n.value() instanceof Long)) {
      error(n, key, "expected a whole number");
      return dflt;
    }
    long v = ((Number) n.value()).longValue();
    if (v < min || v > max) {
      error(n, key, v + " is out of range (" + min + " to " + max + ")");
      return dflt;
    }
    return (int) v;
  }

  private boolean flag(Map<String, Yaml.Node> m, String key, boolean dflt) {
    Yaml.Node n = m.get(key);
    if (n == null || n.value() == null) return dflt;
    if (!(n.value() instanceof Boolean b)) {
      error(n, key, "expected true or false");
      return dflt;
    }
    return b;
  }

  private Duration duration(Map<String, Yaml.Node> m, String key, Duration dflt) {
    String s = string(m, key);
    if (s == null) return dflt;
    Duration d = TargetOptions.parseDuration(s);
    if (d == null || d.isNegative()) {
      error(m.get(key), key, "'" + s + "' is not a duration such as 90s, 10m, 2h or 1d");
      return dflt;
    }
    return d;
  }

  private ZoneId zone(Map<String, Yaml.Node> m, String key, ZoneId dflt) {
    String s = string(m, key);
    if (s == null) return dflt;
    try {
      return ZoneId.of(s);
    } catch (DateTimeException e) {
      error(
          m.get(key),
          key,
          "'" + s + "' is not a time zone; use a name such as UTC or Europe/Berlin");
      return dflt;
    }
  }

  private Path existingFile(Map<String, Yaml.Node> m, String key) {
    String s = string(m, key);
    if (s == null) return null;
    Path p = Path.of(s);
    if (!localFiles) return p;
    if (!Files.isRegularFile(p)) {
      error(m.get(key), key, "the file " + p + " does not exist");
      return null;
    }
    if (!Files.isReadable(p)) {
      error(m.get(key), key, "the file " + p + " is not readable by this user");
      return null;
    }
    return p;
  }

  private static List<String> sorted(Set<String> s) {
    return s.stream().sorted().toList();
  }
}
