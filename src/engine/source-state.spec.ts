import { Readable } from "node:stream";
import type { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { IntegrityError } from "./errors.js";
import { readSource, type SourceState } from "./source-state.js";

const state: SourceState = {
  key: "k",
  size: 1000,
  etag: "e",
  opaqueEtag: false,
  headers: {},
  metadata: {},
  tagCount: 0,
};

/** A source whose every GET is answered by `answer`; `ranges` records the Range each one asked for. */
function sourceAnswering(
  answer: (range: string | undefined) => { ContentRange?: string; ContentLength: number },
) {
  const ranges: (string | undefined)[] = [];
  const bodies: Readable[] = [];
  const client = {
    send: async (command: GetObjectCommand) => {
      ranges.push(command.input.Range);
      const body = Readable.from([Buffer.alloc(1)]);
      bodies.push(body);
      return { ...answer(command.input.Range), Body: body };
    },
  } as unknown as S3Client;
  return { side: { client, bucket: "b" }, ranges, bodies };
}

describe("readSource, reading a byte range", () => {
  it("takes an answer that starts where it asked, and reads its rest from there on", async () => {
    const { side, ranges } = sourceAnswering((range) =>
      range === "bytes=100-199"
        ? { ContentRange: "bytes 100-199/1000", ContentLength: 100 }
        : { ContentRange: "bytes 160-199/1000", ContentLength: 40 },
    );
    const read = await readSource(side, state, { range: [100, 199] });
    expect(read.contentLength).toBe(100);
    const rest = await read.rest?.(60, new AbortController().signal);
    expect(ranges).toEqual(["bytes=100-199", "bytes=160-199"]);
    expect(rest?.contentLength).toBe(40);
  });

  it("refuses the whole object for a range (a server or proxy that drops Range), and closes its body", async () => {
    const { side, bodies } = sourceAnswering(() => ({ ContentLength: 1000 }));
    const read = readSource(side, state, { range: [100, 199] });
    await expect(read).rejects.toThrow(IntegrityError);
    await expect(read).rejects.toThrow(
      "s3://b/k: the source answered a read of bytes 100-199 with the whole object (it ignores Range)",
    );
    expect(bodies.every((body) => body.destroyed)).toBe(true);
  });

  it("refuses bytes from elsewhere in the object", async () => {
    const { side } = sourceAnswering(() => ({ ContentRange: "bytes 0-99/1000", ContentLength: 100 }));
    await expect(readSource(side, state, { range: [100, 199] })).rejects.toThrow(
      'read of bytes 100-199 with "bytes 0-99/1000"',
    );
  });
});
