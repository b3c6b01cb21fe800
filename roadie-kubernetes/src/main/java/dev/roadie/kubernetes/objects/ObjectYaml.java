package dev.roadie.kubernetes.objects;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One Kubernetes object as one YAML document, keys sorted, so that equal objects are equal bytes
 * (the repository then stores an unchanged object once).
 */
public final class ObjectYaml {

  private static final ObjectMapper YAML =
      new ObjectMapper(
              YAMLFactory.builder()
                  .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                  .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                  .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                  .disable(YAMLGenerator.Feature.SPLIT_LINES)
                  .build())
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  private ObjectYaml() {}

  /** The object as a YAML document, UTF-8, keys sorted at every level. */
  public static byte[] write(Map<String, ?> object) {
    try {
      return YAML.writeValueAsString(ObjectNormalizer.sortedCopy(object))
          .getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One YAML document read back into a map. */
  public static Map<String, Object> read(byte[] yaml) throws IOException {
    return YAML.readValue(yaml, new TypeReference<>() {});
  }
}
