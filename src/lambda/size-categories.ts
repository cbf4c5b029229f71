/**
 * The sizing categories of the original template (MaxFileSizeCategory). None limits the object
 * size; each sets the function's memory (and with it Lambda's CPU share) and the parts in flight:
 * `concurrency` where they start, `adaptiveMax` how far they may grow with the link. The one
 * place these are set: the handler reads the parts, the stack's FileSizeConfig mapping the memory.
 */
export const SIZE_CATEGORIES = {
  Under200MB: { memoryMb: 512, concurrency: 8, adaptiveMax: 32 },
  "200MB-2GB": { memoryMb: 1024, concurrency: 16, adaptiveMax: 64 },
  "2GB-10GB": { memoryMb: 2048, concurrency: 32, adaptiveMax: 64 },
} as const;

export type SizeCategory = keyof typeof SIZE_CATEGORIES;
