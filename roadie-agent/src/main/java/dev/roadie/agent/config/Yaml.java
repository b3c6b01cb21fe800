package dev.roadie.agent.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML document read into plain values (maps, lists, strings, numbers, booleans) that remember
 * the line each was written on, so that every error about the config can name the file, the line
 * and the key.
 */
final class Yaml {
  private Yaml() {}

  /** A value and the line (1-based) it starts on. Maps keep the order of their keys. */
  record Node(Object value, int line) {
    @SuppressWarnings("unchecked")
    Map<String, Node> map() {
      return (Map<String, Node>) value;
    }

    @SuppressWarnings("unchecked")
    List<Node> list() {
      return (List<Node>) value;
    }

    boolean isMap() {
      return value instanceof Map<?, ?>;
    }

    boolean isList() {
      return value instanceof List<?>;
    }

    /** The plain value: maps and lists of plain values, without lines. */
    Object plain() {
      if (value instanceof Map<?, ?>) {
        Map<String, Object> out = new LinkedHashMap<>();
        map().forEach((k, v) -> out.put(k, v.plain()));
        return out;
      }
      if (value instanceof List<?>) return list().stream().map(Node::plain).toList();
      return value;
    }
  }

  static Node parse(String text, String file) {
    try (JsonParser p = new YAMLFactory().createParser(text)) {
      JsonToken t = p.nextToken();
      if (t == null) throw new RoadieException(ErrorCode.USAGE, file + ": the file is empty");
      Node root = read(p, file);
      if (p.nextToken() != null) {
        throw new RoadieException(
            ErrorCode.USAGE,
            file
                + " line "
                + p.currentLocation().getLineNr()
                + ": a second YAML document; roadie.yaml holds one");
      }
      return root;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
      throw new RoadieException(
          ErrorCode.USAGE,
          file + (line > 0 ? " line " + line : "") + ": not valid YAML: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new RoadieException(ErrorCode.USAGE, file + ": cannot be read: " + e.getMessage());
    }
  }

  private static Node read(JsonParser p, String file) throws IOException {
    int line = p.currentTokenLocation().getLineNr();
    JsonToken t = p.currentToken();
    switch (t) {
      case START_OBJECT -> {
        Map<String, Node> map = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          int keyLine = p.currentTokenLocation().getLineNr();
          p.nextToken();
          if (map.containsKey(key)) {
            throw new RoadieException(
                ErrorCode.USAGE,
                file
                    + " line "
                    + keyLine
                    + ": key '"
                    + key
                    + "' is given twice (first on line "
                    + map.get(key).line()
                    + ")");
          }
          Node v = read(p, file);
          // A key's line is where the key is written, also when its value starts on the next line.
          map.put(key, new Node(v.value(), keyLine));
        }
        return new Node(map, line);
      }
      case START_ARRAY -> {
        List<Node> list = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) list.add(read(p, file));
        return new Node(list, line);
      }
      case VALUE_STRING -> {
        return new Node(p.getText(), line);
      }
      case VALUE_NUMBER_INT -> {
        return new Node(p.getNumberValue(), line);
      }
      case VALUE_NUMBER_FLOAT -> {
        return new Node(p.getDoubleValue(), line);
      }
      case VALUE_TRUE, VALUE_FALSE -> {
        return new Node(t == JsonToken.VALUE_TRUE, line);
      }
      case VALUE_NULL -> {
        return new Node(null, line);
      }
      default ->
          throw new RoadieException(ErrorCode.USAGE, file + " line " + line + ": unexpected " + t);
    }
  }
}
