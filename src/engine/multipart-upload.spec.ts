import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { PartsLostError } from "./errors.js";
import { type IncompleteUpload, MultipartUpload, uploadsLostInCreate } from "./multipart-upload.js";

const OURS_AT = Date.parse("2026-11-26T03:00:10.000Z");
const ours: IncompleteUpload = { uploadId: "ours", initiated: OURS_AT };
const at = (uploadId: string, msFromOurs: number): IncompleteUpload => ({
  uploadId,
  initiated: OURS_AT + msFromOurs,
});
const ids = (uploads: IncompleteUpload[]) => uploads.map((upload) => upload.uploadId);

describe("uploadsLostInCreate", () => {
  it("takes the uploads the server dates within our Create, less one clock tick, up to our own", () => {
    const listed = [
      ours,
      at("lost", -300),
      at("same-date", 0),
      at("tick-early", -1_499),
      at("before", -1_501),
    ];
    expect(ids(uploadsLostInCreate(listed, [], "ours", 500))).toEqual(["lost", "same-date", "tick-early"]);
  });

  it("leaves uploads dated after our own: another writer's, started later", () => {
    expect(ids(uploadsLostInCreate([ours, at("later", 1)], [], "ours", 500))).toEqual([]);
  });

  it("leaves the uploads listed before the Create was sent", () => {
    const earlier = at("earlier", -100);
    expect(ids(uploadsLostInCreate([ours, earlier], [earlier], "ours", 500))).toEqual([]);
  });

  it("takes nothing when our own upload is not listed, or not dated", () => {
    expect(ids(uploadsLostInCreate([at("lost", -100)], [], "ours", 500))).toEqual([]);
    const undated = [
      { uploadId: "ours", initiated: 0 },
      { uploadId: "lost", initiated: 0 },
    ];
    expect(ids(uploadsLostInCreate(undated, [], "ours", 500))).toEqual([]);
  });
});

/** A target answering each command with `answer`, recording what was sent and how many at once. */
function fakeTarget(answer: (command: object) => Promise<unknown>) {
  const sent: string[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const client = {
    send: async (command: object) => {
      sent.push(command.constructor.name);
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      try {
        return await answer(command);
      } finally {
        inFlight--;
      }
    },
  } as unknown as S3Client;
  return { side: { client, bucket: "b" }, sent, mostInFlight: () => mostInFlight };
}

const created = { UploadId: "new", $metadata: {} };
const anyPart = { writtenAt: async () => 0, fits: () => true };
const open = (side: { client: S3Client; bucket: string }) =>
  MultipartUpload.open(side, "k", anyPart, { Metadata: {} }, (resumed) => resumed as "CRC32", 2);

describe("MultipartUpload.open", () => {
  it("lists the key's uploads and starts a new one at once: one round trip, not two", async () => {
    const target = fakeTarget(async (command) =>
      command instanceof CreateMultipartUploadCommand ? created : { Uploads: [] },
    );
    const upload = await open(target.side);
    expect(target.sent.sort()).toEqual(["CreateMultipartUploadCommand", "ListMultipartUploadsCommand"]);
    expect(target.mostInFlight()).toBe(2);
    expect(upload.terms.resumed).toBeUndefined();
  });

  it("resumes an upload holding parts, and aborts the new one with the other stale uploads", async () => {
    const target = fakeTarget(async (command) => {
      if (command instanceof CreateMultipartUploadCommand) return created;
      if (command instanceof ListMultipartUploadsCommand) {
        // The listing may already show the upload just started: it is never a candidate.
        return {
          Uploads: ["held", "empty", "new"].map((UploadId) => ({
            Key: "k",
            UploadId,
            Initiated: new Date(OURS_AT),
          })),
        };
      }
      if (command instanceof ListPartsCommand) {
        const parts =
          command.input.UploadId === "held"
            ? [{ PartNumber: 1, ETag: '"e"', Size: 5, ChecksumCRC32: "c" }]
            : [];
        return { Parts: parts };
      }
      return {};
    });
    const upload = await open(target.side);
    expect(upload.terms.resumed).toBe("CRC32");
    expect(upload.terms.checksumAlgorithm).toBe("CRC32");
    expect([...upload.terms.stored.keys()]).toEqual([1]);
    expect(target.sent.filter((name) => name === "ListPartsCommand")).toHaveLength(2);
    target.sent.length = 0;
    await upload.removeStale();
    expect(target.sent).toEqual(["AbortMultipartUploadCommand", "AbortMultipartUploadCommand"]);
  });

  it("aborts the upload it started when the listing fails, and stops on markers that repeat", async () => {
    const uploadsPage = {
      Uploads: [{ Key: "k", UploadId: "u1", Initiated: new Date(OURS_AT) }],
      IsTruncated: true,
      NextKeyMarker: "k",
      NextUploadIdMarker: "u1",
    };
    const partsPage = {
      Parts: [{ PartNumber: 1, ETag: '"e"', Size: 5 }],
      IsTruncated: true,
      NextPartNumberMarker: "1",
    };
    const answering = (repeatUploads: boolean) =>
      fakeTarget(async (command) => {
        if (command instanceof CreateMultipartUploadCommand) return created;
        if (command instanceof ListMultipartUploadsCommand)
          return repeatUploads ? uploadsPage : { ...uploadsPage, IsTruncated: false };
        if (command instanceof ListPartsCommand) return partsPage;
        return {};
      });
    const repeating = answering(true);
    await expect(open(repeating.side)).rejects.toThrow(
      "ListMultipartUploads of s3://b/k: the server answered a truncated page with a marker it gave before",
    );
    expect(repeating.sent.at(-1)).toBe("AbortMultipartUploadCommand");
    const partsRepeating = answering(false);
    await expect(open(partsRepeating.side)).rejects.toThrow(
      "ListParts of s3://b/k: the server answered a truncated page with a marker it gave before",
    );
    expect(partsRepeating.sent.at(-1)).toBe("AbortMultipartUploadCommand");
  });
});

describe("MultipartUpload.complete", () => {
  it("turns InvalidPart, the key not holding the upload's object, into a start over", async () => {
    const error = (name: string, status: number) =>
      Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
    const client = {
      send: async (command: object) => {
        if (command instanceof CreateMultipartUploadCommand) return { UploadId: "u", $metadata: {} };
        if (command instanceof ListMultipartUploadsCommand) return { Uploads: [] };
        if (command instanceof CompleteMultipartUploadCommand) throw error("InvalidPart", 400);
        throw error("NotFound", 404);
      },
    } as unknown as S3Client;
    const upload = await open({ client, bucket: "b" });
    await expect(upload.complete([{ partNumber: 1, etag: "e", size: 5 }])).rejects.toBeInstanceOf(
      PartsLostError,
    );
  });
});
