import { parseEncryption, parseStorageClass } from "../aws/object-settings.js";
import { isRegion } from "../aws/partition.js";
import {
  type EngineOptions,
  STORAGE_CLASSES,
  type StorageClass,
  type TargetEncryption,
} from "../engine/index.js";
import { decimalInRange } from "../user-facing/decimal-integer.js";
import type { WorkerSettings } from "../worker/worker-settings.js";
import { SIZE_CATEGORIES, type SizeCategory } from "./size-categories.js";

export interface HandlerConfig extends WorkerSettings {
  secretName: string;
  retryAttempts: number;
  sizeCategory: SizeCategory;
  sourceEndpoint?: string;
  targetEndpoint?: string;
  engine: EngineOptions;
}

/** A missing or malformed environment variable; the message names it. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`environment variable ${name} is required`);
  return value;
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function region(env: Env, name: string): string {
  const value = required(env, name);
  if (!isRegion(value)) throw new ConfigError(`environment variable ${name}="${value}" is not an AWS region`);
  return value;
}

function flag(env: Env, name: string): boolean {
  const value = optional(env, name)?.toLowerCase() ?? "false";
  if (value !== "true" && value !== "false") {
    throw new ConfigError(`environment variable ${name}="${env[name]}" must be true or false`);
  }
  return value === "true";
}

function wholeNumber(env: Env, name: string, min: number, max: number): number | undefined {
  const text = optional(env, name);
  if (text === undefined) return undefined;
  const value = decimalInRange(text, min, max);
  if (value === undefined) {
    throw new ConfigError(
      `environment variable ${name}="${text}" must be a whole number from ${min} to ${max}`,
    );
  }
  return value;
}

function url(env: Env, name: string): string | undefined {
  const value = optional(env, name);
  if (value !== undefined && !/^https?:\/\/[^\s]+$/.test(value)) {
    throw new ConfigError(`environment variable ${name}="${value}" is not an http(s) URL`);
  }
  return value;
}

function encryption(env: Env): TargetEncryption {
  const sse = optional(env, "TARGET_SSE");
  const parsed = parseEncryption(sse, optional(env, "TARGET_SSE_KMS_KEY_ID"));
  if (!parsed) {
    throw new ConfigError(`environment variable TARGET_SSE="${sse}" must be none, AES256 or aws:kms`);
  }
  return parsed;
}

function storageClass(env: Env): StorageClass | undefined {
  const text = optional(env, "TARGET_STORAGE_CLASS");
  if (text === undefined) return undefined;
  const parsed = parseStorageClass(text);
  if (!parsed) {
    throw new ConfigError(
      `environment variable TARGET_STORAGE_CLASS="${text}" must be one of ${STORAGE_CLASSES.join(", ")}`,
    );
  }
  return parsed;
}

const PART_SIZE = 8 * 1024 * 1024;
/** As the CLI's default; each transfer's is capped by the time left before the continuation margin. */
const STALL_TIMEOUT_MS = 30_000;

/** Reads and checks the function's environment once per cold start. */
export function loadHandlerConfig(env: Env = process.env): HandlerConfig {
  const retryAttempts = wholeNumber(env, "RETRY_ATTEMPTS", 2, 10) ?? 3;
  const sizeCategory = (optional(env, "MAX_FILE_SIZE_CATEGORY") ?? "Under200MB") as SizeCategory;
  // Own keys only: `in` also finds what every object inherits (toString, __proto__).
  if (!Object.hasOwn(SIZE_CATEGORIES, sizeCategory)) {
    throw new ConfigError(
      `environment variable MAX_FILE_SIZE_CATEGORY="${sizeCategory}" must be one of ${Object.keys(SIZE_CATEGORIES).join(", ")}`,
    );
  }
  // SQS allows a maxReceiveCount of 1 to 1000.
  const maxReceiveCount = wholeNumber(env, "MAX_RECEIVE_COUNT", 1, 1000);
  const notify = flag(env, "ENABLE_SNS_NOTIFICATION")
    ? { topicArn: required(env, "SNS_TOPIC_ARN"), ...(maxReceiveCount ? { maxReceiveCount } : {}) }
    : undefined;
  const targetStorageClass = storageClass(env);
  const { concurrency, adaptiveMax } = SIZE_CATEGORIES[sizeCategory];
  return {
    sourceRegion: region(env, "SOURCE_REGION"),
    targetRegion: region(env, "TARGET_REGION"),
    sourceBucket: required(env, "SOURCE_BUCKET"),
    targetBucket: required(env, "TARGET_BUCKET"),
    secretName: required(env, "SECRETS_MANAGER_SECRET_NAME"),
    prefixFilter: optional(env, "S3_PREFIX_FILTER") ?? "",
    retryAttempts,
    notify,
    sizeCategory,
    sourceEndpoint: url(env, "SOURCE_ENDPOINT"),
    targetEndpoint: url(env, "TARGET_ENDPOINT"),
    syncDeletes: flag(env, "SYNC_DELETES"),
    queueUrl: url(env, "QUEUE_URL"),
    concurrency,
    engine: {
      concurrency,
      adaptiveMax,
      partSize: PART_SIZE,
      attempts: retryAttempts,
      stallTimeoutMs: STALL_TIMEOUT_MS,
      storageClass: targetStorageClass,
      encryption: encryption(env),
    },
  };
}
