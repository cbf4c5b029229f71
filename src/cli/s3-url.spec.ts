import { describe, expect, it } from "vitest";
import { parseSize } from "./parse-size.js";
import { asFolderPrefix, copyTargetKey, parseS3Url } from "./s3-url.js";

describe("parseS3Url", () => {
  it("splits bucket and key, keeping the key verbatim", () => {
    expect(parseS3Url("s3://my-bucket/a b/c+d%e.txt", "source")).toEqual({
      bucket: "my-bucket",
      key: "a b/c+d%e.txt",
    });
    expect(parseS3Url("s3://my-bucket", "source")).toEqual({ bucket: "my-bucket", key: "" });
    expect(parseS3Url("s3://my-bucket/", "source")).toEqual({ bucket: "my-bucket", key: "" });
  });

  it("names the argument in its errors", () => {
    expect(() => parseS3Url("my-bucket/key", "source")).toThrow(
      /source "my-bucket\/key" is not an s3:\/\/ URL/,
    );
    expect(() => parseS3Url("s3://My_Bucket/k", "target")).toThrow(/target .* not a valid bucket name/);
    expect(() => parseS3Url("s3:///k", "target")).toThrow(/not a valid bucket name/);
  });

  it("treats sync prefixes as folders", () => {
    expect(asFolderPrefix("photos")).toBe("photos/");
    expect(asFolderPrefix("photos/")).toBe("photos/");
    expect(asFolderPrefix("")).toBe("");
  });

  it("chooses the copy target key", () => {
    expect(copyTargetKey("a/b.txt", { bucket: "t", key: "" })).toBe("a/b.txt");
    expect(copyTargetKey("a/b.txt", { bucket: "t", key: "x/" })).toBe("x/b.txt");
    expect(copyTargetKey("a/b.txt", { bucket: "t", key: "y.txt" })).toBe("y.txt");
  });
});

describe("parseSize", () => {
  it("reads binary and decimal units", () => {
    expect(parseSize("8MiB", "--part-size")).toBe(8 * 1024 * 1024);
    expect(parseSize("64MB", "--part-size")).toBe(64_000_000);
    expect(parseSize("5242880", "--part-size")).toBe(5242880);
    expect(parseSize("1.5GiB", "--part-size")).toBe(1.5 * 1024 ** 3);
  });

  it("rejects what is not a size", () => {
    expect(() => parseSize("lots", "--part-size")).toThrow(/--part-size "lots" is not a size/);
    // A name every object inherits is no unit.
    expect(() => parseSize("8constructor", "--part-size")).toThrow(/"8constructor" is not a size/);
  });
});
