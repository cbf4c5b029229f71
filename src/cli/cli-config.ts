import { parseEncryption, parseStorageClass } from "../aws/object-settings.js";
import type { SidesSettings } from "../aws/open-sides.js";
import { isRegion } from "../aws/partition.js";
import {
  type EngineOptions,
  MAX_PART_SIZE,
  MIN_PART_SIZE,
  STORAGE_CLASSES,
  type StorageClass,
  type TargetEncryption,
} from "../engine/index.js";
import { UsageError } from "../user-facing/errors.js";
import { parseIntegerFlag } from "./parse-integer.js";
import { parseSize } from "./parse-size.js";

/**
 * Every tunable with its default and why. The README's option table mirrors this one.
 * - concurrency 16, adapted up to 64: parts in flight start at 16 (loopback runs as fast as at 8:
 *   216 and 220 MB/s for 1 GiB; 32 ran 10 % slower) and follow the link's rate from there (see AdaptiveLimit): across the border 10-40 connections of
 *   a few MB/s each fill it. 64 keeps memory well under 256 MiB. Objects of one part are 4 times
 *   as many: their time is round trips, not bandwidth. `--concurrency N` fixes it at N.
 * - partSize 8 MiB: what AWS CLI uses; only single-part sources larger than this are cut into
 *   parts of our own (multipart sources keep their own layout).
 * - retries 4: five attempts per part, with backoff up to 20 s between them.
 * - stallTimeout 30 s: across the border a healthy connection may pause for seconds (150-300 ms
 *   round trips, loss and retransmission); half a minute without a byte is a dead connection.
 */
export const DEFAULTS = {
  concurrency: 16,
  adaptiveMax: 64,
  partSize: 8 * 1024 * 1024,
  retries: 4,
  stallTimeout: 30,
} as const;

/** The options every command takes, as commander hands them over (strings, unvalidated). */
export interface RawOptions {
  sourceProfile?: string;
  targetProfile?: string;
  sourceRegion?: string;
  targetRegion?: string;
  sourceEndpoint?: string;
  targetEndpoint?: string;
  targetSecret?: string;
  concurrency?: string;
  partSize?: string;
  retries?: string;
  stallTimeout?: string;
  storageClass?: string;
  sse?: string;
  sseKmsKeyId?: string;
  json?: boolean;
  quiet?: boolean;
  delete?: boolean;
  dryRun?: boolean;
}

export interface CliConfig extends SidesSettings {
  engine: EngineOptions;
  json: boolean;
  quiet: boolean;
}

function integer(text: string | undefined, name: string, min: number, max: number, fallback: number): number {
  return text === undefined ? fallback : parseIntegerFlag(text, name, min, max);
}

export function region(text: string | undefined, name: string): string | undefined {
  if (text !== undefined && !isRegion(text)) {
    throw new UsageError(`${name} "${text}" is not an AWS region name (examples: cn-north-1, us-east-1)`);
  }
  return text;
}

function endpoint(text: string | undefined, name: string): string | undefined {
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${name} "${text}" is not a URL (example: http://127.0.0.1:9000)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`${name} "${text}" must start with http:// or https://`);
  }
  return text;
}

function encryption(raw: RawOptions): TargetEncryption {
  if (raw.sse === undefined && raw.sseKmsKeyId !== undefined) {
    throw new UsageError("--sse-kms-key-id needs --sse aws:kms");
  }
  const parsed = parseEncryption(raw.sse, raw.sseKmsKeyId);
  if (!parsed) throw new UsageError(`--sse "${raw.sse}" must be AES256 or aws:kms`);
  return parsed;
}

function storageClass(text: string | undefined): StorageClass | undefined {
  if (text === undefined) return undefined;
  const parsed = parseStorageClass(text.toUpperCase());
  if (!parsed) throw new UsageError(`--storage-class "${text}" must be one of ${STORAGE_CLASSES.join(", ")}`);
  return parsed;
}

export function parseCliConfig(raw: RawOptions): CliConfig {
  const partSize = raw.partSize === undefined ? DEFAULTS.partSize : parseSize(raw.partSize, "--part-size");
  if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
    throw new UsageError(`--part-size "${raw.partSize}" must be between 5MiB and 5GiB (S3's part limits)`);
  }
  const targetStorageClass = storageClass(raw.storageClass);
  if (raw.targetSecret !== undefined && raw.targetProfile !== undefined) {
    throw new UsageError("--target-secret and --target-profile both give target credentials: choose one");
  }
  return {
    source: {
      profile: raw.sourceProfile,
      region: region(raw.sourceRegion, "--source-region"),
      endpoint: endpoint(raw.sourceEndpoint, "--source-endpoint"),
    },
    target: {
      profile: raw.targetProfile,
      region: region(raw.targetRegion, "--target-region"),
      endpoint: endpoint(raw.targetEndpoint, "--target-endpoint"),
    },
    targetSecret: raw.targetSecret,
    engine: {
      concurrency: integer(raw.concurrency, "--concurrency", 1, 256, DEFAULTS.concurrency),
      adaptiveMax: raw.concurrency === undefined ? DEFAULTS.adaptiveMax : undefined,
      partSize,
      attempts: integer(raw.retries, "--retries", 0, 20, DEFAULTS.retries) + 1,
      stallTimeoutMs: integer(raw.stallTimeout, "--stall-timeout", 1, 3600, DEFAULTS.stallTimeout) * 1000,
      storageClass: targetStorageClass,
      encryption: encryption(raw),
    },
    json: raw.json ?? false,
    quiet: raw.quiet ?? false,
  };
}
