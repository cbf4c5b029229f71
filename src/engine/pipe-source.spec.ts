import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { pipeSource } from "./pipe-source.js";
import type { SourceBody } from "./source-state.js";

const MiB = 1024 * 1024;
const object = Buffer.from(Array.from({ length: 3 * MiB }, (_, i) => (i * 7) % 251));
const reset = () => Object.assign(new Error("aborted"), { code: "ECONNRESET" });

/**
 * A read of `object` from `from` on whose connection fails with `fault` after `cutAt` more bytes
 * (each rest read takes the next of `cuts`); `rests` records the offsets the rest was read from.
 */
function cutRead(cuts: number[], rests: number[], fault: () => Error = reset) {
  const bodyFrom = (from: number): SourceBody => {
    const cutAt = cuts.shift();
    const end = cutAt === undefined ? object.length : Math.min(object.length, from + cutAt);
    async function* bytes() {
      for (let at = from; at < end; at += 64 * 1024) yield object.subarray(at, Math.min(end, at + 64 * 1024));
      if (end < object.length) throw fault();
    }
    return {
      body: Readable.from(bytes()),
      contentLength: object.length - from,
      rest: async (offset) => {
        rests.push(offset);
        return bodyFrom(from + offset);
      },
    };
  };
  return bodyFrom(0);
}

async function pipeToHash(first: SourceBody) {
  return pipeSource(
    async () => first,
    async (body) => {
      const hash = createHash("md5");
      for await (const chunk of body) hash.update(chunk);
      return hash.digest("hex");
    },
    { stallTimeoutMs: () => 10_000 },
  );
}

const md5 = (bytes: Buffer) => createHash("md5").update(bytes).digest("hex");

describe("pipeSource, when the source's connection is cut", () => {
  it("reads the rest from the byte reached, each byte once", async () => {
    const rests: number[] = [];
    const piped = await pipeToHash(cutRead([1.5 * MiB, 1.25 * MiB], rests));
    expect(rests).toEqual([1.5 * MiB, 2.75 * MiB]);
    expect(piped.bytes).toBe(object.length);
    expect(piped.result).toBe(md5(object));
    expect(piped.digest).toBe(md5(object));
  });

  it("gives up at the fourth cut that came less than a MiB after the read's last start", async () => {
    const rests: number[] = [];
    const cuts = [2 * MiB, 64 * 1024, 64 * 1024, 64 * 1024, 64 * 1024];
    await expect(pipeToHash(cutRead(cuts, rests))).rejects.toThrow("aborted");
    expect(rests).toEqual([2, 2.0625, 2.125, 2.1875].map((at) => at * MiB));
  });

  it("fails at once on a fault that is not a cut", async () => {
    const rests: number[] = [];
    const garbled = () => new Error("unexpected bytes");
    await expect(pipeToHash(cutRead([MiB], rests, garbled))).rejects.toThrow("unexpected bytes");
    expect(rests).toEqual([]);
  });

  it("does not read on from a source whose answer says nowhere where it starts", async () => {
    const rests: number[] = [];
    const first = { ...cutRead([MiB], rests), rest: undefined };
    await expect(pipeToHash(first)).rejects.toThrow("aborted");
  });
});
