"use strict";
// CloudFormation custom resource (inline code of the stack's EventBridgeNotificationFunction):
// turns on Amazon EventBridge delivery for an existing S3 bucket while keeping the bucket's other
// event notifications (SNS topics, SQS queues, Lambda functions) exactly as they are.
// PutBucketNotificationConfiguration replaces the whole configuration, so every change reads the
// current configuration first and writes it back with only EventBridgeConfiguration changed.
//
// Properties: BucketName, ExpectedBucketOwner (the stack's account; S3 refuses a bucket owned by
// another account instead of touching it).
//
// The physical resource ID records whether this resource turned delivery on:
//   "<bucket>|enabled-by-stack"  it was off; Delete turns it off again.
//   "<bucket>|was-enabled"       it was already on (someone else relies on it); Delete leaves it on.
// Bucket names cannot contain "|". An update to another bucket returns a new ID, after which
// CloudFormation sends Delete for the old one.
//
// Runs on Lambda's nodejs22.x runtime with the AWS SDK for JavaScript v3 that the runtime ships.

const http = require("node:http");
const https = require("node:https");

const ENABLED_BY_STACK = "enabled-by-stack";
const WAS_ENABLED = "was-enabled";
const CONFIGURATION_KEYS = [
  "TopicConfigurations",
  "QueueConfigurations",
  "LambdaFunctionConfigurations",
  "EventBridgeConfiguration",
];

function physicalId(bucket, state) {
  return `${bucket}|${state}`;
}

function parsePhysicalId(id) {
  const at = typeof id === "string" ? id.lastIndexOf("|") : -1;
  if (at <= 0) return undefined;
  const state = id.slice(at + 1);
  if (state !== ENABLED_BY_STACK && state !== WAS_ENABLED) return undefined;
  return { bucket: id.slice(0, at), state };
}

/** The parts of a GetBucketNotificationConfiguration answer that PutBucketNotificationConfiguration takes. */
function configurationOf(output) {
  const configuration = {};
  for (const key of CONFIGURATION_KEYS) {
    if (output[key] !== undefined && output[key] !== null) configuration[key] = output[key];
  }
  return configuration;
}

/** Reads and writes a bucket's notification configuration through an S3 client (SDK v3). */
function s3Notifications(client, sdk) {
  return {
    async get(bucket, owner) {
      const output = await client.send(
        new sdk.GetBucketNotificationConfigurationCommand({ Bucket: bucket, ExpectedBucketOwner: owner }),
      );
      return configurationOf(output);
    },
    async put(bucket, owner, configuration) {
      await client.send(
        new sdk.PutBucketNotificationConfigurationCommand({
          Bucket: bucket,
          ExpectedBucketOwner: owner,
          NotificationConfiguration: configuration,
          // The destinations written back are the bucket's own, not this stack's: do not let a
          // broken one of them (S3 tests each with a message) block turning EventBridge on.
          SkipDestinationValidation: true,
        }),
      );
    },
  };
}

/** Turns EventBridge delivery on; tells whether it was already on. */
async function enable(notifications, bucket, owner) {
  const current = await notifications.get(bucket, owner);
  if (current.EventBridgeConfiguration) return WAS_ENABLED;
  await notifications.put(bucket, owner, { ...current, EventBridgeConfiguration: {} });
  return ENABLED_BY_STACK;
}

/** Turns EventBridge delivery off, keeping every other notification. */
async function disable(notifications, bucket, owner) {
  const current = await notifications.get(bucket, owner);
  if (!current.EventBridgeConfiguration) return;
  const { EventBridgeConfiguration: _removed, ...rest } = current;
  await notifications.put(bucket, owner, rest);
}

function errorName(error) {
  return (error && (error.name || error.Code)) || "Error";
}

function describe(error, bucket) {
  const name = errorName(error);
  const status = error?.$metadata?.httpStatusCode;
  const hint =
    name === "NoSuchBucket"
      ? `bucket ${bucket} does not exist`
      : name === "PermanentRedirect" || status === 301
        ? `bucket ${bucket} is in another region: deploy the stack in the bucket's region (SourceRegion)`
        : name === "AccessDenied" || status === 403
          ? `access denied to bucket ${bucket}: it must belong to this stack's account`
          : undefined;
  const message = String(error?.message ?? error).slice(0, 300);
  return hint ? `${hint} (${name}: ${message})` : `${name}: ${message}`;
}

