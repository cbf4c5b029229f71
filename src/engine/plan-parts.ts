export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;
export const MAX_PARTS = 10_000;
export const MAX_OBJECT_SIZE = 5 * 1024 ** 4;

export interface PartRange {
  partNumber: number;
  start: number;
  /** Inclusive, as in an HTTP Range header. */
  end: number;
  size: number;
}

/**
 * The part size actually used for an object: the requested size, grown in whole MiB until the
 * object fits in 10,000 parts, and never outside S3's 5 MiB–5 GiB part limits.
 */
export function effectivePartSize(objectSize: number, requested: number): number {
  const mib = 1024 * 1024;
  const needed = Math.ceil(objectSize / MAX_PARTS / mib) * mib;
  return Math.min(MAX_PART_SIZE, Math.max(MIN_PART_SIZE, requested, needed));
}

/** Split an object into the parts of a multipart upload we lay out ourselves. */
export function planParts(objectSize: number, requestedPartSize: number): PartRange[] {
  if (objectSize > MAX_OBJECT_SIZE) {
    throw new RangeError(`object size ${objectSize} exceeds S3's 5 TiB limit`);
  }
  const partSize = effectivePartSize(objectSize, requestedPartSize);
  const parts: PartRange[] = [];
  for (let start = 0, partNumber = 1; start < objectSize; start += partSize, partNumber++) {
    const end = Math.min(start + partSize, objectSize) - 1;
    parts.push({ partNumber, start, end, size: end - start + 1 });
  }
  return parts;
}
