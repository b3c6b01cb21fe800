package dev.roadie.core.pack;

/**
 * What a blob holds. Data blobs are chunks of user data; metadata blobs are trees and chunk lists.
 * They are kept in separate packs so metadata can be read without touching data.
 */
public enum BlobType {
  DATA(0),
  METADATA(1);

  private final int code;

  BlobType(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  public static BlobType ofCode(int code) {
    return switch (code) {
      case 0 -> DATA;
      case 1 -> METADATA;
      default -> throw new IllegalArgumentException("unknown blob type " + code);
    };
  }
}
