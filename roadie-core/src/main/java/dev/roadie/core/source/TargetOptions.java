package dev.roadie.core.source;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.FileFailure;
import dev.roadie.core.RoadieException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * A target's own options as a config file gives them (the keys beside {@code kind} in the agent's
 * {@code roadie.yaml}, camelCase), for {@link SourceProvider#backupOptions} to turn into the kind's
 * {@link BackupRequest.Options}. Values are what a YAML or JSON parser yields: strings, numbers,
 * booleans, lists and maps.
 *
 * <p>Every error names the key and where it was written ({@code where}: "roadie.yaml line 12,
 * target 'cache', key 'url'"), says what was expected and is a {@link ErrorCode#USAGE} error. A key
 * that no getter asked for is refused by {@link #refuseUnknown}, so a misspelled option never
 * passes silently.
 *
 * <p>Secrets are never inline: a secret option {@code password} is given as {@code passwordFile}
 * (the file's first line) or {@code passwordEnv} (an environment variable of the process that reads
 * the config, passed in as {@code environment}); {@link #secret} reads either.
 */
public final class TargetOptions {
  private final String target;
  private final Map<String, Object> values;
  private final Function<String, String> where;
  private final Map<String, String> environment;
  private final boolean localFiles;
  private final Set<String> read = new LinkedHashSet<>();

  /**
   * @param target the target's name, for messages
   * @param values the options, keys as written (camelCase)
   * @param where for a key, where it was written ("roadie.yaml line 12"), or the target's own place
   *     for a key that is absent
   * @param environment the environment of the process reading the config ({@code *Env} references,
   *     the kubeconfig's {@code KUBECONFIG}, libpq's {@code PGPASSFILE})
   */
  public TargetOptions(
      String target,
      Map<String, ?> values,
      Function<String, String> where,
      Map<String, String> environment) {
    this(target, values, where, environment, true);
  }

  /**
   * As above; with {@code localFiles} false the secret files the options name are on the hosts that
   * will run the target (the pods of {@code config render-cronjobs}), not read here: {@link
   * #secret} gives a stand-in for each.
   */
  public TargetOptions(
      String target,
      Map<String, ?> values,
      Function<String, String> where,
      Map<String, String> environment,
      boolean localFiles) {
    this.target = target;
    this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    this.where = where;
    this.environment = environment == null ? Map.of() : Map.copyOf(environment);
    this.localFiles = localFiles;
  }

  /** Options given in code (tests, a one-off run): messages name the target only. */
  public static TargetOptions of(String target, Map<String, ?> values) {
    return new TargetOptions(target, values, key -> "target '" + target + "'", Map.of());
  }

  public String target() {
    return target;
  }

  /** The environment of the process that reads the config. */
  public Map<String, String> environment() {
    return environment;
  }

  public boolean has(String key) {
    read.add(key);
    return values.containsKey(key) && values.get(key) != null;
  }

  /** A {@link ErrorCode#USAGE} error about {@code key}: "WHERE, key 'KEY': MESSAGE". */
  public RoadieException error(String key, String message) {
    return new RoadieException(
        ErrorCode.USAGE, where.apply(key) + ", key '" + key + "': " + message);
  }

  /**
   * A string option, or null when absent. Numbers and booleans are refused: quote them if meant as
   * text.
   */
  public String string(String key) {
    Object v = raw(key);
    if (v == null) return null;
    if (!(v instanceof String s)) throw error(key, "expected text, found " + describe(v));
    if (s.isBlank()) throw error(key, "is empty");
    return s;
  }

  public String requiredString(String key, String example) {
    String s = string(key);
    if (s == null) throw missing(key, example);
    return s;
  }

  /** One of {@code allowed}, or {@code dflt} when absent. */
  public String choice(String key, String dflt, String... allowed) {
    String s = string(key);
    if (s == null) return dflt;
    for (String a : allowed) {
      if (a.equals(s)) return s;
    }
    throw error(key, "'" + s + "' is not one of " + String.join(", ", allowed));
  }

  public int integer(String key, int dflt, int min, int max) {
    Object v = raw(key);
    if (v == null) return dflt;
    if (!(v instanceof Integer || v instanceof Long || v instanceof Short)) {
      throw error(key, "expected a whole number, found " + describe(v));
    }
    long n = ((Number) v).longValue();
    if (n < min || n > max) throw error(key, n + " is out of range (" + min + " to " + max + ")");
    return (int) n;
  }

  public boolean flag(String key, boolean dflt) {
    Object v = raw(key);
    if (v == null) return dflt;
    if (!(v instanceof Boolean b)) throw error(key, "expected true or false, found " + describe(v));
    return b;
  }

  /** A list of strings; a single string is taken as a list of one. Empty when absent. */
  public List<String> strings(String key) {
    Object v = raw(key);
    if (v == null) return List.of();
    if (v instanceof String s) return List.of(s);
    if (!(v instanceof List<?> list))
      throw error(key, "expected a list of text, found " + describe(v));
    List<String> out = new ArrayList<>();
    for (Object o : list) {
      if (!(o instanceof String s) || s.isBlank()) {
        throw error(key, "expected a list of text, and one item is " + describe(o));
      }
      out.add(s);
    }
    return List.copyOf(out);
  }

  public Path path(String key) {
    String s = string(key);
    return s == null ? null : Path.of(s);
  }

  /**
   * A duration such as {@code 90s}, {@code 10m}, {@code 2h}, {@code 1d}, or an ISO-8601 one ({@code
   * PT90S}).
   */
  public Duration duration(String key, Duration dflt) {
    Object v = raw(key);
    if (v == null) return dflt;
    if (!(v instanceof String s))
      throw error(key, "expected a duration such as 90s, 10m or 2h, found " + describe(v));
    Duration d = parseDuration(s);
    if (d == null) throw error(key, "'" + s + "' is not a duration such as 90s, 10m, 2h or 1d");
    return d;
  }

  /**
   * {@code 90s}, {@code 10m}, {@code 2h}, {@code 1d}, {@code 500ms}, or ISO-8601; null when it is
   * none of these.
   */
  public static Duration parseDuration(String s) {
    String t = s.strip().toLowerCase(Locale.ROOT);
    try {
      if (t.startsWith("p")) return Duration.parse(t.toUpperCase(Locale.ROOT));
      if (t.endsWith("ms"))
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      long n = Long.parseLong(t.substring(0, t.length() - 1));
      return switch (t.charAt(t.length() - 1)) {
        case 's' -> Duration.ofSeconds(n);
        case 'm' -> Duration.ofMinutes(n);
        case 'h' -> Duration.ofHours(n);
        case 'd' -> Duration.ofDays(n);
        default -> null;
      };
    } catch (NumberFormatException | DateTimeParseException | StringIndexOutOfBoundsException e) {
      return null;
    }
  }

  /**
   * The secret {@code name}, from {@code NAMEFile} (the file's first line) or {@code NAMEEnv} (an
   * environment variable); null when neither is given. {@code NAME} itself is refused: a secret is
   * never written into a config file.
   */
  public String secret(String name) {
    String fileKey = name + "File";
    String envKey = name + "Env";
    if (has(name)) {
      throw error(
          name,
          "a secret is never written into the config: put it in a file and give "
              + fileKey
              + ": PATH, or in an environment variable and give "
              + envKey
              + ": NAME");
    }
    Path file = path(fileKey);
    String env = string(envKey);
    if (file != null && env != null)
      throw error(fileKey, "give " + fileKey + " or " + envKey + ", not both");
    if (file != null) return readSecretFile(file, fileKey);
    if (env != null) {
      String value = environment.get(env);
      if (value == null || value.isEmpty()) {
        throw error(
            envKey,
            "the environment variable "
                + env
                + " is not set (or empty) in the agent's environment");
      }
      return value;
    }
    return null;
  }

  private String readSecretFile(Path file, String key) {
    if (!localFiles) return "(the first line of " + file + " where the config runs)";
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw error(key, "the file " + file + " does not exist");
    } catch (IOException e) {
      throw error(key, FileFailure.describe(e));
    }
    int nl = text.indexOf('\n');
    String line = nl >= 0 ? text.substring(0, nl) : text;
    if (line.endsWith("\r")) line = line.substring(0, line.length() - 1);
    if (line.isEmpty()) throw error(key, "the file " + file + " is empty");
    return line;
  }

  /** Refuses every key no getter asked for, naming the keys this kind takes. */
  public void refuseUnknown(String kind) {
    for (String key : values.keySet()) {
      if (!read.contains(key)) {
        throw error(
            key,
            "a "
                + kind
                + " target has no option '"
                + key
                + "'; its options are "
                + String.join(", ", new TreeSet<>(read)));
      }
    }
  }

  public RoadieException missing(String key, String example) {
    return error(
        key,
        "a target of this kind needs "
            + key
            + (example == null ? "" : " (for example " + key + ": " + example + ")"));
  }

  private Object raw(String key) {
    read.add(key);
    return values.get(key);
  }

  private static String describe(Object v) {
    if (v == null) return "nothing";
    if (v instanceof String s) return "'" + s + "'";
    if (v instanceof List<?>) return "a list";
    if (v instanceof Map<?, ?>) return "a map";
    if (v instanceof Boolean) return "'" + v + "' (true/false)";
    if (v instanceof Number) return "the number " + v;
    return v.getClass().getSimpleName();
  }
}
