// A real AWS peer for SQS, SNS, Secrets Manager and EventBridge in integration tests: a moto
// server (`python -m moto.server` of the virtualenv `node scripts/install-moto.mjs` makes in
// .cache/moto-venv from the pin in ./moto-requirements.txt; `npm test`'s pretest runs it).
//
// moto accepts any credentials and keeps its resources per account and region: everything here
// uses MOTO_REGION, so resources made by these helpers are visible to code configured with env().
// moto keeps all state in memory; stop() discards it, reset() clears it without a restart.
//
// Observed with moto 5.2.1 (see moto.spec.ts):
// - SQS redrive: a message received maxReceiveCount times without being deleted moves to the
//   dead-letter queue on the next ReceiveMessage on the source queue (moto moves it lazily, during
//   that receive; the receive itself does not return it).
// - SNS -> SQS (RawMessageDelivery false): the SQS body is the SNS envelope, see SnsEnvelope.
import { existsSync } from "node:fs";
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  type QueueAttributeName,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { motoPythonPath, motoRequirement } from "../../scripts/moto-path.mjs";
import { type ServerProcess, startServerProcess } from "./server-process.js";

export const MOTO_REGION = "us-east-1";
/** moto's default account: the account part of every ARN it returns. */
export const MOTO_ACCOUNT_ID = "123456789012";

export interface MotoServer {
  /** e.g. `http://127.0.0.1:40123` */
  endpoint: string;
  /** Always MOTO_REGION ("us-east-1"). */
  region: string;
  /**
   * Environment for code under test (a child process, or vi.stubEnv in-process): the SDK's
   * service-specific endpoint variables for SQS, SNS, Secrets Manager and EventBridge pointing at
   * this server, AWS_REGION/AWS_DEFAULT_REGION and dummy static credentials. S3 is left alone
   * (it is MinIO's job). Merge it over process.env; it does not remove an AWS_PROFILE or
   * AWS_SESSION_TOKEN already there.
   */
  env(): Record<string, string>;
  /** Deletes every resource in the server (POST /moto-api/reset). */
  reset(): Promise<void>;
  /** SIGTERM, SIGKILL after 5 s, then removes the temp directory. Idempotent. */
  stop(): Promise<void>;
}

function notInstalled(detail: string): Error {
  return new Error(
    `moto server (${motoRequirement()}) is not available (${detail}): run 'node scripts/install-moto.mjs' ` +
      "(npm test does it in pretest; it needs python3 with its venv module)",
  );
}

/** Starts a moto server on 127.0.0.1 with a free port; its working directory is a temp dir. */
export async function startMoto(): Promise<MotoServer> {
  const python = motoPythonPath();
  if (!existsSync(python)) throw notInstalled(`no virtualenv python at ${python}`);
  let server: ServerProcess;
  try {
    server = await startServerProcess({
      name: "moto",
      command: python,
      args: ({ port }) => ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)],
      // Unbuffered, so a start failure's output tail is complete.
      env: { ...process.env, PYTHONUNBUFFERED: "1" },
      readyPath: "/moto-api/",
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const missingModule = /No module named '?([\w.]+)/.exec(message);
    if (missingModule) throw notInstalled(`no module named ${missingModule[1]}`);
    if (/could not start moto: .*ENOENT/.test(message)) throw notInstalled(`${python} does not run`);
    throw err;
  }
  const endpoint = server.endpoint;
  return {
    endpoint,
    region: MOTO_REGION,
    env: () => ({
      // @smithy/core reads AWS_ENDPOINT_URL_<serviceId, upper-cased, spaces as "_">, then AWS_ENDPOINT_URL.
      AWS_ENDPOINT_URL_SQS: endpoint,
      AWS_ENDPOINT_URL_SNS: endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint,
      AWS_REGION: MOTO_REGION,
      AWS_DEFAULT_REGION: MOTO_REGION,
      AWS_ACCESS_KEY_ID: "moto-testing",
      AWS_SECRET_ACCESS_KEY: "moto-testing",
    }),
    reset: async () => {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`moto reset answered HTTP ${res.status}`);
    },
    stop: server.stop,
  };
}

function clientConfig(moto: MotoServer) {
  return {
    endpoint: moto.endpoint,
    region: moto.region,
    credentials: { accessKeyId: "moto-testing", secretAccessKey: "moto-testing" },
  };
}

export function sqsClientFor(moto: MotoServer): SQSClient {
  return new SQSClient(clientConfig(moto));
}

export function snsClientFor(moto: MotoServer): SNSClient {
  return new SNSClient(clientConfig(moto));
}

export function secretsManagerClientFor(moto: MotoServer): SecretsManagerClient {
  return new SecretsManagerClient(clientConfig(moto));
}

/** Runs fn with a fresh client and destroys the client afterwards. */
async function using<C extends { destroy(): void }, T>(client: C, fn: (client: C) => Promise<T>): Promise<T> {
  try {
    return await fn(client);
  } finally {
    client.destroy();
  }
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
  );
  const arn = out.Attributes?.QueueArn;
  if (!arn) throw new Error(`no QueueArn for ${queueUrl}`);
  return arn;
}

