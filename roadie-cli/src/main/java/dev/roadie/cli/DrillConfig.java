package dev.roadie.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.verify.DrillRecord;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The part of roadie's YAML config that {@code roadie drill --config} reads: the targets to drill
 * with their recovery objectives, the second region's repository, and the scratch servers. Other
 * keys of the file (the agent's schedules, retention, …) are left alone. The format:
 *
 * <pre>
 * secondRegion:
 *   repository: s3://dr-bucket/roadie      # the 'copy' destination in the other region
 *   passwordFile: /etc/roadie/dr-password  # default: the repository's own password
 *   s3Endpoint: https://minio.dr:9000
 * scratch:
 *   directory: /var/tmp/roadie-drills
 *   postgres: postgresql://verify@scratch-db:5432/postgres   # a server kept for scratch databases
 *   pgBin: /usr/lib/postgresql/16/bin
 *   redisServer: /usr/bin/redis-server
 * objectives:                                # per scenario, replacing the guide's table
 *   database-corruption: {rpo: 1h, rto: 30m}
 * targets:                                   # default: every target in the repository
 *   - name: postgres://db:5432/shop
 *     objectives:
 *       database-corruption: {rpo: 15m, rto: 10m}
 * </pre>
 */
record DrillConfig(
    String secondRepository,
    Path secondPasswordFile,
    String secondS3Endpoint,
    Path scratchDirectory,
    String scratchPostgres,
    Path pgBin,
    String redisServer,
    Map<String, DrillRecord.Objective> scenarioObjectives,
    List<String> targets,
    Map<String, Map<String, DrillRecord.Objective>> targetObjectives) {

  static DrillConfig read(Path file) throws IOException {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
    } catch (java.io.FileNotFoundException | NoSuchFileException e) {
      throw new RoadieException(ErrorCode.USAGE, "--config " + file + " does not exist");
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new RoadieException(
          ErrorCode.USAGE, "--config " + file + " is not valid YAML: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new RoadieException(
          ErrorCode.USAGE, "--config " + file + " is not a YAML mapping (key: value)");
    }
    String where = file.toString();
    JsonNode second =
        section(root, "secondRegion", where, List.of("repository", "passwordFile", "s3Endpoint"));
    JsonNode scratch =
        section(root, "scratch", where, List.of("directory", "postgres", "pgBin", "redisServer"));
    Map<String, DrillRecord.Objective> scenario =
        objectives(root.get("objectives"), where + ": objectives");
    List<String> targets = null;
    Map<String, Map<String, DrillRecord.Objective>> perTarget = new LinkedHashMap<>();
    if (root.has("targets")) {
      JsonNode list = root.get("targets");
      if (!list.isArray()) throw bad(where, "targets", "a list of {name: TARGET, objectives: …}");
      targets = new ArrayList<>();
      for (JsonNode t : list) {
        String name = t.isTextual() ? t.asText() : t.path("name").asText(null);
        if (name == null || name.isBlank()) throw bad(where, "targets", "entries with a name");
        targets.add(name);
        if (t.isObject()) {
          // A target of the agent (it has a kind) carries its schedule and options beside: the
          // drill
          // reads only its name and objectives.
          if (!t.has("kind")) known(t, where + ": target " + name, List.of("name", "objectives"));
          perTarget.put(
              name, objectives(t.get("objectives"), where + ": target " + name + ": objectives"));
        }
      }
    }
    return new DrillConfig(
        text(second, "repository"),
        path(second, "passwordFile"),
        text(second, "s3Endpoint"),
        path(scratch, "directory"),
        text(scratch, "postgres"),
        path(scratch, "pgBin"),
        text(scratch, "redisServer"),
        scenario,
        targets,
        perTarget);
  }

  /**
   * The objectives of {@code target} in {@code scenario}: its own, else the config's for the
   * scenario, else null.
   */
  DrillRecord.Objective objective(String scenario, String target) {
    Map<String, DrillRecord.Objective> own = targetObjectives.get(target);
    if (own != null && own.containsKey(scenario)) return own.get(scenario);
    return scenarioObjectives.get(scenario);
  }

  private static JsonNode section(JsonNode root, String name, String where, List<String> keys) {
    JsonNode n = root.get(name);
    if (n == null || n.isNull()) return null;
    if (!n.isObject()) throw bad(where, name, "a mapping");
    known(n, where + ": " + name, keys);
    return n;
  }

  private static void known(JsonNode n, String where, List<String> keys) {
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!keys.contains(k)) {
        throw new RoadieException(
            ErrorCode.USAGE,
            where + ": unknown key '" + k + "' (known: " + String.join(", ", keys) + ")");
      }
    }
  }

  private static Map<String, DrillRecord.Objective> objectives(JsonNode n, String where) {
    Map<String, DrillRecord.Objective> out = new LinkedHashMap<>();
    if (n == null || n.isNull()) return out;
    if (!n.isObject())
      throw new RoadieException(ErrorCode.USAGE, where + " must map scenarios to {rpo: …, rto: …}");
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      dev.roadie.core.verify.Drill.Scenario s =
          dev.roadie.core.verify.Drill.Scenario.parse(e.getKey());
      known(e.getValue(), where + ": " + e.getKey(), List.of("rpo", "rto"));
      Duration rpo =
          e.getValue().has("rpo")
              ? PruneOptions.duration(
                  where + ": " + e.getKey() + ": rpo", e.getValue().get("rpo").asText())
              : s.rpo;
      Duration rto =
          e.getValue().has("rto")
              ? PruneOptions.duration(
                  where + ": " + e.getKey() + ": rto", e.getValue().get("rto").asText())
              : s.rto;
      out.put(s.id, new DrillRecord.Objective(rpo.toSeconds(), rto.toSeconds()));
    }
    return out;
  }

  private static String text(JsonNode section, String key) {
    return section == null || !section.hasNonNull(key) ? null : section.get(key).asText();
  }

  private static Path path(JsonNode section, String key) {
    String t = text(section, key);
    return t == null ? null : Path.of(t);
  }

  private static RoadieException bad(String where, String key, String what) {
    return new RoadieException(ErrorCode.USAGE, where + ": " + key + " must be " + what);
  }
}
