// The CloudWatch dashboard: the worker's metrics, the queues and the function on one page.
import { Aws, Fn, type Stack } from "aws-cdk-lib";
import { CfnDashboard } from "aws-cdk-lib/aws-cloudwatch";
import type { CfnFunction } from "aws-cdk-lib/aws-lambda";
import { METRIC, METRIC_NAMESPACE, SERVICE_NAME } from "../src/worker/metric-names.js";
import type { SyncQueues } from "./stack-parts.js";

interface DashboardSubjects {
  queues: SyncQueues;
  fn: CfnFunction;
  alarmArns: string[];
}

export function defineDashboard(stack: Stack, { queues, fn, alarmArns }: DashboardSubjects): CfnDashboard {
  return new CfnDashboard(stack, "SyncDashboard", {
    dashboardName: Fn.sub("${AWS::StackName}-sync"),
    dashboardBody: stack.toJsonString(
      dashboardBody({
        region: Aws.REGION,
        functionName: fn.ref,
        queueName: queues.queue.attrQueueName,
        deadLetterQueueName: queues.deadLetterQueue.attrQueueName,
        alarmArns,
      }),
    ),
  });
}

/** The stack's resources the widgets show (tokens at synthesis). */
interface DashboardRefs {
  region: string;
  functionName: string;
  queueName: string;
  deadLetterQueueName: string;
  alarmArns: string[];
}

/** The dashboard: the handler's metrics first, then the queues and the function. */
function dashboardBody(refs: DashboardRefs): Record<string, unknown> {
  // The worker's metrics (embedded metric format through Powertools, src/worker/telemetry.ts).
  const custom = (metric: string, stat: string, label: string) => [
    METRIC_NAMESPACE,
    metric,
    "service",
    SERVICE_NAME,
    { stat, label },
  ];
  const widget = (
    x: number,
    y: number,
    title: string,
    metrics: unknown[],
    extra: Record<string, unknown> = {},
  ) => ({
    type: "metric",
    x,
    y,
    width: 8,
    height: 6,
    properties: { title, region: refs.region, view: "timeSeries", period: 300, metrics, ...extra },
  });
  return {
    widgets: [
      {
        type: "alarm",
        x: 0,
        y: 0,
        width: 24,
        height: 2,
        properties: { title: "Alarms", alarms: refs.alarmArns },
      },
      widget(0, 2, "Objects replicated and failed", [
        custom(METRIC.objects, "Sum", "ObjectsReplicated"),
        custom(METRIC.failures, "Sum", "ReplicationFailures"),
        custom(METRIC.configurationErrors, "Sum", "ConfigurationErrors"),
      ]),
      widget(8, 2, "Bytes replicated", [custom(METRIC.bytes, "Sum", "BytesReplicated")]),
      widget(16, 2, "Replication lag (event to verified copy, ms)", [
        custom(METRIC.lag, "p50", "p50"),
        custom(METRIC.lag, "p90", "p90"),
        custom(METRIC.lag, "Maximum", "max"),
      ]),
      widget(0, 8, "Sync queue", [
        [
          "AWS/SQS",
          "ApproximateNumberOfMessagesVisible",
          "QueueName",
          refs.queueName,
          { stat: "Maximum", label: "waiting" },
        ],
        [
          "AWS/SQS",
          "ApproximateNumberOfMessagesNotVisible",
          "QueueName",
          refs.queueName,
          { stat: "Maximum", label: "in progress" },
        ],
        [
          "AWS/SQS",
          "ApproximateNumberOfMessagesVisible",
          "QueueName",
          refs.deadLetterQueueName,
          { stat: "Maximum", label: "dead-letter queue" },
        ],
      ]),
      widget(8, 8, "Age of oldest message (s)", [
        [
          "AWS/SQS",
          "ApproximateAgeOfOldestMessage",
          "QueueName",
          refs.queueName,
          { stat: "Maximum", label: "sync queue" },
        ],
      ]),
      widget(16, 8, "Function", [
        [
          "AWS/Lambda",
          "Invocations",
          "FunctionName",
          refs.functionName,
          { stat: "Sum", label: "invocations" },
        ],
        ["AWS/Lambda", "Errors", "FunctionName", refs.functionName, { stat: "Sum", label: "errors" }],
        ["AWS/Lambda", "Throttles", "FunctionName", refs.functionName, { stat: "Sum", label: "throttles" }],
        [
          "AWS/Lambda",
          "ConcurrentExecutions",
          "FunctionName",
          refs.functionName,
          { stat: "Maximum", label: "concurrency" },
        ],
      ]),
    ],
  };
}
