import { NodeHttpHandler } from "@smithy/node-http-handler";

/**
 * The HTTP handler for the small API calls (SQS, SNS, Secrets Manager): without one those clients
 * wait forever on a connection that never opens or an answer that never comes. Their answers are
 * a few KB, so 5 s to connect and 15 s without a byte are generous; S3 transfers have their own
 * (src/aws/s3-client.ts). socketTimeout, not requestTimeout: the latter only warns in
 * @smithy/node-http-handler 4.
 */
export function boundedRequestHandler(): NodeHttpHandler {
  return new NodeHttpHandler({ connectionTimeout: 5_000, socketTimeout: 15_000 });
}
