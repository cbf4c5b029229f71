import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { OrderedDigest } from "./ordered-digest.js";

describe("OrderedDigest", () => {
  it("hashes parts in part order whatever order they arrive in", async () => {
    const digest = new OrderedDigest();
    const order: number[] = [];
    const third = digest.submit(3, [Buffer.from("c")]).then(() => order.push(3));
    const second = digest.submit(2, [Buffer.from("b1"), Buffer.from("b2")]).then(() => order.push(2));
    await Promise.resolve();
    expect(order).toEqual([]);
    await digest.submit(1, [Buffer.from("a")]);
    await Promise.all([second, third]);
    expect(order).toEqual([2, 3]);
    expect(digest.md5Hex()).toBe(createHash("md5").update("ab1b2c").digest("hex"));
  });

  it("releases waiting parts when abandoned", async () => {
    const digest = new OrderedDigest();
    const waiting = digest.submit(2, [Buffer.from("x")]);
    digest.abandon();
    await expect(waiting).resolves.toBeUndefined();
  });
});
