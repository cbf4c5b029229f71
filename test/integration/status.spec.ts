// `s3xsync status` and `s3xsync redrive` against moto: a stack whose outputs name the queues (as
// infra/outputs.ts does), the queues with messages in them, the worker's metrics and the stack's
// alarms in CloudWatch. moto has no SQS message move tasks, so redrive takes its
// receive/send/delete path here (the move-task path: src/operate/redrive.spec.ts).
import { CloudFormationClient, CreateStackCommand } from "@aws-sdk/client-cloudformation";
import {
  CloudWatchClient,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
  type StateValue,
} from "@aws-sdk/client-cloudwatch";
import { GetQueueAttributesCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { eventBridgeEvent } from "../support/lambda.js";
import {
  createQueueWithDlq,
  drainQueue,
  type MotoServer,
  type QueueWithDlq,
  sqsClientFor,
  startMoto,
} from "../support/moto.js";

let moto: MotoServer;
let sqs: SQSClient;
let cloudWatch: CloudWatchClient;
let cloudFormation: CloudFormationClient;
let env: Record<string, string>;

beforeAll(async () => {
  moto = await startMoto();
  const config = {
    endpoint: moto.endpoint,
    region: moto.region,
    credentials: { accessKeyId: "moto-testing", secretAccessKey: "moto-testing" },
  };
  sqs = sqsClientFor(moto);
  cloudWatch = new CloudWatchClient(config);
  cloudFormation = new CloudFormationClient(config);
  env = {
    ...moto.env(),
    AWS_ENDPOINT_URL_CLOUDWATCH: moto.endpoint,
    AWS_ENDPOINT_URL_CLOUDFORMATION: moto.endpoint,
  };
});

afterAll(async () => {
  for (const client of [sqs, cloudWatch, cloudFormation]) client?.destroy();
  await moto?.stop();
});

let serial = 0;

/** A stack with the real stack's queue outputs; the queues are made through SQS so their URLs reach moto. */
async function deployStack(): Promise<{ stackName: string; queues: QueueWithDlq }> {
  serial++;
  const stackName = `sync${serial}`;
  const queues = await createQueueWithDlq(moto, `${stackName}-queue`, 5);
  const template = {
    Resources: { Placeholder: { Type: "AWS::SNS::Topic" } },
    Outputs: {
      QueueUrl: { Value: queues.queueUrl },
      DeadLetterQueueUrl: { Value: queues.dlqUrl },
      DeadLetterQueueArn: { Value: queues.dlqArn },
    },
  };
  await cloudFormation.send(
    new CreateStackCommand({ StackName: stackName, TemplateBody: JSON.stringify(template) }),
  );
  return { stackName, queues };
}

async function send(queueUrl: string, body: unknown) {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
}

async function alarm(name: string, queueName: string, state: StateValue) {
  await cloudWatch.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Dimensions: [{ Name: "QueueName", Value: queueName }],
      Statistic: "Maximum",
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
    }),
  );
  await cloudWatch.send(
    new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: `test: ${state}` }),
  );
}

/**
 * Data points a few seconds old: moto 5.2 truncates GetMetricData's EndTime to the second, so a
 * point put in the second the CLI asks in was left out (the test failed when both fell in one).
 */
const justNow = () => new Date(Date.now() - 5_000);

async function putWorkerMetric(name: string, value: number, timestamp = justNow()) {
  await cloudWatch.send(
    new PutMetricDataCommand({
      Namespace: "S3CrossPartitionSync",
      MetricData: [
        {
          MetricName: name,
          Dimensions: [{ Name: "service", Value: "s3-cross-partition-sync" }],
          Value: value,
          Timestamp: timestamp,
        },
      ],
    }),
  );
}

async function visible(queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages);
}

const queueName = (url: string) => url.split("/").at(-1) ?? "";

