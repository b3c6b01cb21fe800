package dev.roadie.agent.job;

import dev.roadie.agent.config.RepositoryConfig;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import dev.roadie.core.backend.Backend;
import dev.roadie.core.backend.BackendProvider;
import dev.roadie.core.backend.BackendSettings;
import dev.roadie.core.repo.Repository;
import java.io.IOException;

/**
 * Opens a config's repository. A missing repository is refused with the {@code roadie init} command
 * that creates it: the agent never creates one on its own (a typo in the location would otherwise
 * start a second, empty history).
 *
 * <p>Each job opens the repository afresh rather than sharing one open repository for the agent's
 * life: an open repository's index is loaded once, and a long-lived one would go on trusting packs
 * that a prune elsewhere has since deleted.
 */
public final class RepositoryOpener {
  private RepositoryOpener() {}

  public static Backend backend(RepositoryConfig c) {
    java.net.URI endpoint =
        c.s3Endpoint() == null ? null : BackendSettings.parseEndpoint(c.s3Endpoint(), "s3Endpoint");
    return BackendProvider.forLocation(
        c.location(), new BackendSettings(endpoint, null, null, c.profile(), c.caFile()));
  }

  public static Repository open(RepositoryConfig c) throws IOException {
    try {
      return Repository.open(backend(c), c.password());
    } catch (RoadieException e) {
      if (e.code() == ErrorCode.NO_REPOSITORY) {
        throw new RoadieException(
            ErrorCode.NO_REPOSITORY,
            "no repository at "
                + c.location()
                + ": roadie does not "
                + "create one on its own; create it with: "
                + c.initCommand(),
            e);
      }
      throw e;
    }
  }
}
