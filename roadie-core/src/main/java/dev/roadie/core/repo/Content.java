package dev.roadie.core.repo;

import dev.roadie.core.Id;
import java.util.List;

/**
 * Where a stream's bytes went: its size and either its chunk ids inline or its chunk-list blobs.
 */
public record Content(long size, List<Id> chunks, List<Id> chunkLists) {
  public List<String> chunksHex() {
    return chunks.isEmpty() && !chunkLists.isEmpty() ? null : chunks.stream().map(Id::hex).toList();
  }

  public List<String> chunkListsHex() {
    return chunkLists.isEmpty() ? null : chunkLists.stream().map(Id::hex).toList();
  }
}
