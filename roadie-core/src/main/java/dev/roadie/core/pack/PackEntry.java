package dev.roadie.core.pack;

import dev.roadie.core.Id;

/**
 * One blob in a pack: where its sealed bytes are ({@code offset}, {@code length}) and its plaintext
 * size.
 */
public record PackEntry(BlobType type, Id id, long offset, int length, int rawLength) {}