describe("s3xsync status", () => {
  let stackName: string;
  let queues: QueueWithDlq;

  beforeAll(async () => {
    ({ stackName, queues } = await deployStack());
    for (const key of ["a.txt", "b.txt", "c.txt"]) await send(queues.queueUrl, eventBridgeEvent("src", key));
    await send(queues.dlqUrl, eventBridgeEvent("src", "photos/2026/α b.jpg"));
    await send(queues.dlqUrl, "not an event");
    await putWorkerMetric("ObjectsReplicated", 3);
    await putWorkerMetric("ObjectsReplicated", 2);
    await putWorkerMetric("ObjectsReplicated", 100, new Date(Date.now() - 2 * 3_600_000));
    await putWorkerMetric("BytesReplicated", 5 * 1024 * 1024);
    await putWorkerMetric("ReplicationFailures", 1);
    await cloudWatch.send(
      new PutMetricDataCommand({
        Namespace: "AWS/SQS",
        MetricData: [
          {
            MetricName: "ApproximateAgeOfOldestMessage",
            Dimensions: [{ Name: "QueueName", Value: queueName(queues.queueUrl) }],
            Value: 252,
            Timestamp: justNow(),
          },
        ],
      }),
    );
    await alarm(`${stackName}-dead-letter-queue-not-empty`, queueName(queues.dlqUrl), "ALARM");
    await alarm(`${stackName}-function-errors`, "elsewhere", "OK");
    await alarm("another-stack-dead-letter-queue-not-empty", "elsewhere", "ALARM");
  });

  it("--json: counts, oldest age, the stack's alarms in ALARM, the last hour, dead letters unconsumed", async () => {
    const run = await runCli(["status", "--stack", stackName, "--json"], env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(1);
    const status = JSON.parse(run.stdout);
    expect(status).toMatchObject({
      stack: stackName,
      region: "us-east-1",
      queue: { url: queues.queueUrl, waiting: 3, inFlight: 0, oldestMessageAgeSeconds: 252 },
      deadLetterQueue: { url: queues.dlqUrl, messages: 2 },
      lastHour: { objects: 5, bytes: 5 * 1024 * 1024, failures: 1 },
    });
    expect(status.alarms.map((a: { name: string }) => a.name)).toEqual([
      `${stackName}-dead-letter-queue-not-empty`,
    ]);
    expect(status.deadLetters).toHaveLength(2);
    const [readable] = status.deadLetters.filter((d: { keys: string[] }) => d.keys.length > 0);
    expect(readable.keys).toEqual(["photos/2026/α b.jpg"]);
    expect(readable.receiveCount).toBeGreaterThanOrEqual(1);
    const [unreadable] = status.deadLetters.filter((d: { error?: string }) => d.error);
    expect(unreadable.error).toMatch(/not JSON/);
    // Peeked, not consumed: both are still there and visible at once.
    expect(await visible(queues.dlqUrl)).toBe(2);
  });

  it("prints one screen for people", async () => {
    const run = await runCli(["status", "--stack", stackName], env);
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines.length).toBeLessThan(25);
    expect(run.stdout).toContain(`stack ${stackName} in us-east-1`);
    expect(run.stdout).toMatch(/3 waiting, 0 in flight; oldest waiting: 4 min/);
    expect(run.stdout).toMatch(/dead letters +2/);
    expect(run.stdout).toContain(`${stackName}-dead-letter-queue-not-empty`);
    expect(run.stdout).not.toContain("another-stack");
    expect(run.stdout).toMatch(/last hour +5 objects, 5\.0 MiB copied, 1 failed/);
    expect(run.stdout).toContain("photos/2026/α b.jpg");
  });

  it("--queue-url: finds the dead-letter queue through the RedrivePolicy and the alarms on the queues", async () => {
    const run = await runCli(["status", "--queue-url", queues.queueUrl, "--json"], env);
    expect(run.stderr).toBe("");
    const status = JSON.parse(run.stdout);
    expect(status).toMatchObject({ stack: null, deadLetterQueue: { url: queues.dlqUrl, messages: 2 } });
    expect(status.alarms.map((a: { name: string }) => a.name)).toEqual([
      `${stackName}-dead-letter-queue-not-empty`,
    ]);
  });

  it("exit 0 for an idle, healthy pipeline", async () => {
    const idle = await deployStack();
    const run = await runCli(["status", "--stack", idle.stackName, "--json"], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      queue: { waiting: 0, oldestMessageAgeSeconds: 0 },
      deadLetterQueue: { messages: 0 },
      alarms: [],
      deadLetters: [],
    });
  });
});

