package dev.roadie.core.prune;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.roadie.core.ErrorCode;
import dev.roadie.core.Id;
import dev.roadie.core.RoadieException;
import dev.roadie.core.index.BlobIndex;
import dev.roadie.core.index.BlobLocation;
import dev.roadie.core.json.Json;
import dev.roadie.core.pack.BlobType;
import dev.roadie.core.repo.Repository;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Visits every blob that some snapshots reference: their trees, chunk lists and data blobs. Only
 * metadata blobs (trees, chunk lists) are read, a bounded number at once; data blobs are only
 * named. Trees are scanned for ids with a streaming parser, never turned into objects, so a
 * directory of a million files costs no more memory than its bytes.
 */
final class TreeWalk {
  /** Metadata reads in flight: enough to hide storage latency, few enough to bound memory. */
  private static final int IN_FLIGHT = 16;

  /**
   * Called on the walking thread for each reference; returns whether to read (metadata only) the
   * blob.
   */
  interface Visitor {
    boolean visit(Id blob, BlobType type) throws IOException;
  }

  private record Pending(Id id, boolean tree, CompletableFuture<byte[]> bytes) {}

  private final Repository repo;
  private final BlobIndex index;

  TreeWalk(Repository repo, BlobIndex index) {
    this.repo = repo;
    this.index = index;
  }

  void walk(Collection<Id> roots, Visitor visitor) throws IOException {
    ArrayDeque<Id[]> toRead = new ArrayDeque<>(); // {id} for trees, {id, null} for chunk lists
    ArrayDeque<Pending> window = new ArrayDeque<>();
    for (Id root : roots) {
      if (visitor.visit(root, BlobType.METADATA)) toRead.add(new Id[] {root});
    }
    while (!toRead.isEmpty() || !window.isEmpty()) {
      while (window.size() < IN_FLIGHT && !toRead.isEmpty()) {
        Id[] next = toRead.poll();
        window.add(new Pending(next[0], next.length == 1, fetch(next[0])));
      }
      Pending p = window.poll();
      byte[] bytes;
      try {
        bytes = p.bytes().join();
      } catch (CompletionException e) {
        Throwable c = e.getCause();
        throw new RoadieException(
            ErrorCode.INTEGRITY,
            (p.tree() ? "tree " : "chunk list ")
                + p.id().shortHex()
                + " cannot be read: "
                + c.getMessage()
                + "; prune deletes nothing while snapshots cannot be read "
                + "completely (run 'roadie check', see docs/runbooks/repository-damage.md)",
            c);
      }
      if (p.tree()) {
        scanTree(p.id(), bytes, visitor, toRead);
      } else {
        if (bytes.length % Id.BYTES != 0) {
          throw new RoadieException(
              ErrorCode.INTEGRITY, "chunk list " + p.id().shortHex() + " has a partial id");
        }
        for (int off = 0; off < bytes.length; off += Id.BYTES) {
          visitor.visit(Id.of(bytes, off), BlobType.DATA);
        }
      }
    }
  }

  private CompletableFuture<byte[]> fetch(Id id) {
    BlobLocation loc = index.get(id);
    if (loc == null) {
      return CompletableFuture.failedFuture(new IOException("it is not in the index"));
    }
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return repo.readBlob(loc);
          } catch (IOException e) {
            throw new CompletionException(e);
          }
        },
        repo.io());
  }

  /**
   * Reads {"nodes":[{…,"subtree":id,"content":[id…],"contentLists":[id…],…},…]} for its ids only.
   */
  private static void scanTree(Id treeId, byte[] json, Visitor visitor, ArrayDeque<Id[]> toRead)
      throws IOException {
    try (JsonParser p = Json.MAPPER.getFactory().createParser(json)) {
      expect(p.nextToken() == JsonToken.START_OBJECT, treeId);
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken t = p.nextToken();
        if (!"nodes".equals(field)) {
          p.skipChildren();
          continue;
        }
        expect(t == JsonToken.START_ARRAY, treeId);
        while (p.nextToken() == JsonToken.START_OBJECT) {
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            switch (name) {
              case "subtree" -> {
                if (v == JsonToken.VALUE_STRING) {
                  Id sub = Id.parse(p.getText());
                  if (visitor.visit(sub, BlobType.METADATA)) toRead.add(new Id[] {sub});
                }
              }
              case "content" -> {
                if (v == JsonToken.START_ARRAY) {
                  while (p.nextToken() == JsonToken.VALUE_STRING)
                    visitor.visit(Id.parse(p.getText()), BlobType.DATA);
                }
              }
              case "contentLists" -> {
                if (v == JsonToken.START_ARRAY) {
                  while (p.nextToken() == JsonToken.VALUE_STRING) {
                    Id list = Id.parse(p.getText());
                    if (visitor.visit(list, BlobType.METADATA)) toRead.add(new Id[] {list, null});
                  }
                }
              }
              default -> p.skipChildren();
            }
          }
        }
      }
    } catch (IllegalArgumentException e) {
      throw new RoadieException(
          ErrorCode.INTEGRITY,
          "tree " + treeId.shortHex() + " holds a malformed id: " + e.getMessage());
    }
  }

  private static void expect(boolean ok, Id treeId) {
    if (!ok)
      throw new RoadieException(
          ErrorCode.INTEGRITY, "tree " + treeId.shortHex() + " is not a tree");
  }
}
