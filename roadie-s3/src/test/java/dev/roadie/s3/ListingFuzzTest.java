package dev.roadie.s3;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.roadie.core.backend.ObjectKind;

/**
 * Coverage-guided fuzzing (Jazzer) of what roadie itself parses of an S3 listing: the keys (the XML
 * is the AWS SDK's to parse). Any key a bucket lists must either name one of roadie's objects or be
 * skipped (null), never fail.
 */
class ListingFuzzTest {
  @FuzzTest(maxDuration = "10s")
  void keys(FuzzedDataProvider data) {
    ObjectKind kind = data.pickValue(ObjectKind.values());
    S3Backend.nameOf(kind, data.consumeRemainingAsString());
  }
}
