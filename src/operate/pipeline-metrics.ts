import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricAlarm,
  type MetricDataQuery,
} from "@aws-sdk/client-cloudwatch";
import { METRIC, METRIC_NAMESPACE, SERVICE_NAME } from "../worker/metric-names.js";
import { awsFailure, type Pipeline } from "./pipeline.js";

export interface LastHour {
  objects: number;
  bytes: number;
  failures: number;
}

export interface PipelineMetrics {
  lastHour: LastHour;
  /** The latest ApproximateAgeOfOldestMessage of the queue in the last 15 minutes; null without one. */
  oldestMessageAgeSeconds: number | null;
}

export interface FiringAlarm {
  name: string;
  reason: string;
  since?: string;
}

const HOUR_MS = 3_600_000;
/** SQS publishes its queue metrics once a minute; a quarter of an hour covers a delay in publishing. */
const AGE_WINDOW_MS = 15 * 60_000;
/** DescribeAlarms answers at most 100 alarms a page; an account with more than 1,000 in ALARM is read in part. */
const MAX_ALARM_PAGES = 10;

function workerMetric(id: string, metricName: string): MetricDataQuery {
  return {
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: METRIC_NAMESPACE,
        MetricName: metricName,
        Dimensions: [{ Name: "service", Value: SERVICE_NAME }],
      },
      Period: 300,
      Stat: "Sum",
    },
  };
}

/** Objects, bytes and failures of the last hour (the worker's metrics) and the queue's oldest message age. */
export async function readPipelineMetrics(
  cloudWatch: CloudWatchClient,
  pipeline: Pipeline,
  now: Date,
): Promise<PipelineMetrics> {
  const queries: MetricDataQuery[] = [
    workerMetric("objects", METRIC.objects),
    workerMetric("bytes", METRIC.bytes),
    workerMetric("failures", METRIC.failures),
    {
      Id: "age",
      MetricStat: {
        Metric: {
          Namespace: "AWS/SQS",
          MetricName: "ApproximateAgeOfOldestMessage",
          Dimensions: [{ Name: "QueueName", Value: pipeline.queue.name }],
        },
        Period: 60,
        Stat: "Maximum",
      },
    },
  ];
  const out = await cloudWatch
    .send(
      new GetMetricDataCommand({
        StartTime: new Date(now.getTime() - HOUR_MS),
        EndTime: now,
        MetricDataQueries: queries,
        ScanBy: "TimestampDescending",
      }),
    )
    .catch((error: unknown) => {
      throw awsFailure("metrics (cloudwatch:GetMetricData)", error);
    });
  const series = (id: string) => {
    const result = out.MetricDataResults?.find((r) => r.Id === id);
    return (result?.Values ?? []).map((value, i) => ({ value, at: result?.Timestamps?.[i] }));
  };
  const sum = (id: string) => series(id).reduce((total, point) => total + point.value, 0);
  const latestAge = series("age").find(
    (point) => point.at !== undefined && now.getTime() - point.at.getTime() <= AGE_WINDOW_MS,
  );
  return {
    lastHour: { objects: sum("objects"), bytes: sum("bytes"), failures: sum("failures") },
    oldestMessageAgeSeconds: latestAge?.value ?? null,
  };
}

/** The stack's alarms by name (infra/alarms.ts prefixes them with the stack name), else the queues'. */
function belongsToPipeline(alarm: MetricAlarm, pipeline: Pipeline): boolean {
  if (pipeline.stackName) return alarm.AlarmName?.startsWith(`${pipeline.stackName}-`) ?? false;
  const queues = [pipeline.queue.name, pipeline.deadLetterQueue.name];
  return (alarm.Dimensions ?? []).some((d) => d.Name === "QueueName" && queues.includes(d.Value ?? ""));
}

/** The pipeline's alarms now in ALARM. */
export async function readFiringAlarms(
  cloudWatch: CloudWatchClient,
  pipeline: Pipeline,
): Promise<FiringAlarm[]> {
  const firing: FiringAlarm[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_ALARM_PAGES; page++) {
    const out = await cloudWatch
      .send(
        new DescribeAlarmsCommand({
          ...(pipeline.stackName ? { AlarmNamePrefix: `${pipeline.stackName}-` } : {}),
          StateValue: "ALARM",
          MaxRecords: 100,
          NextToken: nextToken,
        }),
      )
      .catch((error: unknown) => {
        throw awsFailure("alarms (cloudwatch:DescribeAlarms)", error);
      });
    for (const alarm of out.MetricAlarms ?? []) {
      if (alarm.StateValue !== "ALARM" || !belongsToPipeline(alarm, pipeline)) continue;
      firing.push({
        name: alarm.AlarmName ?? "",
        reason: alarm.StateReason ?? "",
        since: alarm.StateUpdatedTimestamp?.toISOString(),
      });
    }
    nextToken = out.NextToken;
    if (!nextToken) break;
  }
  return firing;
}
