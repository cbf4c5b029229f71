/** The region in an SQS queue URL (`https://sqs.REGION.amazonaws.com[.cn]/...`), if it names one. */
export function queueRegion(queueUrl: string): string | undefined {
  const host = new URL(queueUrl).hostname;
  return (
    /^sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host)?.[1] ??
    /^([a-z0-9-]+)\.queue\.amazonaws\.com(\.cn)?$/.exec(host)?.[1]
  );
}
