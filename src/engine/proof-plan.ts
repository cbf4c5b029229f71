import type { ChecksumAlgorithm } from "@aws-sdk/client-s3";
import type { ReadDigest } from "./digesting-stream.js";
import type { Evidence } from "./types.js";

/**
 * The checksum an interrupted upload's parts carry, as far as the target tells: the algorithm it
 * lists for the upload or shows on stored parts, `none` when stored parts carry none, `unknown`
 * when it shows neither (MinIO lists no algorithm, and an upload with nothing stored has no parts
 * to show it on).
 */
export type ResumedChecksum = ChecksumAlgorithm | "none" | "unknown";

/** What is known of a multipart copy before any byte moves. */
export interface ProofFacts {
  /** `mirrored`: the source's own part layout; `planned`: a single-part source cut into parts of ours. */
  layout: "mirrored" | "planned";
  /** The source's ETag is an MD5 of its bytes (false under SSE-KMS, DSSE, SSE-C). */
  sourceEtagIsMd5: boolean;
  /** The target's ETags are MD5s of the bytes it stores (false when it encrypts with SSE-KMS). */
  targetEtagsAreMd5: boolean;
  /** Set when an interrupted upload is resumed: the checksum it was created with. */
  resumed?: ResumedChecksum;
}

/**
 * How a multipart copy proves the target holds the source's bytes, decided once from the facts:
 * - `checksumAlgorithm`: carried by every UploadPart (and fixed at CreateMultipartUpload);
 * - `partDigest`: what each read of a part is summed up by;
 * - `storedParts`: how a part an interrupted upload already holds may be kept;
 * - `sentPartCheck`: what the target's answer to each UploadPart must match;
 * - `orderedDigest`: the whole object's MD5 is taken in part order while parts are read in parallel;
 * - `beforeComplete`, `afterComplete`: the checks that prove the whole object.
 */
export interface ProofPlan {
  checksumAlgorithm: ChecksumAlgorithm | undefined;
  partDigest: ReadDigest;
  /**
   * `trust`: kept as it is, the composite ETag at the end proves it; `reread-etag` / `reread-crc32`:
   * read again from the source and kept when the digest matches the stored part's ETag / CRC32;
   * `resend`: nothing stored can be checked, so every part is sent again.
   */
  storedParts: "trust" | "reread-etag" | "reread-crc32" | "resend";
  sentPartCheck: "etag" | "crc32" | "none";
  orderedDigest: boolean;
  /**
   * `whole-md5`: the ordered MD5 of the bytes read equals the single-part source's ETag;
   * `composite`: the part MD5s add up to the multipart source's ETag; `none`: the source's ETag
   * proves nothing (each part was still checked in transit).
   */
  beforeComplete: "whole-md5" | "composite" | "none";
  /** The completed target object's ETag must equal the source's. */
  afterComplete: "target-etag" | "none";
  /** What the outcome reports when every check passed. */
  evidence: Evidence;
}

export function planProof(facts: ProofFacts): ProofPlan {
  const mirrored = facts.layout === "mirrored";
  const orderedDigest = !mirrored && facts.sourceEtagIsMd5;
  // Mirrored parts whose ETags are MD5s on both sides must add up to the source's ETag: a CRC32 per
  // part would prove nothing more, and costs both sides CPU on every byte (about a fifth of this
  // process's, measured).
  const etagsProveParts = mirrored && facts.sourceEtagIsMd5 && facts.targetEtagsAreMd5;
  const fresh = etagsProveParts ? undefined : "CRC32";
  // A resumed upload keeps the checksum it was created with; one with nothing to show was made for
  // the same source version, so the same choice made it.
  const { resumed } = facts;
  const checksumAlgorithm =
    resumed === undefined || resumed === "unknown" ? fresh : resumed === "none" ? undefined : resumed;
  // Each part's reads are told apart by a digest: under the ordered MD5 a CRC32 (the whole MD5 proves
  // what was read; a second MD5 per part would cost a third of this process's CPU, measured),
  // otherwise the MD5 that makes the composite ETag. Parts the target's ETags prove need none.
  const partDigest: ReadDigest = etagsProveParts
    ? "none"
    : orderedDigest && checksumAlgorithm === "CRC32"
      ? "crc32"
      : "md5";
  const storedParts = etagsProveParts
    ? "trust"
    : partDigest === "crc32"
      ? "reread-crc32"
      : facts.targetEtagsAreMd5
        ? "reread-etag"
        : "resend";
  const sentPartCheck =
    partDigest === "md5" && facts.targetEtagsAreMd5 ? "etag" : partDigest === "crc32" ? "crc32" : "none";
  const beforeComplete = orderedDigest
    ? "whole-md5"
    : mirrored && facts.sourceEtagIsMd5
      ? "composite"
      : "none";
  const afterComplete = etagsProveParts ? "target-etag" : "none";
  const evidence: Evidence =
    afterComplete === "target-etag" ? "etag" : beforeComplete === "none" ? "checksum" : "md5";
  return {
    checksumAlgorithm,
    partDigest,
    storedParts,
    sentPartCheck,
    orderedDigest,
    beforeComplete,
    afterComplete,
    evidence,
  };
}
