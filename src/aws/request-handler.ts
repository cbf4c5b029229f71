import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { NodeHttpHandler } from "@smithy/node-http-handler";

/** A connection that does not open within this long fails (and is retried as the client retries). */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Idle bound of the SQS, SNS and Secrets Manager clients: above SQS's 20 s long poll, during which
 * the connection is silent until a message comes.
 */
export const SERVICE_IDLE_TIMEOUT_MS = 30_000;

export interface HandlerLimits {
  /** No byte either way on a request's socket for this long fails the request. */
  idleTimeoutMs: number;
  /** Sockets per host (the agents' default, unlimited, where absent). */
  maxSockets?: number;
}

/**
 * The request handler of every AWS client this tool builds: a connect timeout and an idle-socket
 * timeout that really fire. Idle time, not total: a large part may stream for minutes. The
 * handler's requestTimeout only warns in @smithy/node-http-handler 4 and ends at the answer's
 * headers, so it is not used; clients built without a handler have no timeout at all.
 */
export function timedRequestHandler(limits: HandlerLimits): NodeHttpHandler {
  const agentOptions = {
    keepAlive: true,
    keepAliveMsecs: 1000,
    ...(limits.maxSockets ? { maxSockets: limits.maxSockets } : {}),
  };
  return new NodeHttpHandler({
    httpAgent: new HttpAgent(agentOptions),
    httpsAgent: new HttpsAgent(agentOptions),
    connectionTimeout: CONNECT_TIMEOUT_MS,
    socketTimeout: limits.idleTimeoutMs,
  });
}

/** Client settings for SQS, SNS and Secrets Manager: the timed handler at the service idle bound. */
export function serviceClientSettings(idleTimeoutMs = SERVICE_IDLE_TIMEOUT_MS) {
  return { requestHandler: timedRequestHandler({ idleTimeoutMs }) };
}
