/**
 * The sizing categories of the original template (MaxFileSizeCategory). None limits the object
 * size; each sets the function's memory (and with it Lambda's CPU share) and the parts in flight:
 * `concurrency` where they start, `adaptiveMax` how far they may grow with the link. The one
 * place these are set: the handler reads the parts, the stack's FileSizeConfig mapping the memory.
 *
 * Memory from measurement (npm run bench:sizing, docs/PERFORMANCE.md): over the cross-border link
 * (40 MB/s) 512 MB copied 1 GiB at 33 MB/s, 1,024 and 2,048 MB at 35-36 MB/s for twice and four
 * times the GB-seconds (15 vs 28 and 59 GB-s per GB); 256 MB fell to 18-20 MB/s (its CPU quota
 * held it back 75 % of the time). Small objects are bound by round trips, not CPU, from 512 MB on.
 * The parts settings made no measurable difference (within 10 %) and stay: peak RSS 122-151 MiB.
 */
export const SIZE_CATEGORIES = {
  Under200MB: { memoryMb: 512, concurrency: 8, adaptiveMax: 32 },
  "200MB-2GB": { memoryMb: 512, concurrency: 16, adaptiveMax: 64 },
  "2GB-10GB": { memoryMb: 512, concurrency: 32, adaptiveMax: 64 },
} as const;

export type SizeCategory = keyof typeof SIZE_CATEGORIES;
