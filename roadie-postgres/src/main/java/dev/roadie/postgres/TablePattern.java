package dev.roadie.postgres;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A table pattern with pg_dump's rules: {@code [schema.]table}; {@code *} and {@code ?} are
 * wildcards; unquoted letters are folded to lower case; double quotes keep case and make {@code .},
 * {@code *} and {@code ?} literal ({@code ""} is a quote). Without a schema, any schema matches
 * (pg_dump limits that to the search path; for a backup tool "any schema" is the less surprising).
 */
public record TablePattern(String text, Pattern schema, Pattern table) {
  public static TablePattern parse(String text) {
    List<StringBuilder> parts = new ArrayList<>();
    parts.add(new StringBuilder());
    boolean quoted = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      StringBuilder cur = parts.get(parts.size() - 1);
      if (c == '"') {
        if (quoted && i + 1 < text.length() && text.charAt(i + 1) == '"') {
          cur.append(Pattern.quote("\""));
          i++;
        } else {
          quoted = !quoted;
        }
      } else if (!quoted && c == '.') {
        parts.add(new StringBuilder());
      } else if (!quoted && c == '*') {
        cur.append(".*");
      } else if (!quoted && c == '?') {
        cur.append('.');
      } else {
        String s = String.valueOf(quoted ? c : Character.toLowerCase(c));
        cur.append(Pattern.quote(s));
      }
    }
    if (quoted || parts.size() > 3 || parts.stream().anyMatch(p -> p.isEmpty())) {
      throw new RoadieException(
          ErrorCode.USAGE, "table pattern '" + text + "' is not [schema.]table");
    }
    int n = parts.size();
    Pattern table = Pattern.compile(parts.get(n - 1).toString(), Pattern.DOTALL);
    Pattern schema = n >= 2 ? Pattern.compile(parts.get(n - 2).toString(), Pattern.DOTALL) : null;
    return new TablePattern(text, schema, table);
  }

  public boolean matches(String schemaName, String tableName) {
    return (schema == null || schema.matcher(schemaName).matches())
        && table.matcher(tableName).matches();
  }

  /** The exact pattern naming one table, for pg_dump's {@code --table}. */
  public static String exact(String schemaName, String tableName) {
    return quote(schemaName) + "." + quote(tableName);
  }

  public static String quote(String ident) {
    return "\"" + ident.replace("\"", "\"\"") + "\"";
  }
}
