package dev.roadie.core.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * restic's forget semantics, table-driven. Snapshots are numbered 1 (oldest) to 10 (newest); the
 * expected sets were worked out by hand from the rules in RetentionPolicy's Javadoc (see the
 * comments for the calendar facts they rely on).
 */
class RetentionTest {
  static final String[] TIMES = {
    "2026-01-01T10:00:00Z", // 1  Thursday, ISO 2026-W01
    "2026-01-01T11:00:00Z", // 2
    "2026-01-01T11:30:00Z", // 3  same hour as 2
    "2026-01-02T09:00:00Z", // 4  Friday, 2026-W01
    "2026-01-05T09:00:00Z", // 5  Monday, 2026-W02
    "2026-01-12T09:00:00Z", // 6  2026-W03
    "2026-02-01T09:00:00Z", // 7  Sunday, 2026-W05
    "2026-03-15T09:00:00Z", // 8  2026-W11
    "2027-01-03T09:00:00Z", // 9  Sunday: ISO week 2026-W53 (2026 has 53 weeks)
    "2027-01-04T09:00:00Z", // 10 Monday, 2027-W01
  };

  static List<Retention.Item<Integer>> snapshots() {
    List<Retention.Item<Integer>> items = new ArrayList<>();
    for (int i = 0; i < TIMES.length; i++) {
      items.add(
          new Retention.Item<>(
              i + 1, OffsetDateTime.parse(TIMES[i]), i == 0 ? List.of("keep") : List.of()));
    }
    return items;
  }

  static RetentionPolicy policy(
      int last,
      int hourly,
      int daily,
      int weekly,
      int monthly,
      int yearly,
      String within,
      List<String> tags) {
    return new RetentionPolicy(
        last,
        hourly,
        daily,
        weekly,
        monthly,
        yearly,
        within == null ? null : Span.parse(within),
        tags);
  }

  static Stream<Arguments> table() {
    return Stream.of(
        Arguments.of("last 3", policy(3, 0, 0, 0, 0, 0, null, null), Set.of(10, 9, 8)),
        Arguments.of(
            "last 20 keeps all",
            policy(20, 0, 0, 0, 0, 0, null, null),
            Set.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)),
        Arguments.of("hourly 3", policy(0, 3, 0, 0, 0, 0, null, null), Set.of(10, 9, 8)),
        Arguments.of(
            "hourly 10: 2 shares 3's hour",
            policy(0, 10, 0, 0, 0, 0, null, null),
            Set.of(10, 9, 8, 7, 6, 5, 4, 3, 1)),
        Arguments.of("daily 5", policy(0, 0, 5, 0, 0, 0, null, null), Set.of(10, 9, 8, 7, 6)),
        Arguments.of(
            "daily 10: one per day",
            policy(0, 0, 10, 0, 0, 0, null, null),
            Set.of(10, 9, 8, 7, 6, 5, 4, 3)),
        Arguments.of(
            "weekly 3: ISO weeks across the year end",
            policy(0, 0, 0, 3, 0, 0, null, null),
            Set.of(10, 9, 8)),
        Arguments.of(
            "weekly 10", policy(0, 0, 0, 10, 0, 0, null, null), Set.of(10, 9, 8, 7, 6, 5, 4)),
        Arguments.of("monthly 4", policy(0, 0, 0, 0, 4, 0, null, null), Set.of(10, 8, 7, 6)),
        Arguments.of("yearly 2", policy(0, 0, 0, 0, 0, 2, null, null), Set.of(10, 8)),
        Arguments.of("yearly unlimited", policy(0, 0, 0, 0, 0, -1, null, null), Set.of(10, 8)),
        Arguments.of(
            "daily unlimited",
            policy(0, 0, -1, 0, 0, 0, null, null),
            Set.of(10, 9, 8, 7, 6, 5, 4, 3)),
        Arguments.of(
            "within 1m of the newest", policy(0, 0, 0, 0, 0, 0, "1m", null), Set.of(10, 9)),
        Arguments.of("within 1y", policy(0, 0, 0, 0, 0, 0, "1y", null), Set.of(10, 9, 8, 7, 6, 5)),
        Arguments.of(
            "within 1y5d2h",
            policy(0, 0, 0, 0, 0, 0, "1y5d2h", null),
            Set.of(10, 9, 8, 7, 6, 5, 4, 3, 2, 1)),
        Arguments.of("tag", policy(0, 0, 0, 0, 0, 0, null, List.of("keep")), Set.of(1)),
        Arguments.of(
            "union of last and monthly", policy(1, 0, 0, 0, 2, 0, null, null), Set.of(10, 8)),
        Arguments.of(
            "union of rules and tag",
            policy(2, 0, 0, 0, 0, 1, null, List.of("keep")),
            Set.of(10, 9, 1)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void keeps(String name, RetentionPolicy policy, Set<Integer> expected) {
    Retention.Decision<Integer> d = Retention.apply(policy, snapshots());
    Set<Integer> kept = new TreeSet<>();
    d.keep().forEach(k -> kept.add(k.value()));
    assertEquals(new TreeSet<>(expected), kept, name);
    assertEquals(10, d.keep().size() + d.remove().size(), "every snapshot is kept or removed");
  }

  @Test
  void reasonsNameEveryRuleThatKeeps() {
    Retention.Decision<Integer> d =
        Retention.apply(policy(1, 0, 0, 0, 2, 0, null, null), snapshots());
    assertEquals(List.of("last", "monthly"), d.keep().get(0).reasons());
    assertEquals(10, d.keep().get(0).value());
  }

  @Test
  void bucketsUseTheSnapshotsOwnOffset() {
    // Both are on 2 January in UTC, but on two different local days in New York.
    List<Retention.Item<String>> items =
        List.of(
            new Retention.Item<>("a", OffsetDateTime.parse("2026-01-01T23:30:00-05:00"), List.of()),
            new Retention.Item<>(
                "b", OffsetDateTime.parse("2026-01-02T01:00:00-05:00"), List.of()));
    assertEquals(2, Retention.apply(policy(0, 0, 2, 0, 0, 0, null, null), items).keep().size());
  }

  @Test
  void emptyPolicyAndBadInput() {
    assertTrue(policy(0, 0, 0, 0, 0, 0, null, null).isEmpty());
    assertThrows(IllegalArgumentException.class, () -> policy(-2, 0, 0, 0, 0, 0, null, null));
    // The message says what is wrong with this text, and the units there are.
    assertEquals(
        "'2w' is not a span: weeks are not a unit: write 14d; write numbers with the units y (years), "
            + "m (months), d (days), h (hours), in that order, e.g. 30d, 1y6m, 36h",
        assertThrows(IllegalArgumentException.class, () -> Span.parse("2w")).getMessage());
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> Span.parse("7x"))
            .getMessage()
            .startsWith("'7x' is not a span: 'x' is not a unit; "));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> Span.parse("7D"))
            .getMessage()
            .contains("units are lower case ('d', not 'D')"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> Span.parse("1y7"))
            .getMessage()
            .contains("the number 7 has no unit"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> Span.parse("1d1y"))
            .getMessage()
            .contains("out of order"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> Span.parse(""))
            .getMessage()
            .contains("it is empty"));
    assertEquals(new Span(1, 6, 0, 12), Span.parse("1y6m12h"));
  }
}
