package dev.roadie.core.json;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;

/** The one configured JSON mapper of roadie's formats and its command output. */
public final class Json {
  public static final ObjectMapper MAPPER =
      new ObjectMapper()
          .setSerializationInclusion(JsonInclude.Include.NON_NULL)
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
          .configure(SerializationFeature.FAIL_ON_EMPTY_BEANS, false);

  private Json() {}

  public static byte[] write(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "cannot encode " + value.getClass().getSimpleName() + " as JSON", e);
    }
  }

  public static String writePretty(Object value) {
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "cannot encode " + value.getClass().getSimpleName() + " as JSON", e);
    }
  }

  /** Decodes; malformed input is reported as an {@link IOException} naming {@code what}. */
  public static <T> T read(byte[] data, Class<T> type, String what) throws IOException {
    try {
      return MAPPER.readValue(data, type);
    } catch (JsonProcessingException e) {
      throw new IOException(
          what + " is not valid JSON of the expected shape: " + e.getOriginalMessage(), e);
    }
  }
}
