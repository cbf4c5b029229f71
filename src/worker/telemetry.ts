import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { METRIC, METRIC_NAMESPACE, SERVICE_NAME } from "./metric-names.js";
import type { TaskOutcome } from "./task-scope.js";

export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: SERVICE_NAME });

/** One log line and the metrics for one object, whatever became of it. */
export function recordOutcome(outcome: TaskOutcome, startedAt: number, eventTime: string | undefined): void {
  const durationMs = Date.now() - startedAt;
  const bytes = outcome.status === "copied" || outcome.status === "paused" ? outcome.bytes : 0;
  const fields: Record<string, unknown> = {
    key: outcome.key,
    outcome: outcome.status === "skipped" ? `skipped:${outcome.reason}` : outcome.status,
    size: "size" in outcome ? outcome.size : undefined,
    bytes,
    durationMs,
    throughputMiBps: durationMs > 0 ? Number((bytes / 1048576 / (durationMs / 1000)).toFixed(2)) : undefined,
  };
  if (outcome.status === "copied") {
    fields.attempts = outcome.attempts;
    fields.verifiedBy = outcome.evidence;
    metrics.addMetric(METRIC.objects, MetricUnit.Count, 1);
    metrics.addMetric(METRIC.bytes, MetricUnit.Bytes, outcome.bytes);
    const eventMs = eventTime ? Date.parse(eventTime) : Number.NaN;
    if (!Number.isNaN(eventMs)) {
      fields.lagMs = Date.now() - eventMs;
      metrics.addMetric(METRIC.lag, MetricUnit.Milliseconds, Date.now() - eventMs);
    }
  }
  if (outcome.status === "failed") {
    fields.attempts = outcome.attempts;
    fields.error = outcome.error;
    metrics.addMetric(METRIC.failures, MetricUnit.Count, 1);
    logger.error("object", fields);
    return;
  }
  logger.info("object", fields);
}

/** One log line and one metric for target keys that cannot be read; the message holds no value. */
export function recordConfigurationError(secret: string, error: string): void {
  logger.error("configuration", { secret, error });
  metrics.addMetric(METRIC.configurationErrors, MetricUnit.Count, 1);
}
