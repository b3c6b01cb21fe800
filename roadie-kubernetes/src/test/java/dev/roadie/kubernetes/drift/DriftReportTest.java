package dev.roadie.kubernetes.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The report as a person and a program read it. */
class DriftReportTest {
  private static final ObjectKey SETTINGS = new ObjectKey("", "ConfigMap", "festival", "settings");

  @Test
  void longValuesAreCutInTheTextAndWholeInJson() {
    String file = "x".repeat(5000);
    DriftReport r =
        new DriftReport(
            "the cluster",
            "k8s/",
            "live",
            List.of(
                new ObjectDrift(
                    ObjectDrift.State.CHANGED,
                    SETTINGS,
                    "v1",
                    "k8s/cm.yaml:1",
                    List.of(FieldDifference.changed("/data/nginx.conf", file, "short")),
                    null)),
            2);
    String text = r.text();
    assertTrue(
        text.contains(
            "  /data/nginx.conf: \""
                + "x".repeat(199)
                + "… (5002 characters; --json shows all) → \"short\""),
        text);
    assertTrue(text.length() < 1000, text);
    Map<?, ?> field =
        (Map<?, ?>)
            ((List<?>) ((Map<?, ?>) ((List<?>) r.json().get("objects")).getFirst()).get("fields"))
                .getFirst();
    assertEquals(file, field.get("old"));
  }

  @Test
  void summaryLinesSayWhatWasFound() {
    assertTrue(
        new DriftReport("c", "d", "live", List.of(), 3)
            .text()
            .endsWith("no drift: 3 objects match\n"));
    DriftReport r =
        new DriftReport(
            "c",
            "d",
            "offline",
            List.of(
                new ObjectDrift(
                    ObjectDrift.State.MISSING, SETTINGS, "v1", "d/cm.yaml:1", List.of(), null),
                new ObjectDrift(
                    ObjectDrift.State.FAILED, SETTINGS, "v1", null, List.of(), "forbidden")),
            1);
    assertTrue(r.drift() && r.failed());
    assertTrue(r.text().endsWith("drift: 1 missing, 1 failed; 1 object matches\n"), r.text());
    assertTrue(
        r.text()
            .startsWith(
                "drift of c against d (offline: only the fields the manifests set, as written)\n"));
  }
}