export interface QueueWithDlq {
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  dlqArn: string;
}

/**
 * Creates the dead-letter queue `<name>-dlq` (`<base>-dlq.fifo` for a FIFO name), then `name` with
 * a RedrivePolicy to it: a message received maxReceiveCount times without being deleted moves to
 * the DLQ. `attributes` are extra attributes of the main queue, e.g. `{ VisibilityTimeout: "0" }`.
 */
export async function createQueueWithDlq(
  moto: MotoServer,
  name: string,
  maxReceiveCount: number,
  attributes: Partial<Record<QueueAttributeName, string>> = {},
): Promise<QueueWithDlq> {
  const fifo = name.endsWith(".fifo");
  const dlqName = fifo ? `${name.slice(0, -".fifo".length)}-dlq.fifo` : `${name}-dlq`;
  const fifoAttributes: Partial<Record<QueueAttributeName, string>> = fifo ? { FifoQueue: "true" } : {};
  return using(sqsClientFor(moto), async (sqs) => {
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: dlqName, Attributes: fifoAttributes }));
    const dlqUrl = dlq.QueueUrl as string;
    const dlqArn = await queueArn(sqs, dlqUrl);
    const main = await sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: {
          ...fifoAttributes,
          ...attributes,
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
        },
      }),
    );
    const queueUrl = main.QueueUrl as string;
    return { queueUrl, queueArn: await queueArn(sqs, queueUrl), dlqUrl, dlqArn };
  });
}

/**
 * What an SQS queue subscribed to an SNS topic receives as message body (RawMessageDelivery
 * false): JSON of this shape. `Subject` is present only if the Publish had one;
 * `MessageAttributes` only if it had attributes.
 */
export interface SnsEnvelope {
  Type: "Notification";
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  /** The published message, as the publisher sent it (a string; often JSON itself). */
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  UnsubscribeURL: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

/** Parses an SQS message body that SNS delivered (see SnsEnvelope). */
export function parseSnsEnvelope(body: string | undefined): SnsEnvelope {
  const envelope = JSON.parse(body ?? "") as SnsEnvelope;
  if (envelope.Type !== "Notification" || typeof envelope.Message !== "string") {
    throw new Error(`not an SNS notification envelope: ${body}`);
  }
  return envelope;
}

/**
 * Subscribes the queue to the topic with RawMessageDelivery false, so each Publish arrives in the
 * queue as an SnsEnvelope JSON body (read it with drainQueue + parseSnsEnvelope). moto does not
 * check queue policies, so none is set. Returns the SubscriptionArn.
 */
export async function subscribeQueueToTopic(
  moto: MotoServer,
  topicArn: string,
  queueUrl: string,
): Promise<string> {
  const arn = await using(sqsClientFor(moto), (sqs) => queueArn(sqs, queueUrl));
  return using(snsClientFor(moto), async (sns) => {
    const out = await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: "sqs",
        Endpoint: arn,
        Attributes: { RawMessageDelivery: "false" },
        ReturnSubscriptionArn: true,
      }),
    );
    return out.SubscriptionArn as string;
  });
}

export interface PutSecretResult {
  arn: string;
  versionId: string;
}

/**
 * Creates the secret, or adds a new current version if it exists. An object is stored as its
 * JSON; a string is stored as it is.
 */
export async function putSecret(
  moto: MotoServer,
  name: string,
  value: object | string,
): Promise<PutSecretResult> {
  const SecretString = typeof value === "string" ? value : JSON.stringify(value);
  return using(secretsManagerClientFor(moto), async (sm) => {
    try {
      const out = await sm.send(new CreateSecretCommand({ Name: name, SecretString }));
      return { arn: out.ARN as string, versionId: out.VersionId as string };
    } catch (err) {
      if (!(err instanceof ResourceExistsException)) throw err;
      const out = await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString }));
      return { arn: out.ARN as string, versionId: out.VersionId as string };
    }
  });
}

export interface DrainOptions {
  /**
   * Long-poll time of each ReceiveMessage (0..20). Draining ends at the first receive that returns
   * nothing, so this is also how long it waits for messages still on their way. Default 1.
   */
  waitSeconds?: number;
}

/**
 * Receives and deletes every message available in the queue, until a receive comes back empty.
 * Returns them in the order received, with all message attributes and system attributes.
 */
export async function drainQueue(
  moto: MotoServer,
  queueUrl: string,
  { waitSeconds = 1 }: DrainOptions = {},
): Promise<Message[]> {
  return using(sqsClientFor(moto), async (sqs) => {
    const drained: Message[] = [];
    for (;;) {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: waitSeconds,
          MessageAttributeNames: ["All"],
          MessageSystemAttributeNames: ["All"],
        }),
      );
      const messages = out.Messages ?? [];
      if (messages.length === 0) return drained;
      drained.push(...messages);
      const deleted = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      if (deleted.Failed?.length)
        throw new Error(`could not delete drained messages: ${JSON.stringify(deleted.Failed)}`);
    }
  });
}
