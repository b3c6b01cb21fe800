package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.roadie.testkit.KubeCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/kubernetes: the base and the example overlay render ({@code kubectl kustomize}, the
 * kustomize of the test cluster's kubectl), and a real API server accepts every object they hold
 * (server-side dry-run apply). The Prometheus Operator's ServiceMonitor and PrometheusRule, whose
 * CRDs that cluster lacks, are checked instead: the rule groups by {@code promtool check rules} and
 * as identical to deploy/prometheus/roadie-rules.yaml, their own fields against the operator's
 * schema, and the ServiceMonitor against the Service and Deployment it must find. The example's
 * CronJobs are what {@code roadie config render-cronjobs} makes of its roadie.yaml today.
 */
@Tag("slow")
class KustomizeClusterTest {
  static final Path DEPLOY = PrometheusRulesTest.SOURCE.resolve("deploy/kubernetes");
  static final Path EXAMPLE = DEPLOY.resolve("overlays/example");
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** The Prometheus Operator's Duration (monitoring.coreos.com/v1). */
  static final Pattern DURATION =
      Pattern.compile(
          "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$");

  /** A Kubernetes object name (DNS-1123 subdomain). */
  static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

  @TempDir Path tmp;

  @Test
  void theApiServerAcceptsTheBaseAndTheExampleOverlay() throws Exception {
    List<JsonNode> base = kustomize(DEPLOY.resolve("base"));
    List<JsonNode> example = kustomize(EXAMPLE);
    assertEquals(
        List.of(
            "Namespace",
            "ServiceAccount",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRole",
            "ClusterRoleBinding",
            "ClusterRoleBinding",
            "ConfigMap",
            "Service",
            "Deployment",
            "PrometheusRule",
            "ServiceMonitor"),
        kinds(base));
    assertEquals(3, kinds(example).stream().filter("CronJob"::equals).count(), kinds(example) + "");

    try (KubeCluster cluster = KubeCluster.start()) {
      kubectl(cluster, "create", "namespace", "roadie");
      for (List<JsonNode> objects : List.of(base, example)) {
        List<JsonNode> core = new ArrayList<>();
        for (JsonNode o : objects) {
          if (!o.get("apiVersion").asText().startsWith("monitoring.coreos.com/")) core.add(o);
        }
        Path file = tmp.resolve("objects.yaml");
        writeYaml(file, core);
        String out =
            kubectl(cluster, "apply", "--server-side", "--dry-run=server", "-f", file.toString());
        for (JsonNode o : core) {
          String kind = o.get("kind").asText().toLowerCase(java.util.Locale.ROOT);
          String name = o.at("/metadata/name").asText();
          assertTrue(
              out.lines()
                  .anyMatch(
                      l ->
                          l.startsWith(kind)
                              && l.contains("/" + name + " serverside-applied (server dry run)")),
              o.get("kind").asText() + " " + name + " was not applied: " + out);
        }
      }
    }
  }

  @Test
  void thePrometheusRuleCarriesTheShippedRulesAndTheServiceMonitorFindsTheAgent() throws Exception {
    // Compared as written: kustomize's YAML writer changes the line breaks of folded
    // expressions (the same PromQL), so the rendered copies are checked by promtool below.
    assertEquals(
        YAML.readTree(PrometheusRulesTest.RULES.toFile()).get("groups"),
        YAML.readTree(DEPLOY.resolve("base/prometheusrule.yaml").toFile()).at("/spec/groups"),
        "base/prometheusrule.yaml's groups differ from deploy/prometheus/roadie-rules.yaml: run "
            + "deploy/kubernetes/render-prometheusrule");
    for (List<JsonNode> objects : List.of(kustomize(DEPLOY.resolve("base")), kustomize(EXAMPLE))) {
      JsonNode rule = only(objects, "PrometheusRule");
      checkPrometheusRule(rule);
      assertEquals(
          PrometheusRulesTest.ALERTS, rule.at("/spec/groups/0/rules").findValuesAsText("alert"));
      ObjectNode groups = YAML.createObjectNode().set("groups", rule.at("/spec/groups"));
      Path file = tmp.resolve("rule-groups.yaml");
      writeYaml(file, List.of(groups));
      assertEquals("", PrometheusRulesTest.promtool("check", "rules", file.toString()).error());

      JsonNode monitor = only(objects, "ServiceMonitor");
      checkServiceMonitor(monitor, only(objects, "Service"), only(objects, "Deployment"));
    }
  }

  /** The example's cronjobs.yaml is render-cronjobs' output for its roadie.yaml, unedited. */
  @Test
  void theExampleCronJobsAreRenderedFromItsConfig() throws Exception {
    assertEquals(
        Files.readString(EXAMPLE.resolve("cronjobs.yaml")),
        renderCronJobs(EXAMPLE.resolve("roadie.yaml")),
        "overlays/example/cronjobs.yaml is not what 'roadie config render-cronjobs roadie.yaml "
            + "--image roadie' gives: render it again");
    // The base's config is valid too (it names no cron target: no CronJob).
    assertTrue(
        !renderCronJobs(DEPLOY.resolve("base/roadie.yaml")).contains("kind: CronJob"),
        "the base's plan is the agent's");
  }

  /**
   * render-cronjobs as a user runs it on a workstation: the files the config names (under
   * /etc/roadie/secrets/, which this machine lacks) are the pods', and need not exist here.
   */
  private String renderCronJobs(Path config) throws Exception {
    assertFalse(Files.exists(Path.of("/etc/roadie/secrets")), "the files are the pods' only");
    return RoadieProcess.bare()
        .run("config", "render-cronjobs", config.toString(), "--image", "roadie")
        .assertExit(0)
        .stdout();
  }

  /** The PrometheusRule's own fields, as the operator's CRD allows them. */
  private static void checkPrometheusRule(JsonNode rule) {
    assertEquals("monitoring.coreos.com/v1", rule.get("apiVersion").asText());
    checkMetadata(rule);
    onlyKeys(rule, Set.of("apiVersion", "kind", "metadata", "spec"));
    onlyKeys(rule.get("spec"), Set.of("groups"));
    for (JsonNode g : rule.at("/spec/groups")) {
      onlyKeys(g, Set.of("name", "interval", "rules", "partial_response_strategy", "limit"));
      assertTrue(g.get("name").isTextual() && !g.get("name").asText().isEmpty(), g.toString());
      for (JsonNode r : g.get("rules")) {
        onlyKeys(
            r,
            Set.of("alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"));
        assertTrue(r.has("alert") != r.has("record"), "alert or record: " + r);
        assertTrue(r.get("expr").isTextual(), r.toString());
        if (r.has("for")) {
          assertTrue(DURATION.matcher(r.get("for").asText()).matches(), "for: " + r);
        }
        for (String map : List.of("labels", "annotations")) {
          if (r.has(map)) {
            for (JsonNode v : r.get(map)) assertTrue(v.isTextual(), map + " of " + r);
          }
        }
      }
    }
  }

  /**
   * The ServiceMonitor's own fields, as the operator's CRD allows them, and what it must find: the
   * Service its selector matches, a port of that Service it names, which leads to the agent's
   * container port.
   */
  private static void checkServiceMonitor(JsonNode monitor, JsonNode service, JsonNode agent) {
    assertEquals("monitoring.coreos.com/v1", monitor.get("apiVersion").asText());
    checkMetadata(monitor);
    onlyKeys(monitor, Set.of("apiVersion", "kind", "metadata", "spec"));
    JsonNode spec = monitor.get("spec");
    onlyKeys(
        spec,
        Set.of(
            "selector",
            "endpoints",
            "namespaceSelector",
            "jobLabel",
            "targetLabels",
            "podTargetLabels",
            "sampleLimit",
            "scrapeProtocols"));
    onlyKeys(spec.get("selector"), Set.of("matchLabels", "matchExpressions"));
    JsonNode matchLabels = spec.at("/selector/matchLabels");
    assertTrue(matchLabels.size() > 0, "the ServiceMonitor selects by label");
    for (Iterator<Map.Entry<String, JsonNode>> it = matchLabels.fields(); it.hasNext(); ) {
      var e = it.next();
      assertEquals(
          e.getValue().asText(),
          service.at("/metadata/labels").path(e.getKey()).asText(),
          "the ServiceMonitor's selector " + e.getKey() + " does not match the Service");
    }
    assertTrue(spec.get("endpoints").size() > 0, monitor.toString());
    for (JsonNode ep : spec.get("endpoints")) {
      onlyKeys(
          ep,
          Set.of(
              "port",
              "targetPort",
              "path",
              "scheme",
              "interval",
              "scrapeTimeout",
              "honorLabels",
              "relabelings",
              "metricRelabelings",
              "bearerTokenSecret",
              "authorization",
              "tlsConfig"));
      assertEquals("/metrics", ep.get("path").asText());
      assertTrue(DURATION.matcher(ep.get("interval").asText()).matches(), ep.toString());
      JsonNode port = null;
      for (JsonNode p : service.at("/spec/ports")) {
        if (p.get("name").asText().equals(ep.get("port").asText())) port = p;
      }
      assertTrue(port != null, "the Service has no port named " + ep.get("port"));
      String target = port.get("targetPort").asText();
      assertTrue(
          agent
              .at("/spec/template/spec/containers/0/ports")
              .findValuesAsText("name")
              .contains(target),
          "the agent's container has no port " + target);
    }
    // The Service finds the agent's pods.
    for (Iterator<Map.Entry<String, JsonNode>> it = service.at("/spec/selector").fields();
        it.hasNext(); ) {
      var e = it.next();
      assertEquals(
          e.getValue().asText(),
          agent.at("/spec/template/metadata/labels").path(e.getKey()).asText(),
          "the Service's selector " + e.getKey() + " does not match the agent's pods");
    }
  }

  private static void checkMetadata(JsonNode o) {
    assertTrue(
        NAME.matcher(o.at("/metadata/name").asText()).matches(),
        "metadata.name of " + o.get("kind"));
    onlyKeys(o.get("metadata"), Set.of("name", "namespace", "labels", "annotations"));
    assertEquals("roadie", o.at("/metadata/namespace").asText(), o.get("kind") + " namespace");
  }

  private static void onlyKeys(JsonNode node, Set<String> allowed) {
    assertTrue(node != null && node.isObject(), "an object: " + node);
    node.fieldNames()
        .forEachRemaining(
            k -> assertTrue(allowed.contains(k), "unknown field '" + k + "' in " + node));
  }

  private static JsonNode only(List<JsonNode> objects, String kind) {
    List<JsonNode> found =
        objects.stream().filter(o -> kind.equals(o.get("kind").asText())).toList();
    assertEquals(1, found.size(), "one " + kind);
    return found.get(0);
  }

  private static List<String> kinds(List<JsonNode> objects) {
    return objects.stream().map(o -> o.get("kind").asText()).toList();
  }

  private List<JsonNode> kustomize(Path dir) throws Exception {
    List<JsonNode> objects = new ArrayList<>();
    try (var docs =
        YAML.readValues(
            YAML.getFactory().createParser(run("kustomize", dir.toString())), JsonNode.class)) {
      while (docs.hasNext()) {
        JsonNode d = docs.next();
        if (d != null && d.has("kind")) objects.add(d);
      }
    }
    return objects;
  }

  private static void writeYaml(Path file, List<? extends JsonNode> docs) throws Exception {
    StringBuilder out = new StringBuilder();
    for (JsonNode d : docs) out.append(YAML.writeValueAsString(d));
    Files.writeString(file, out);
  }

  private static String kubectl(KubeCluster cluster, String... args) throws Exception {
    List<String> a = new ArrayList<>(List.of("--kubeconfig", cluster.kubeconfig().toString()));
    a.addAll(List.of(args));
    return run(a.toArray(String[]::new));
  }

  /** Runs kubectl of the test cluster's release; asserts it succeeds. */
  private static String run(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(KubeCluster.kubectl().toString()));
    command.addAll(List.of(args));
    // Standard error apart: a warning must not end up in the YAML that kustomize prints.
    Path err = Files.createTempFile("kubectl", ".err");
    try {
      Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(
          0, p.waitFor(), "kubectl " + String.join(" ", args) + ": " + out + Files.readString(err));
      return out;
    } finally {
      Files.deleteIfExists(err);
    }
  }
}
