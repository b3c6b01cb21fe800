package dev.roadie.core.backend;

import java.io.IOException;

/** An exclusive write found the object already there. */
public class ObjectExistsException extends IOException {
  public ObjectExistsException(ObjectName name, String location) {
    super(location + ": object " + name.path() + " already exists");
  }
}
