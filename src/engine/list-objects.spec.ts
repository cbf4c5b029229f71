import type { S3Client } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { listObjects } from "./list-objects.js";

/** An answer that came with HTTP 200 but could not be parsed, as the SDK reports it. */
function garbledAnswer(): Error {
  return Object.assign(new Error("@aws-sdk XML parse error: mismatched tags"), {
    $metadata: { httpStatusCode: 200 },
  });
}

function sideAnswering(answers: (() => unknown)[]) {
  let calls = 0;
  const client = {
    send: async () => {
      const answer = answers[calls++];
      if (!answer) throw new Error("no more answers");
      return answer();
    },
  } as unknown as S3Client;
  return { side: { client, bucket: "b" }, calls: () => calls };
}

async function collect(iterable: AsyncIterable<{ key: string }>): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of iterable) keys.push(object.key);
  return keys;
}

const page = { Contents: [{ Key: "p/a", Size: 1, ETag: '"e"' }], IsTruncated: false };

describe("listObjects", () => {
  it("asks again for a page whose answer could not be read", async () => {
    const { side, calls } = sideAnswering([
      () => {
        throw garbledAnswer();
      },
      () => page,
    ]);
    expect(await collect(listObjects(side, "p/", 3))).toEqual(["p/a"]);
    expect(calls()).toBe(2);
  });

  it("gives up after the attempts allowed, and at once on an error that is not transient", async () => {
    const garbled = sideAnswering(Array.from({ length: 3 }, () => () => Promise.reject(garbledAnswer())));
    await expect(collect(listObjects(garbled.side, "p/", 2))).rejects.toThrow("XML parse error");
    expect(garbled.calls()).toBe(2);

    const denied = Object.assign(new Error("Access Denied"), {
      name: "AccessDenied",
      $metadata: { httpStatusCode: 403 },
    });
    const refused = sideAnswering([() => Promise.reject(denied)]);
    await expect(collect(listObjects(refused.side, "p/", 3))).rejects.toBe(denied);
    expect(refused.calls()).toBe(1);
  });
});

describe("a listing whose server repeats its continuation token", () => {
  it("ends with an error naming the listing instead of going round for ever", async () => {
    const again = () => ({
      Contents: [{ Key: "p/a", Size: 1, ETag: '"e"' }],
      IsTruncated: true,
      NextContinuationToken: "t1",
    });
    const { side, calls } = sideAnswering(Array.from({ length: 10 }, () => again));
    await expect(collect(listObjects(side, "p/", 2))).rejects.toThrow(
      "ListObjectsV2 of s3://b/p/: the server answered a truncated page with a marker it gave before",
    );
    // The first page, then the page after it asked for twice.
    expect(calls()).toBe(3);
  });
});
