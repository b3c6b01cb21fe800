package dev.roadie.core.backend;

import java.io.IOException;

/** The object asked for is not in the backend. */
public class NoSuchObjectException extends IOException {
  public NoSuchObjectException(ObjectName name, String location) {
    super(location + ": object " + name.path() + " does not exist");
  }
}
