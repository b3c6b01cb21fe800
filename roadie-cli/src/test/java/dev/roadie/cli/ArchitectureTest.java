package dev.roadie.cli;

import static com.tngtech.archunit.base.DescribedPredicate.alwaysTrue;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noMembers;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The rules of docs/architecture.md, checked on the main classes of every module on roadie-cli's
 * class path (which holds them all: a new module joins it, and so these rules, when the CLI depends
 * on it). Written by package name, so a new source module ({@code dev.roadie.bucket}, {@code
 * dev.roadie.kubernetes}, …) is covered without a change here.
 */
@AnalyzeClasses(packages = "dev.roadie", importOptions = ArchitectureTest.MainClassesOnly.class)
class ArchitectureTest {
  /** Main classes only: no test classes, no test jars, no test fixtures (roadie-testkit). */
  static final class MainClassesOnly implements ImportOption {
    @Override
    public boolean includes(Location location) {
      return !location.contains("/test-classes/")
          && !location.contains("-tests.jar")
          && !location.contains("/roadie-testkit/")
          && !location.contains("roadie-testkit-");
    }
  }

  /**
   * Modules and packages form no cycle: each top-level package ({@code core}, {@code postgres}, …).
   */
  @ArchTest
  static final ArchRule modulesHaveNoCycles =
      slices().matching("dev.roadie.(*)..").should().beFreeOfCycles();

  /** Nor does any package with its neighbours ({@code core.repo} and {@code core.prune}, …). */
  @ArchTest
  static final ArchRule packagesHaveNoCycles =
      slices().matching("dev.roadie.(**)").should().beFreeOfCycles();

  /**
   * roadie-core knows no source, no backend module and no CLI: it depends on nothing else of
   * roadie's.
   */
  @ArchTest
  static final ArchRule coreDependsOnNoOtherModule =
      noClasses()
          .that()
          .resideInAPackage("dev.roadie.core..")
          .should()
          .dependOnClassesThat(
              resideInAPackage("dev.roadie..").and(resideInAPackage("dev.roadie.core..").negate()))
          .because("roadie-core knows no source, backend or command line (docs/architecture.md)");

  /**
   * What a source adds to the repository is the source's: roadie-core names no PostgreSQL concept
   * (WAL, LSN, timeline, data directory) in a class, method, field or enum constant. A source's
   * side objects (archived WAL) are {@code ObjectKind.SIDE} in an area the source names.
   */
  static final String POSTGRES_WORDS =
      "(?i:.*wal(?![kl]).*)|(?i:.*(postgres|pgdata|xlog|timeline).*)|(^lsn|.*Lsn|.*LSN).*";

  @ArchTest
  static final ArchRule coreClassesNameNoPostgresConcept =
      noClasses()
          .that()
          .resideInAPackage("dev.roadie.core..")
          .should()
          .haveNameMatching(".*\\.(" + POSTGRES_WORDS + ")")
          .because("roadie-core knows no source (issue 15): WAL belongs to roadie-postgres");

  @ArchTest
  static final ArchRule coreMembersNameNoPostgresConcept =
      noMembers()
          .that()
          .areDeclaredInClassesThat()
          .resideInAPackage("dev.roadie.core..")
          .should()
          .haveNameMatching(POSTGRES_WORDS)
          .because("roadie-core knows no source (issue 15): WAL belongs to roadie-postgres");

  /**
   * Sources and backends (every top-level package but {@code core} and {@code cli}) depend on core,
   * never on each other, never on the CLI. The CLI may use them all. One shared library besides
   * core: {@code dev.roadie.s3}, the S3 backend, whose client, locations and settings the bucket
   * source uses to reach buckets (it depends on no source, which the other rules check).
   */
  @ArchTest
  static final ArchRule modulesDependOnCoreOnly =
      slices()
          .matching("dev.roadie.(*)..")
          .namingSlices("dev.roadie.$1")
          .should()
          .notDependOnEachOther()
          .ignoreDependency(alwaysTrue(), resideInAPackage("dev.roadie.core.."))
          .ignoreDependency(alwaysTrue(), resideInAPackage("dev.roadie.s3.."))
          .ignoreDependency(resideInAPackage("dev.roadie.cli.."), alwaysTrue())
          .because(
              "sources and backends depend on core (and the S3 client library) only (docs/architecture.md)");

  /**
   * Nothing below the command line reads the environment: the CLI reads it and hands typed settings
   * down, so the library behaves the same when another program (the agent) calls it. Frozen
   * exceptions, each with a comment where it reads: PgConn.parse(url) (libpq's PGUSER, PGPASSWORD,
   * PGPASSFILE), PgTools.find (ROADIE_PG_BIN, PATH) and ObjectRequests's proxy check (the proxy
   * variables the AWS SDK's client reads where it connects).
   */
  @ArchTest
  static final ArchRule noEnvironmentBelowTheCli =
      noClasses()
          .that()
          .resideOutsideOfPackage("dev.roadie.cli..")
          .and()
          .doNotHaveFullyQualifiedName("dev.roadie.postgres.PgConn")
          .and()
          .doNotHaveFullyQualifiedName("dev.roadie.postgres.PgTools")
          .and()
          .doNotHaveFullyQualifiedName("dev.roadie.bucket.ObjectRequests")
          .should()
          .callMethod(System.class, "getenv")
          .orShould()
          .callMethod(System.class, "getenv", String.class)
          .because("the command line reads the environment and passes settings down (issue 15)");

  /**
   * The agent runs jobs in-process through the source SPI: it starts no process (no roadie per
   * job), and reaches no source module but through {@code dev.roadie.core.source} (which {@link
   * #modulesDependOnCoreOnly} checks too).
   */
  @ArchTest
  static final ArchRule agentStartsNoProcess =
      noClasses()
          .that()
          .resideInAPackage("dev.roadie.agent..")
          .should()
          .dependOnClassesThat()
          .areAssignableTo(ProcessBuilder.class)
          .orShould()
          .callMethod(Runtime.class, "exec", String.class)
          .orShould()
          .callMethod(Runtime.class, "exec", String[].class)
          .because(
              "the agent calls roadie in-process, never by spawning the CLI per job (issue 19)");
}
