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
  /** The source stores a CRC32 of the whole object (see SourceState.fullObjectCrc32). */
  sourceHasFullCrc32: boolean;
  /** Set when an interrupted upload is resumed: the checksum it was created with. */
  resumed?: ResumedChecksum;
  /** Known once the upload is open: the target answers each part with its CRC32 (see MultipartUpload). */
  targetAnswersPartCrc32?: boolean;
}

/**
 * How a multipart copy proves the target holds the source's bytes, decided once from the facts:
 * - `checksumAlgorithm`: carried by every UploadPart (and fixed at CreateMultipartUpload);
 * - `partDigest`: what each read of a part is summed up by;
 * - `storedParts`: how a part an interrupted upload already holds may be kept;
 * - `sentPartCheck`: what the target's answer to each UploadPart must match (`answered-crc32`: it
 *   must carry the part's CRC32, which then stands for the part in the proof);
 * - `orderedDigest`: the whole object's MD5 is taken in part order while parts are read in parallel
 *   (what is read ahead of the part being hashed waits in memory and on disk);
 * - `beforeComplete`, `afterComplete`: the checks that prove the whole object.
 */
export interface ProofPlan {
  checksumAlgorithm: ChecksumAlgorithm | undefined;
  partDigest: ReadDigest;
  /**
   * `trust`: kept as it is, the composite ETag at the end proves it; `trust-crc32`: kept with the
   * CRC32 the target stored with it (one stored without is sent again), the combined CRC32 at the
   * end proves it; `reread-etag` / `reread-crc32`:
   * read again from the source and kept when the digest matches the stored part's ETag / CRC32;
   * `resend`: nothing stored can be checked, so every part is sent again.
   */
  storedParts: "trust" | "trust-crc32" | "reread-etag" | "reread-crc32" | "resend";
  sentPartCheck: "etag" | "crc32" | "answered-crc32" | "none";
  orderedDigest: boolean;
  /**
   * `whole-crc32`: the parts' CRC32s, combined, equal the source's full-object CRC32;
   * `whole-md5`: the ordered MD5 of the bytes read equals the single-part source's ETag;
   * `composite`: the part MD5s add up to the multipart source's ETag; `none`: the source's ETag
   * proves nothing (each part was still checked in transit).
   */
  beforeComplete: "whole-crc32" | "whole-md5" | "composite" | "none";
  /** The completed target object's ETag must equal the source's. */
  afterComplete: "target-etag" | "none";
  /** What the outcome reports when every check passed. */
  evidence: Evidence;
}

export function planProof(facts: ProofFacts): ProofPlan {
  const mirrored = facts.layout === "mirrored";
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
  // A source's full-object CRC32 is proven from the CRC32s the target checks on each part, in any
  // order; the ordered MD5 holds what is read ahead of the part being hashed (at most 272 MiB), and
  // that window, not the link, set a single-part 1 GiB copy's pace on long links (0.51 x of an
  // 80 MB/s link against 0.68 x in parts; 0.59 x by the CRC32, measured). So the CRC32 is taken
  // wherever there is one.
  const wholeCrc32 = !mirrored && facts.sourceHasFullCrc32 && checksumAlgorithm === "CRC32";
  const orderedDigest = !mirrored && facts.sourceEtagIsMd5 && !wholeCrc32;
  // The target checks each part's bytes against the CRC32 the SDK computed as it sent them, and
  // answers with it: that is the CRC32 of the bytes read, and the combined CRC32 of the answers
  // proves what the target stores. A CRC32 of our own would be a second pass over every byte: in a
  // 1 GiB copy over a 200 MB/s link, 5.0 -> 4.6 CPU-s and 7.81 -> 7.30 s without it (medians of 4).
  const crc32Answered = wholeCrc32 && facts.targetAnswersPartCrc32 === true;
  // Each part's reads are told apart by a digest: its CRC32 where a whole CRC32 or MD5 proves what
  // was read (a second MD5 per part would cost a third of this process's CPU, measured), otherwise
  // the MD5 that makes the composite ETag. Parts the target's ETags or CRC32 answers prove need none.
  const partDigest: ReadDigest =
    etagsProveParts || crc32Answered
      ? "none"
      : (wholeCrc32 || orderedDigest) && checksumAlgorithm === "CRC32"
        ? "crc32"
        : "md5";
  // Stored parts go into the whole object's proof as they are where it needs no bytes of theirs:
  // a resume under the ordered MD5 reads them all again (3.4 x a 1 GiB object read over five
  // crashes, 1.2 x by the stored CRC32s).
  const storedParts = etagsProveParts
    ? "trust"
    : wholeCrc32
      ? "trust-crc32"
      : partDigest === "crc32"
        ? "reread-crc32"
        : facts.targetEtagsAreMd5
          ? "reread-etag"
          : "resend";
  const sentPartCheck = crc32Answered
    ? "answered-crc32"
    : partDigest === "md5" && facts.targetEtagsAreMd5
      ? "etag"
      : partDigest === "crc32"
        ? "crc32"
        : "none";
  const beforeComplete = wholeCrc32
    ? "whole-crc32"
    : orderedDigest
      ? "whole-md5"
      : mirrored && facts.sourceEtagIsMd5
        ? "composite"
        : "none";
  const afterComplete = etagsProveParts ? "target-etag" : "none";
  const evidence: Evidence =
    afterComplete === "target-etag"
      ? "etag"
      : beforeComplete === "none"
        ? "checksum"
        : beforeComplete === "whole-crc32"
          ? "crc32"
          : "md5";
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
