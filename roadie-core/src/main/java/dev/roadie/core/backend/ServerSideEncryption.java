package dev.roadie.core.backend;

import dev.roadie.core.ErrorCode;
import dev.roadie.core.RoadieException;

/**
 * Server-side encryption the storage applies to what roadie writes, on top of roadie's own
 * client-side encryption (which the storage never sees through): for compliance checklists that ask
 * for encryption at rest by the storage service. S3's {@code x-amz-server-side-encryption} ({@code
 * AES256}, SSE-S3; {@code aws:kms}, SSE-KMS) and, for SSE-KMS, the key id.
 */
public record ServerSideEncryption(String algorithm, String kmsKeyId) {
  public static final String SSE_S3 = "AES256";
  public static final String SSE_KMS = "aws:kms";

  public ServerSideEncryption {
    if (!SSE_S3.equals(algorithm) && !SSE_KMS.equals(algorithm)) {
      throw new RoadieException(
          ErrorCode.USAGE,
          "server-side encryption must be AES256 (SSE-S3) or aws:kms (SSE-KMS), "
              + "not '"
              + algorithm
              + "'");
    }
    if (kmsKeyId != null && !SSE_KMS.equals(algorithm)) {
      throw new RoadieException(
          ErrorCode.USAGE, "a KMS key id goes with aws:kms (SSE-KMS), not with " + algorithm);
    }
    if (kmsKeyId != null && kmsKeyId.isBlank()) {
      throw new RoadieException(ErrorCode.USAGE, "the KMS key id is empty");
    }
  }

  /**
   * From an option's values: {@code algorithm} (case-insensitive {@code aes256}, {@code aws:kms};
   * null with a key id means aws:kms), {@code kmsKeyId}; null when neither is given.
   */
  public static ServerSideEncryption of(String algorithm, String kmsKeyId) {
    if (algorithm == null && kmsKeyId == null) return null;
    if (algorithm == null) return new ServerSideEncryption(SSE_KMS, kmsKeyId);
    String a = algorithm.strip();
    if (a.equalsIgnoreCase(SSE_S3)) a = SSE_S3;
    else if (a.equalsIgnoreCase(SSE_KMS)) a = SSE_KMS;
    return new ServerSideEncryption(a, kmsKeyId);
  }
}
