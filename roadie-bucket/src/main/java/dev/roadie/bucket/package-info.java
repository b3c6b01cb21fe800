/**
 * The bucket source: snapshots of the objects of an S3 bucket (bytes, system headers, user
 * metadata, tags), restored to a bucket or into a directory. The S3 pieces shared with {@code
 * mirror} (listing, object metadata and tags, SHA-256) are public here.
 */
package dev.roadie.bucket;
