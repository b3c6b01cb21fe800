package dev.roadie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.snapshot.Snapshot;
import dev.roadie.core.snapshot.SnapshotFilter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code --of TARGET} (restore, dump, snapshots, forget, copy) takes the target as the user would
 * write it: a URL with user, password and parameters, another scheme spelling or no port matches
 * the canonical name the backup recorded.
 */
class TargetNamesTest {
  private static Snapshot snapshot(String kind, String target) {
    return new Snapshot(
        1,
        "2026-01-31T02:00:00Z",
        target,
        kind,
        "h",
        "u",
        List.of(),
        List.of(),
        "0".repeat(64),
        null,
        null,
        Map.of());
  }

  private static SnapshotFilter of(String given) {
    return new FilterOptions().filter(given);
  }

  @Test
  void postgresUrlsAsUsersGiveThem() {
    Snapshot logical = snapshot("postgres", "postgres://db.example:5432/shop");
    for (String given :
        List.of(
            "postgres://db.example:5432/shop",
            "postgresql://db.example/shop",
            "postgresql://app:s3cret@db.example:5432/shop?sslmode=require&sslrootcert=/etc/ca.pem",
            "postgres://app@db.example/shop",
            "POSTGRESQL://app@db.example/shop")) {
      assertTrue(of(given).matches(logical), given);
    }
    for (String given :
        List.of(
            "postgresql://db.example:5433/shop",
            "postgresql://db.example/other",
            "postgresql://other.example/shop",
            "redis://db.example:5432")) {
      assertFalse(of(given).matches(logical), given);
    }
    Snapshot physical = snapshot("postgres-physical", "postgres://db.example:5432");
    assertTrue(
        of("postgresql://replicator:pw@db.example/postgres?sslmode=require").matches(physical));
    assertTrue(of("postgres://db.example").matches(physical));
    assertFalse(of("postgresql://db.example:6543/postgres").matches(physical));
    // A logical snapshot is not the target of a URL without a database (its name needs one).
    assertFalse(of("postgresql://db.example:5432").matches(logical));
    Snapshot v6 = snapshot("postgres", "postgres://[::1]:5432/shop");
    assertTrue(of("postgresql://app:pw@[::1]/shop").matches(v6));
  }

  @Test
  void redisUrlsAsUsersGiveThem() {
    Snapshot plain = snapshot("redis", "redis://10.0.0.5:6379");
    Snapshot tls = snapshot("redis", "rediss://10.0.0.5:6380");
    for (String given :
        List.of(
            "redis://10.0.0.5:6379",
            "redis://10.0.0.5",
            "redis://:pw@10.0.0.5",
            "redis://ops:pw@10.0.0.5:6379",
            "rediss://10.0.0.5")) {
      assertTrue(of(given).matches(plain), given);
    }
    assertTrue(of("rediss://ops:pw@10.0.0.5:6380?cacert=/etc/ca.pem").matches(tls));
    assertTrue(of("redis://10.0.0.5:6380").matches(tls), "redis and rediss name the same server");
    assertFalse(of("redis://10.0.0.5:6380").matches(plain));
    assertFalse(of("redis://10.0.0.6").matches(plain));
    // Names are per kind: a redis URL is not a postgres target even if the text matched.
    assertFalse(of("redis://db").matches(snapshot("postgres-physical", "redis://db:6379")));
  }

  /**
   * A database number names one database's snapshots (backup redis --url …/N records
   * redis://HOST:PORT/N), as /N or ?db=N, and never the whole server's: restore latest --of …/3
   * must not pick a newer snapshot of every database (its database 0 went into database 3), nor
   * forget --target …/3 select the whole server's snapshots.
   */
  @Test
  void redisDatabaseNumbersNameThatDatabaseOnly() {
    Snapshot server = snapshot("redis", "redis://10.0.0.5:6379");
    Snapshot db3 = snapshot("redis", "redis://10.0.0.5:6379/3");
    Snapshot db0 = snapshot("redis", "redis://10.0.0.5:6379/0");
    for (String given :
        List.of(
            "redis://10.0.0.5:6379/3",
            "redis://10.0.0.5/3",
            "redis://:pw@10.0.0.5/3",
            "redis://ops:pw@10.0.0.5:6379?db=3",
            "redis://10.0.0.5?db=3",
            "rediss://10.0.0.5/3")) {
      assertTrue(of(given).matches(db3), given);
      assertFalse(of(given).matches(server), given);
      assertFalse(of(given).matches(db0), given);
    }
    assertTrue(of("redis://ops:pw@10.0.0.5?db=0").matches(db0));
    assertFalse(of("redis://10.0.0.5?db=0").matches(server), "database 0 is not every database");
    for (String given : List.of("redis://10.0.0.5", "redis://ops:pw@10.0.0.5:6379/")) {
      assertTrue(of(given).matches(server), given);
      assertFalse(of(given).matches(db3), given);
    }
  }

  @Test
  void pathsAreNamesAsGiven() {
    // A relative path could name another target than the absolute one (a name chosen with
    // --target): forget and copy take the filter too, so paths match only as written.
    Snapshot files = snapshot("file", Path.of("data").toAbsolutePath().toString());
    assertFalse(of("data").matches(files));
    assertTrue(of(Path.of("data").toAbsolutePath().toString()).matches(files));
  }

  @Test
  void exactNamesStillMatchAndPasswordsStayOutOfMessages() {
    assertTrue(of("nightly-db").matches(snapshot("postgres", "nightly-db")));
    SnapshotFilter f = of("postgresql://app:s3cret@db/shop?password=other");
    assertFalse(f.toString().contains("s3cret"), f.toString());
    assertFalse(f.toString().contains("other"), f.toString());
    assertFalse(of("redis://s3cret@db").toString().contains("s3cret"));
    assertEquals("", new FilterOptions().filter(null).toString());
  }
}
