import { describe, expect, it } from "vitest";
import { type ProofFacts, type ProofPlan, planProof } from "./proof-plan.js";

type Row = [
  ProofFacts["layout"],
  sourceEtagIsMd5: boolean,
  targetEtagsAreMd5: boolean,
  sourceHasFullCrc32: boolean,
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
  ["mirrored", true,  true,  false, undefined, undefined, "none",  "trust",        "none",  false, "composite", "target-etag", "etag"],
  ["mirrored", true,  false, false, undefined, "CRC32",   "md5",   "resend",       "none",  false, "composite", "none",        "md5"],
  ["mirrored", false, true,  false, undefined, "CRC32",   "md5",   "reread-etag",  "etag",  false, "none",      "none",        "checksum"],
  ["mirrored", false, false, false, undefined, "CRC32",   "md5",   "resend",       "none",  false, "none",      "none",        "checksum"],
  ["planned",  true,  true,  false, undefined, "CRC32",   "crc32", "reread-crc32", "crc32", true,  "whole-md5", "none",        "md5"],
  ["planned",  true,  false, false, undefined, "CRC32",   "crc32", "reread-crc32", "crc32", true,  "whole-md5", "none",        "md5"],
  ["planned",  false, true,  false, undefined, "CRC32",   "md5",   "reread-etag",  "etag",  false, "none",      "none",        "checksum"],
  ["planned",  false, false, false, undefined, "CRC32",   "md5",   "resend",       "none",  false, "none",      "none",        "checksum"],
  // Resumed uploads keep the checksum they were created with; one that shows none is as fresh.
  ["planned",  true,  true,  false, "none",    undefined, "md5",   "reread-etag",  "etag",  true,  "whole-md5", "none",        "md5"],
  ["planned",  true,  true,  false, "unknown", "CRC32",   "crc32", "reread-crc32", "crc32", true,  "whole-md5", "none",        "md5"],
  ["planned",  true,  true,  false, "CRC32",   "CRC32",   "crc32", "reread-crc32", "crc32", true,  "whole-md5", "none",        "md5"],
  ["mirrored", true,  true,  false, "CRC32",   "CRC32",   "none",  "trust",        "none",  false, "composite", "target-etag", "etag"],
  ["mirrored", true,  true,  false, "unknown", undefined, "none",  "trust",        "none",  false, "composite", "target-etag", "etag"],
  ["mirrored", true,  false, false, "none",    undefined, "md5",   "resend",       "none",  false, "composite", "none",        "md5"],
  // A full-object CRC32 on the source proves a planned layout without the ordered MD5, whatever
  // the ETags; a mirrored layout keeps its ETags, and an upload resumed without CRC32s cannot use it.
  ["planned",  true,  true,  true,  undefined, "CRC32",   "crc32", "trust-crc32",  "crc32", false, "whole-crc32", "none",     "crc32"],
  ["planned",  false, false, true,  undefined, "CRC32",   "crc32", "trust-crc32",  "crc32", false, "whole-crc32", "none",     "crc32"],
  ["planned",  true,  true,  true,  "CRC32",   "CRC32",   "crc32", "trust-crc32",  "crc32", false, "whole-crc32", "none",     "crc32"],
  ["planned",  true,  true,  true,  "none",    undefined, "md5",   "reread-etag",  "etag",  true,  "whole-md5",   "none",     "md5"],
  ["mirrored", true,  true,  true,  undefined, undefined, "none",  "trust",        "none",  false, "composite", "target-etag", "etag"],
  ["mirrored", false, true,  true,  undefined, "CRC32",   "md5",   "reread-etag",  "etag",  false, "none",      "none",        "checksum"],
];

describe("planProof", () => {
  it.each(TABLE)(
    "%s, source MD5 %s, target MD5 %s, source CRC32 %s, resumed %s",
    (layout, src, dst, crc, resumed, ...plan) => {
      const fields: (keyof ProofPlan)[] = [
        "checksumAlgorithm",
        "partDigest",
        "storedParts",
        "sentPartCheck",
        "orderedDigest",
        "beforeComplete",
        "afterComplete",
        "evidence",
      ];
      const facts: ProofFacts = {
        layout,
        sourceEtagIsMd5: src,
        targetEtagsAreMd5: dst,
        sourceHasFullCrc32: crc,
      };
      expect(planProof(resumed ? { ...facts, resumed } : facts)).toEqual(
        Object.fromEntries(fields.map((field, i) => [field, plan[i]])),
      );
    },
  );
});

describe("planProof, with a target that answers each part with its CRC32", () => {
  const facts: ProofFacts = {
    layout: "planned",
    sourceEtagIsMd5: true,
    targetEtagsAreMd5: true,
    sourceHasFullCrc32: true,
    targetAnswersPartCrc32: true,
  };

  it("takes the answers for the parts' CRC32s under the whole-object CRC32, and reads no CRC32 of its own", () => {
    for (const resumed of [undefined, "CRC32"] as const) {
      expect(planProof({ ...facts, resumed })).toMatchObject({
        checksumAlgorithm: "CRC32",
        partDigest: "none",
        storedParts: "trust-crc32",
        sentPartCheck: "answered-crc32",
        beforeComplete: "whole-crc32",
        evidence: "crc32",
      });
    }
  });

  it("keeps its own digests where the whole-object CRC32 does not prove the copy", () => {
    expect(planProof({ ...facts, sourceHasFullCrc32: false })).toMatchObject({
      partDigest: "crc32",
      sentPartCheck: "crc32",
      beforeComplete: "whole-md5",
    });
    expect(planProof({ ...facts, resumed: "none" })).toMatchObject({
      partDigest: "md5",
      sentPartCheck: "etag",
      beforeComplete: "whole-md5",
    });
    expect(planProof({ ...facts, layout: "mirrored" })).toMatchObject({
      partDigest: "none",
      sentPartCheck: "none",
      beforeComplete: "composite",
    });
  });
});
