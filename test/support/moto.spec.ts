import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { CreateTopicCommand, ListTopicsCommand, PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  createQueueWithDlq,
  drainQueue,
  type MotoServer,
  parseSnsEnvelope,
  putSecret,
  secretsManagerClientFor,
  snsClientFor,
  sqsClientFor,
  startMoto,
  subscribeQueueToTopic,
} from "./moto.js";

describe("moto server (test support)", () => {
  let moto: MotoServer;

  beforeAll(async () => {
    moto = await startMoto();
  });

  afterAll(async () => {
    await moto?.stop();
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("moves a message received maxReceiveCount times without a delete to the DLQ", async () => {
    const { queueUrl, queueArn, dlqUrl, dlqArn } = await createQueueWithDlq(moto, "jobs", 2);
    expect(queueArn).toBe("arn:aws:sqs:us-east-1:123456789012:jobs");
    expect(dlqArn).toBe("arn:aws:sqs:us-east-1:123456789012:jobs-dlq");
    const sqs = sqsClientFor(moto);
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "poison" }));

    const receive = async () =>
      (
        await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            VisibilityTimeout: 0, // visible again at once: no waiting between attempts
            MessageSystemAttributeNames: ["ApproximateReceiveCount"],
          }),
        )
      ).Messages ?? [];
    const first = await receive();
    const second = await receive();
    expect(first.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([["poison", "1"]]);
    expect(second.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([["poison", "2"]]);
    // The move happens during the next receive on the source queue, which returns nothing.
    expect(await receive()).toEqual([]);

    const dead = await drainQueue(moto, dlqUrl, { waitSeconds: 0 });
    expect(dead.map((m) => m.Body)).toEqual(["poison"]);
    expect(await drainQueue(moto, queueUrl, { waitSeconds: 0 })).toEqual([]);
    sqs.destroy();
  });

  it("delivers an SNS Publish into a subscribed queue as the SNS envelope", async () => {
    const sns = snsClientFor(moto);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "sync-events" }));
    const sqs = sqsClientFor(moto);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "sync-events-inbox" }));
    const subscriptionArn = await subscribeQueueToTopic(moto, TopicArn as string, QueueUrl as string);
    expect(subscriptionArn).toMatch(/^arn:aws:sns:us-east-1:123456789012:sync-events:/);

    const payload = JSON.stringify({ failed: 3, bucket: "b" });
    const { MessageId } = await sns.send(
      new PublishCommand({
        TopicArn,
        Subject: "s3xsync failures",
        Message: payload,
        MessageAttributes: { kind: { DataType: "String", StringValue: "failure" } },
      }),
    );
    await sns.send(new PublishCommand({ TopicArn, Message: "no subject" }));

    const messages = await drainQueue(moto, QueueUrl as string);
    expect(messages).toHaveLength(2);
    const [withSubject, withoutSubject] = messages.map((m) => parseSnsEnvelope(m.Body));
    expect(withSubject).toMatchObject({
      Type: "Notification",
      MessageId,
      TopicArn,
      Subject: "s3xsync failures",
      Message: payload,
      MessageAttributes: { kind: { Type: "String", Value: "failure" } },
    });
    expect(Object.keys(withSubject ?? {}).sort()).toEqual(
      [
        "Message",
        "MessageAttributes",
        "MessageId",
        "Signature",
        "SignatureVersion",
        "SigningCertURL",
        "Subject",
        "Timestamp",
        "TopicArn",
        "Type",
        "UnsubscribeURL",
      ].sort(),
    );
    expect(withoutSubject?.Message).toBe("no subject");
    expect(withoutSubject?.Subject).toBeUndefined();
    sns.destroy();
    sqs.destroy();
  });

  it("gives a secret a new VersionId on each PutSecretValue", async () => {
    const created = await putSecret(moto, "s3xsync/target", { accessKeyId: "A1", secretAccessKey: "S1" });
    const updated = await putSecret(moto, "s3xsync/target", { accessKeyId: "A2", secretAccessKey: "S2" });
    expect(updated.arn).toBe(created.arn);
    expect(updated.versionId).not.toBe(created.versionId);

    const sm = secretsManagerClientFor(moto);
    const current = await sm.send(new GetSecretValueCommand({ SecretId: "s3xsync/target" }));
    expect(current.VersionId).toBe(updated.versionId);
    expect(current.VersionStages).toContain("AWSCURRENT");
    expect(JSON.parse(current.SecretString as string)).toEqual({ accessKeyId: "A2", secretAccessKey: "S2" });
    const previous = await sm.send(
      new GetSecretValueCommand({ SecretId: "s3xsync/target", VersionStage: "AWSPREVIOUS" }),
    );
    expect(previous.VersionId).toBe(created.versionId);
    sm.destroy();
  });

  it("points clients built only from env() at the server, in region us-east-1", async () => {
    const { queueUrl } = await createQueueWithDlq(moto, "env-check", 5);
    const topic = await snsClientFor(moto).send(new CreateTopicCommand({ Name: "env-check" }));
    await putSecret(moto, "env-check", "plain string");

    for (const [key, value] of Object.entries(moto.env())) vi.stubEnv(key, value);
    // No endpoint, region or credentials in code: all from the environment, as for code under test.
    const sqs = new SQSClient({});
    const sns = new SNSClient({});
    const sm = new SecretsManagerClient({});
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: "env-check" }));
    expect(QueueUrl).toBe(queueUrl);
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["RedrivePolicy"] }),
    );
    expect(JSON.parse(attrs.Attributes?.RedrivePolicy ?? "{}")).toMatchObject({ maxReceiveCount: 5 });
    const topics = await sns.send(new ListTopicsCommand({}));
    expect(topics.Topics?.map((t) => t.TopicArn)).toContain(topic.TopicArn);
    const secret = await sm.send(new GetSecretValueCommand({ SecretId: "env-check" }));
    expect(secret.SecretString).toBe("plain string");

    // moto keeps resources per region: another region sees none of them.
    const elsewhere = new SecretsManagerClient({ region: "cn-north-1" });
    const missing = await elsewhere.send(new GetSecretValueCommand({ SecretId: "env-check" })).then(
      () => undefined,
      (err: Error) => err.name,
    );
    expect(missing).toBe("ResourceNotFoundException");
    for (const client of [sqs, sns, sm, elsewhere]) client.destroy();
  });

  it("reset() deletes every resource", async () => {
    await putSecret(moto, "to-be-reset", "x");
    await moto.reset();
    const sm = secretsManagerClientFor(moto);
    const err = await sm.send(new GetSecretValueCommand({ SecretId: "to-be-reset" })).then(
      () => undefined,
      (e: Error) => e.name,
    );
    expect(err).toBe("ResourceNotFoundException");
    sm.destroy();
  });
});
