import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { compositeEtag, isPlainMd5Etag, md5HexToBase64, multipartPartCount, normalizeEtag } from "./etag.js";

const md5 = (s: string) => createHash("md5").update(s).digest("hex");

describe("etag", () => {
  it("strips quotes and weak prefixes", () => {
    expect(normalizeEtag('"abc"')).toBe("abc");
    expect(normalizeEtag('W/"abc"')).toBe("abc");
    expect(normalizeEtag(undefined)).toBe("");
  });

  it("reads the part count of a multipart ETag", () => {
    expect(multipartPartCount(`${md5("x")}-7`)).toBe(7);
    expect(multipartPartCount(md5("x"))).toBeUndefined();
    expect(multipartPartCount("not-an-etag-3")).toBeUndefined();
  });

  it("recognises plain MD5 ETags", () => {
    expect(isPlainMd5Etag(md5("x"))).toBe(true);
    expect(isPlainMd5Etag(`${md5("x")}-2`)).toBe(false);
  });

  it("computes S3's composite ETag", () => {
    const parts = [md5("a"), md5("b")];
    const expected = createHash("md5")
      .update(Buffer.concat(parts.map((p) => Buffer.from(p, "hex"))))
      .digest("hex");
    expect(compositeEtag(parts)).toBe(`${expected}-2`);
  });

  it("encodes Content-MD5 from a hex digest", () => {
    expect(md5HexToBase64(md5(""))).toBe("1B2M2Y8AsgTpgAmY7PhCfg==");
  });
});
