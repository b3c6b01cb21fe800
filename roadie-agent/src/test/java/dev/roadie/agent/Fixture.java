package dev.roadie.agent;

import dev.roadie.core.backend.LocalBackend;
import dev.roadie.core.repo.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A repository and a password file in a temporary directory, and a config file beside them. */
final class Fixture {
  static final String PASSWORD = "agent-test";
  final Path dir;
  final Path repo;
  final Path passwordFile;

  Fixture(Path dir) throws IOException {
    this.dir = dir;
    this.repo = dir.resolve("repo");
    this.passwordFile = dir.resolve("password");
    Files.writeString(passwordFile, PASSWORD + "\n");
  }

  Fixture init() throws IOException {
    Repository.init(new LocalBackend(repo), PASSWORD.toCharArray(), 1 << 20).close();
    return this;
  }

  Repository open() throws IOException {
    return Repository.open(new LocalBackend(repo), PASSWORD.toCharArray());
  }

  Path config(String yaml) throws IOException {
    Path f = dir.resolve("roadie.yaml");
    Files.writeString(f, yaml);
    return f;
  }

  /** A directory of a few files to back up. */
  Path data(String name, int files) throws IOException {
    Path d = dir.resolve(name);
    Files.createDirectories(d);
    for (int i = 0; i < files; i++)
      Files.writeString(d.resolve("f" + i + ".txt"), "content " + i + "\n".repeat(i));
    return d;
  }
}