/**
 * Applies one CloudFormation request; returns the physical resource ID and the data to report.
 * Throws (with a message for the stack's events) when the request failed.
 */
async function apply(event, notifications, log) {
  const properties = event.ResourceProperties ?? {};
  const bucket = properties.BucketName;
  const owner = properties.ExpectedBucketOwner || undefined;
  if (event.RequestType === "Delete") {
    const previous = parsePhysicalId(event.PhysicalResourceId);
    if (previous?.state === ENABLED_BY_STACK) {
      try {
        await disable(notifications, previous.bucket, owner);
        log("disabled", previous.bucket);
      } catch (error) {
        // Never block a stack deletion or rollback on this: the bucket may be gone, or (after the
        // stack moved to another bucket) this function may no longer be allowed to touch it.
        log("left enabled", previous.bucket, describe(error, previous.bucket));
      }
    }
    return { physicalResourceId: event.PhysicalResourceId, data: {} };
  }
  if (typeof bucket !== "string" || bucket === "") throw new Error("property BucketName is required");
  let state;
  try {
    state = await enable(notifications, bucket, owner);
  } catch (error) {
    throw new Error(describe(error, bucket));
  }
  log(state === ENABLED_BY_STACK ? "enabled" : "already enabled", bucket);
  const previous = event.RequestType === "Update" ? parsePhysicalId(event.PhysicalResourceId) : undefined;
  // Same bucket: keep the record of who turned delivery on first, unless this request just did.
  const kept = previous && previous.bucket === bucket && state === WAS_ENABLED ? previous.state : state;
  return {
    physicalResourceId: physicalId(bucket, kept),
    data: { EventBridgeEnabledByStack: String(kept === ENABLED_BY_STACK) },
  };
}

/** Sends the outcome to CloudFormation's pre-signed response URL. */
function respond(event, outcome) {
  const body = JSON.stringify({
    Status: outcome.status,
    Reason: outcome.reason.slice(0, 1000),
    PhysicalResourceId: outcome.physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    NoEcho: false,
    Data: outcome.data,
  });
  const url = new URL(event.ResponseURL);
  const transport = url.protocol === "http:" ? http : https;
  return new Promise((resolve, reject) => {
    const request = transport.request(
      url,
      { method: "PUT", headers: { "content-type": "", "content-length": Buffer.byteLength(body) } },
      (response) => {
        response.resume();
        response.on("end", () =>
          response.statusCode >= 200 && response.statusCode < 300
            ? resolve()
            : reject(new Error(`CloudFormation response URL answered ${response.statusCode}`)),
        );
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

/** The Lambda handler for a given notification store; answers every request exactly once. */
function createHandler(notifications) {
  return async (event, context) => {
    const log = (...parts) =>
      console.log(JSON.stringify({ requestType: event.RequestType, message: parts.join(" ") }));
    const fallbackId =
      event.PhysicalResourceId || `${event.ResourceProperties?.BucketName ?? "unknown"}|failed`;
    let answered = false;
    const answer = async (outcome) => {
      if (answered) return;
      answered = true;
      await respond(event, outcome);
    };
    const remaining = context?.getRemainingTimeInMillis?.() ?? 120_000;
    const timer = setTimeout(
      () =>
        answer({
          status: "FAILED",
          reason: "timed out changing the bucket's notification configuration",
          physicalResourceId: fallbackId,
          data: {},
        }).catch((error) => log("could not answer:", String(error))),
      Math.max(1_000, remaining - 10_000),
    );
    try {
      const { physicalResourceId, data } = await apply(event, notifications, log);
      await answer({ status: "SUCCESS", reason: "OK", physicalResourceId, data });
    } catch (error) {
      log("failed:", String(error?.message ?? error));
      await answer({
        status: "FAILED",
        reason: String(error?.message ?? error),
        physicalResourceId: fallbackId,
        data: {},
      });
    } finally {
      clearTimeout(timer);
    }
  };
}

let defaultHandler;

exports.handler = (event, context) => {
  if (!defaultHandler) {
    const sdk = require("@aws-sdk/client-s3");
    defaultHandler = createHandler(s3Notifications(new sdk.S3Client({ maxAttempts: 5 }), sdk));
  }
  return defaultHandler(event, context);
};

exports.createHandler = createHandler;
exports.s3Notifications = s3Notifications;
exports.parsePhysicalId = parsePhysicalId;
