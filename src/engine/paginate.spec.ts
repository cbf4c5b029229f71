import { describe, expect, it } from "vitest";
import { EndlessListingError } from "./errors.js";
import { paginate } from "./paginate.js";

interface Page {
  items: string[];
  truncated: boolean;
  next?: string;
}

/** A listing whose answers are given per marker; counts the requests. */
function listing(pages: Record<string, Page>) {
  const asked: (string | undefined)[] = [];
  const pagination = {
    what: "ListParts of s3://b/k",
    attempts: 3,
    fetch: async (marker: string | undefined) => {
      asked.push(marker);
      const page = pages[marker ?? ""];
      if (!page) throw new Error(`no page at ${marker}`);
      return page;
    },
    next: (page: Page) => ({ truncated: page.truncated, marker: page.next }),
  };
  return { pagination, asked };
}

async function items(pages: AsyncIterable<Page>): Promise<string[]> {
  const all: string[] = [];
  for await (const page of pages) all.push(...page.items);
  return all;
}

describe("paginate", () => {
  it("follows the markers to the last page", async () => {
    const { pagination, asked } = listing({
      "": { items: ["a"], truncated: true, next: "m1" },
      m1: { items: ["b"], truncated: true, next: "m2" },
      m2: { items: ["c"], truncated: false },
    });
    expect(await items(paginate(pagination))).toEqual(["a", "b", "c"]);
    expect(asked).toEqual([undefined, "m1", "m2"]);
  });

  it("fails a listing whose server repeats a marker, after asking for the page again", async () => {
    const { pagination, asked } = listing({
      "": { items: ["a"], truncated: true, next: "m1" },
      m1: { items: ["b"], truncated: true, next: "m1" },
    });
    const error = await items(paginate(pagination)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EndlessListingError);
    expect(String(error)).toContain(
      "ListParts of s3://b/k: the server answered a truncated page with a marker it gave before",
    );
    expect(asked).toEqual([undefined, "m1", "m1", "m1"]);
  });

  it("fails a listing that goes round in a cycle, and one with a truncated page and no marker", async () => {
    const cycle = listing({
      "": { items: [], truncated: true, next: "a" },
      a: { items: [], truncated: true, next: "b" },
      b: { items: [], truncated: true, next: "a" },
    });
    await expect(items(paginate(cycle.pagination))).rejects.toBeInstanceOf(EndlessListingError);
    const empty = listing({ "": { items: ["x"], truncated: true, next: "" } });
    await expect(items(paginate(empty.pagination))).rejects.toThrow("truncated page with no next marker");
    expect(empty.asked).toEqual([undefined, undefined, undefined]);
  });

  it("starts where it is told, and a page that names its own marker again is endless", async () => {
    const { pagination } = listing({ m5: { items: ["e"], truncated: true, next: "m5" } });
    await expect(items(paginate({ ...pagination, start: "m5" }))).rejects.toBeInstanceOf(EndlessListingError);
  });
});
