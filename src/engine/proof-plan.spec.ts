import { describe, expect, it } from "vitest";
import { type ProofFacts, type ProofPlan, planProof } from "./proof-plan.js";

type Row = [
  ProofFacts["layout"],
  sourceEtagIsMd5: boolean,
  targetEtagsAreMd5: boolean,
  resumed: ProofFacts["resumed"],
  checksum: ProofPlan["checksumAlgorithm"],
  partDigest: ProofPlan["partDigest"],
  storedParts: ProofPlan["storedParts"],
  sentPartCheck: ProofPlan["sentPartCheck"],
  orderedDigest: boolean,
  beforeComplete: ProofPlan["beforeComplete"],
  afterComplete: ProofPlan["afterComplete"],
  evidence: ProofPlan["evidence"],
];

// biome-ignore format: one row per case reads as a table
const TABLE: Row[] = [
  // Fresh uploads: every combination of layout and ETag kinds.
  ["mirrored", true,  true,  undefined, undefined, "none",  "trust",        "none",  false, "composite", "target-etag", "etag"],
  ["mirrored", true,  false, undefined, "CRC32",   "md5",   "resend",       "none",  false, "composite", "none",        "md5"],
  ["mirrored", false, true,  undefined, "CRC32",   "md5",   "reread-etag",  "etag",  false, "none",      "none",        "checksum"],
  ["mirrored", false, false, undefined, "CRC32",   "md5",   "resend",       "none",  false, "none",      "none",        "checksum"],
  ["planned",  true,  true,  undefined, "CRC32",   "crc32", "reread-crc32", "crc32", true,  "whole-md5", "none",        "md5"],
  ["planned",  true,  false, undefined, "CRC32",   "crc32", "reread-crc32", "crc32", true,  "whole-md5", "none",        "md5"],
  ["planned",  false, true,  undefined, "CRC32",   "md5",   "reread-etag",  "etag",  false, "none",      "none",        "checksum"],
  ["planned",  false, false, undefined, "CRC32",   "md5",   "resend",       "none",  false, "none",      "none",        "checksum"],
  // Resumed uploads keep the checksum they were created with; one that shows none is as fresh.
  ["planned",  true,  true,  "none",    undefined, "md5",   "reread-etag",  "etag",  true,  "whole-md5", "none",        "md5"],
  ["planned",  true,  true,  "unknown", "CRC32",   "crc32", "reread-crc32", "crc32", true,  "whole-md5", "none",        "md5"],
  ["planned",  true,  true,  "CRC32",   "CRC32",   "crc32", "reread-crc32", "crc32", true,  "whole-md5", "none",        "md5"],
  ["mirrored", true,  true,  "CRC32",   "CRC32",   "none",  "trust",        "none",  false, "composite", "target-etag", "etag"],
  ["mirrored", true,  true,  "unknown", undefined, "none",  "trust",        "none",  false, "composite", "target-etag", "etag"],
  ["mirrored", true,  false, "none",    undefined, "md5",   "resend",       "none",  false, "composite", "none",        "md5"],
];

describe("planProof", () => {
  it.each(TABLE)("%s, source MD5 %s, target MD5 %s, resumed %s", (layout, src, dst, resumed, ...plan) => {
    const [checksumAlgorithm, partDigest, storedParts, sentPartCheck, orderedDigest, ...rest] = plan;
    const [beforeComplete, afterComplete, evidence] = rest;
    expect(
      planProof({ layout, sourceEtagIsMd5: src, targetEtagsAreMd5: dst, ...(resumed ? { resumed } : {}) }),
    ).toEqual({
      checksumAlgorithm,
      partDigest,
      storedParts,
      sentPartCheck,
      orderedDigest,
      beforeComplete,
      afterComplete,
      evidence,
    });
  });
});
