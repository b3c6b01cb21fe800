package dev.roadie.core.backend;

import java.time.Instant;

/** What a listing says of one object. */
public record ObjectInfo(ObjectName name, long size, Instant modified) {}
