import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { PartsLostError } from "./errors.js";
import {
  findResumableUpload,
  type IncompleteUpload,
  MultipartUpload,
  uploadsLostInCreate,
} from "./multipart-upload.js";

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

describe("findResumableUpload", () => {
  it("stops on an upload listing whose marker repeats, and on a part listing whose marker repeats", async () => {
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
      ({
        send: async (command: object) =>
          command instanceof ListMultipartUploadsCommand
            ? repeatUploads
              ? uploadsPage
              : { ...uploadsPage, IsTruncated: false }
            : partsPage,
      }) as unknown as S3Client;
    const search = (client: S3Client) =>
      findResumableUpload(
        { client, bucket: "b" },
        "k",
        async () => 0,
        () => true,
        2,
      );
    await expect(search(answering(true))).rejects.toThrow(
      "ListMultipartUploads of s3://b/k: the server answered a truncated page with a marker it gave before",
    );
    await expect(search(answering(false))).rejects.toThrow(
      "ListParts of s3://b/k: the server answered a truncated page with a marker it gave before",
    );
  });
});

describe("MultipartUpload.complete", () => {
  it("turns InvalidPart, the key not holding the upload's object, into a start over", async () => {
    const error = (name: string, status: number) =>
      Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
    const client = {
      send: async (command: object) => {
        if (command instanceof CreateMultipartUploadCommand) return { UploadId: "u", $metadata: {} };
        if (command instanceof CompleteMultipartUploadCommand) throw error("InvalidPart", 400);
        throw error("NotFound", 404);
      },
    } as unknown as S3Client;
    const upload = await MultipartUpload.open(
      { client, bucket: "b" },
      "k",
      { previous: [] },
      { Metadata: {} },
      undefined,
      2,
    );
    await expect(upload.complete([{ partNumber: 1, etag: "e", size: 5 }])).rejects.toBeInstanceOf(
      PartsLostError,
    );
  });
});