describe("s3xsync status and redrive: errors", () => {
  it.each([
    [
      ["status", "--stack", "nope"],
      /^s3xsync: stack "nope" not found in us-east-1 \(wrong --region or --profile\?\)\n$/,
    ],
    [["redrive", "--stack", "nope"], /^s3xsync: stack "nope" not found in us-east-1/],
    [["status"], /^s3xsync: status needs one of --stack NAME or --queue-url URL\n$/],
    [
      ["status", "--stack", "a", "--queue-url", "http://127.0.0.1:1/q"],
      /needs one of --stack NAME or --queue-url/,
    ],
    [["status", "--stack", "9lives"], /--stack "9lives" is not a stack name/],
    [["status", "--stack", "a", "--region", "mars-1"], /--region "mars-1" is not an AWS region name/],
  ])("%j: one line, exit 2", async (args, message) => {
    const run = await runCli(args, env);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  it("a queue that does not exist: one line naming it, exit 2", async () => {
    const url = `${moto.endpoint}/123456789012/no-such-queue`;
    const run = await runCli(["status", "--queue-url", url], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `s3xsync: queue ${url} (sqs:GetQueueAttributes): QueueDoesNotExist: The specified queue does not exist. (HTTP 400)\n`,
    );
  });

  it("no region anywhere: one line asking for --region, exit 2", async () => {
    const { AWS_REGION: _region, AWS_DEFAULT_REGION: _default, ...noRegion } = env;
    // No shared config either: a region in ~/.aws/config would answer.
    const run = await runCli(["status", "--stack", "any"], { ...noRegion, AWS_CONFIG_FILE: "/nonexistent" });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      "s3xsync: no region: give --region (e.g. cn-north-1, us-east-1) or set AWS_REGION\n",
    );
  });

  it("CloudFormation unreachable: one line naming the stack and the call, exit 2", async () => {
    const run = await runCli(["status", "--stack", "any"], {
      ...env,
      AWS_ENDPOINT_URL_CLOUDFORMATION: "http://127.0.0.1:9",
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      's3xsync: stack "any" (cloudformation:DescribeStacks): endpoint unreachable (connection refused)\n',
    );
  });
});

describe("s3xsync redrive", () => {
  it("moves every dead letter back to the work queue, bodies unchanged, and says how many", async () => {
    const { stackName, queues } = await deployStack();
    const bodies = Array.from({ length: 13 }, (_, i) => JSON.stringify(eventBridgeEvent("src", `k/${i}`)));
    for (const body of bodies) await send(queues.dlqUrl, body);
    const run = await runCli(["redrive", "--stack", stackName, "--json"], env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      method: "receive-send-delete",
      moved: 13,
      failed: 0,
      running: false,
    });
    expect(await visible(queues.dlqUrl)).toBe(0);
    const moved = await drainQueue(moto, queues.queueUrl, { waitSeconds: 0 });
    expect(moved.map((m) => m.Body).sort()).toEqual([...bodies].sort());
  });

  it("text: how many moved, from which queue to which", async () => {
    const { queues } = await deployStack();
    await send(queues.dlqUrl, eventBridgeEvent("src", "one"));
    const run = await runCli(["redrive", "--queue-url", queues.queueUrl], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `moved 1 message (${queueName(queues.dlqUrl)} -> ${queueName(queues.queueUrl)})\n`,
    );
  });
});
