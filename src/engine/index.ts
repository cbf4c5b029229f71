export { createEngine, type Engine, type EngineConfig } from "./engine.js";
export { describeError, isRetryable, PermanentError } from "./errors.js";
export { normalizeEtag } from "./etag.js";
export { hedgedRead } from "./hedged-reads.js";
export type { ListedObject, ListedPage } from "./list-objects.js";
export { effectivePartSize, MAX_OBJECT_SIZE, MAX_PART_SIZE, MIN_PART_SIZE, planParts } from "./plan-parts.js";
export { backoffDelay, RetriesExhaustedError, withRetries } from "./retry.js";
export { SOURCE_ETAG_METADATA_KEY, userMetadata } from "./target-attributes.js";
export * from "./types.js";
