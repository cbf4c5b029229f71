// The names the worker's logs and metrics carry, which the stack's dashboard and alarms read.
// A module of constants only: infra/ imports it, and importing telemetry.ts would create a Logger.

export const SERVICE_NAME = "s3-cross-partition-sync";

/** CloudWatch namespace of the embedded-metric-format metrics; their one dimension is `service`. */
export const METRIC_NAMESPACE = "S3CrossPartitionSync";

export const METRIC = {
  objects: "ObjectsReplicated",
  bytes: "BytesReplicated",
  failures: "ReplicationFailures",
  lag: "ReplicationLag",
  /** The target keys could not be read (secret missing, empty or malformed): nothing can sync. */
  configurationErrors: "ConfigurationErrors",
} as const;
