package dev.roadie.kubernetes.drift;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.Stream;

/**
 * Reads the objects Git defines from a directory: a kustomization (a {@code kustomization.yaml},
 * {@code kustomization.yml} or {@code Kustomization} in it) is rendered with {@code kubectl
 * kustomize}; otherwise every {@code *.yaml}, {@code *.yml} and {@code *.json} file below it is
 * read (hidden files and directories such as {@code .git} left out), each possibly holding several
 * documents, and a {@code List} is read as its items. A single file may be given instead of a
 * directory. Anything that is not a Kubernetes object with a name is refused with its file and
 * line.
 */
public final class ManifestReader {
  static final List<String> KUSTOMIZATION_FILES =
      List.of("kustomization.yaml", "kustomization.yml", "Kustomization");

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper(new JsonFactory());

  private final String kubectl;

  /**
   * @param kubectl the kubectl that renders kustomizations (null: the one on PATH)
   */
  public ManifestReader(Path kubectl) {
    this.kubectl = kubectl == null ? "kubectl" : kubectl.toString();
  }

  /**
   * The objects defined in {@code dir} (a directory, a kustomization or one file), in file order.
   */
  public List<Manifest> read(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "--against "
              + dir
              + ": no such directory; "
              + "give the directory of the manifests (or of a kustomization) in your Git checkout");
    }
    if (Files.isRegularFile(dir)) return readFile(dir);
    if (kustomization(dir) != null) return kustomize(dir);
    List<Path> files = new ArrayList<>();
    List<Path> nested = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.filter(p -> !hidden(dir, p))
          .filter(Files::isRegularFile)
          .sorted()
          .forEach(
              p -> {
                String name = p.getFileName().toString();
                if (KUSTOMIZATION_FILES.contains(name)) nested.add(p.getParent());
                else if (name.endsWith(".yaml") || name.endsWith(".yml") || name.endsWith(".json"))
                  files.add(p);
              });
    }
    if (!nested.isEmpty()) {
      // Reading a kustomization's files as plain manifests would take its patches for objects.
      throw new RoadieException(
          ErrorCode.USAGE,
          "--against "
              + dir
              + " holds kustomizations ("
              + String.join(", ", nested.stream().map(Path::toString).toList())
              + ") but is not one itself; "
              + "give the kustomization that renders what the cluster runs (such as an overlay) as --against");
    }
    List<Manifest> out = new ArrayList<>();
    for (Path f : files) out.addAll(readFile(f));
    return out;
  }

  private static boolean hidden(Path root, Path p) {
    for (Path part : root.relativize(p)) {
      if (part.toString().startsWith(".")) return true;
    }
    return false;
  }

  /** The kustomization file in {@code dir}, or null. */
  static Path kustomization(Path dir) {
    for (String name : KUSTOMIZATION_FILES) {
      Path f = dir.resolve(name);
      if (Files.isRegularFile(f)) return f;
    }
    return null;
  }

  private List<Manifest> readFile(Path file) throws IOException {
    boolean json = file.getFileName().toString().endsWith(".json");
    try (InputStream in = Files.newInputStream(file)) {
      return parse(in, json, line -> file + ":" + line);
    }
  }

  /**
   * The objects in a stream of YAML (or JSON) documents; {@code where} names a line of the stream
   * in messages and origins.
   */
  static List<Manifest> parse(InputStream in, boolean json, IntFunction<String> where)
      throws IOException {
    ObjectMapper mapper = json ? JSON : YAML;
    List<Manifest> out = new ArrayList<>();
    try (JsonParser parser = mapper.getFactory().createParser(in)) {
      JsonToken token;
      while ((token = parser.nextToken()) != null) {
        int line = parser.currentTokenLocation().getLineNr();
        if (token == JsonToken.VALUE_NULL) continue; // an empty document
        Object value = mapper.readValue(parser, Object.class);
        add(value, where.apply(line), out);
      }
    } catch (JsonProcessingException e) {
      int line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
      throw new RoadieException(
          ErrorCode.USAGE,
          where.apply(line)
              + ": not valid "
              + (json ? "JSON" : "YAML")
              + ": "
              + e.getOriginalMessage().lines().findFirst().orElse(""));
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static void add(Object value, String origin, List<Manifest> out) {
    if (!(value instanceof Map<?, ?> map)) {
      throw notAnObject(origin, "a document that is not a mapping");
    }
    Map<String, Object> object = (Map<String, Object>) map;
    if ("List".equals(object.get("kind")) && object.get("items") instanceof List<?> items) {
      for (Object item : items) add(item, origin, out);
      return;
    }
    if (!(object.get("apiVersion") instanceof String v) || v.isEmpty())
      throw notAnObject(origin, "no apiVersion");
    if (!(object.get("kind") instanceof String k) || k.isEmpty())
      throw notAnObject(origin, "no kind");
    if (!(object.get("metadata") instanceof Map<?, ?> metadata)
        || !(metadata.get("name") instanceof String n)
        || n.isEmpty()) {
      throw new RoadieException(
          ErrorCode.USAGE,
          origin
              + ": "
              + object.get("kind")
              + " has no metadata.name "
              + "(an object named by generateName cannot be compared with the cluster)");
    }
    out.add(new Manifest(object, origin));
  }

  private static RoadieException notAnObject(String origin, String why) {
    return new RoadieException(
        ErrorCode.USAGE,
        origin
            + ": not a Kubernetes object ("
            + why
            + "); "
            + "--against reads every .yaml, .yml and .json file below it, so keep other files elsewhere");
  }

  private List<Manifest> kustomize(Path dir) throws IOException {
    Process p;
    try {
      p = new ProcessBuilder(kubectl, "kustomize", dir.toString()).start();
    } catch (IOException e) {
      throw new RoadieException(
          ErrorCode.USAGE,
          dir
              + " is a kustomization and rendering it needs kubectl: "
              + kubectl
              + " could not be run ("
              + e.getMessage()
              + "); install kubectl or pass --kubectl PATH");
    }
    p.getOutputStream().close();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Thread errors =
        Thread.ofVirtual()
            .start(
                () -> {
                  try (InputStream e = p.getErrorStream()) {
                    e.transferTo(err);
                  } catch (IOException ignored) {
                    // the process is gone; its exit status tells
                  }
                });
    byte[] rendered;
    try (InputStream out = p.getInputStream()) {
      rendered = out.readAllBytes();
    }
    try {
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new RoadieException(
            ErrorCode.FAILURE, "kubectl kustomize " + dir + " did not finish in 5 minutes");
      }
      errors.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new RoadieException(ErrorCode.FAILURE, "interrupted while rendering " + dir);
    }
    if (p.exitValue() != 0) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "kubectl kustomize " + dir + " failed: " + err.toString(StandardCharsets.UTF_8).strip());
    }
    return parse(
        new ByteArrayInputStream(rendered),
        false,
        line -> dir + " (kubectl kustomize output, line " + line + ")");
  }
}
