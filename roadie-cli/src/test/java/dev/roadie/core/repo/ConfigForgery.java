package dev.roadie.core.repo;

import dev.roadie.core.json.Json;

/**
 * For tests: a config that someone holding a repository's password can write, MAC and all (config
 * is created only inside this package).
 */
public final class ConfigForgery {
  private ConfigForgery() {}

  /** The repository's config as it would be without object lock, with a valid MAC. */
  public static byte[] withoutObjectLock(Repository repo) {
    Config c = repo.config();
    return Json.write(Config.create(repo.key(), c.repositoryId(), c.created(), c.packSize(), null));
  }
}
