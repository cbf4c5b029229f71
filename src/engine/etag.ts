import { createHash } from "node:crypto";

/** An ETag without its quotes, as S3 returns it in headers and listings. */
export function normalizeEtag(etag: string | undefined): string {
  return (etag ?? "").replace(/^W\//, "").replace(/"/g, "");
}

const MULTIPART_ETAG = /^[0-9a-f]{32}-(\d+)$/i;
const MD5_ETAG = /^[0-9a-f]{32}$/i;

/** The number of parts a multipart ETag ("<md5>-N") declares, or undefined for a single-part ETag. */
export function multipartPartCount(etag: string): number | undefined {
  const match = MULTIPART_ETAG.exec(etag);
  return match ? Number(match[1]) : undefined;
}

export function isPlainMd5Etag(etag: string): boolean {
  return MD5_ETAG.test(etag);
}

/** The ETag S3 gives a multipart object: MD5 of the concatenated binary part MD5s, then "-N". */
export function compositeEtag(partMd5Hex: readonly string[]): string {
  const hash = createHash("md5");
  for (const md5 of partMd5Hex) hash.update(Buffer.from(md5, "hex"));
  return `${hash.digest("hex")}-${partMd5Hex.length}`;
}

export function md5HexToBase64(md5Hex: string): string {
  return Buffer.from(md5Hex, "hex").toString("base64");
}
