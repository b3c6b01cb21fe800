package dev.roadie.core.source;

import java.util.List;

/**
 * What a verification found: how many items it compared (files, tables, databases) and every
 * difference between the copy and the snapshot, each naming the item, what the snapshot recorded
 * and what the copy holds. The copy matches when there is no difference.
 */
public record VerifyResult(long checked, String unit, List<String> differences) {
  public VerifyResult {
    differences = List.copyOf(differences);
  }

  public boolean matches() {
    return differences.isEmpty();
  }
}
