// The link of `SOAK_LINK=<profile> npm run test:soak`: a link model (test/support/link-model.ts)
// between the CLI and the target's fault proxy, the way a function in China reaches Global, with
// stalls on top of the profile. The fault proxy behind it still faults 5 % of the requests.
import type { SoakLinkResult } from "../../bench/reliability-report.js";
import {
  LINK_PROFILES,
  type LinkModel,
  type LinkProfile,
  type LinkProfileName,
  type StallSettings,
  startLinkModel,
} from "../support/link-model.js";

/**
 * 0.5 % of the bursts each way (about 1 % of requests) stall for 5-40 s: most shorter than the
 * default 30 s stall timeout (the copy must wait them out), some longer (it must abort and retry).
 */
const SOAK_STALLS: StallSettings = { perBurst: 0.005, durationMs: [5_000, 40_000] };
const STALL_TIMEOUT_MS = 30_000;

export interface SoakLink {
  name: LinkProfileName;
  /** Starts the link in front of `upstream`; returns the endpoint the CLI talks to. */
  start(upstream: string): Promise<string>;
  result(): SoakLinkResult;
  close(): Promise<void>;
}

/** The link SOAK_LINK names, or undefined without one; throws one line for a name that is no WAN profile. */
export function soakLink(name: string | undefined, seed: string): SoakLink | undefined {
  if (!name) return undefined;
  const wan = Object.keys(LINK_PROFILES).filter((p) => p !== "loopback");
  if (!wan.includes(name)) throw new Error(`SOAK_LINK: '${name}' is not one of ${wan.join(", ")}`);
  const profileName = name as LinkProfileName;
  const settings: LinkProfile = { ...LINK_PROFILES[profileName], stalls: SOAK_STALLS };
  let model: LinkModel | undefined;
  return {
    name: profileName,
    start: async (upstream) => {
      model = await startLinkModel({
        upstream,
        profile: settings,
        seed: `link:${seed}`,
        keepRecent: 100_000,
      });
      return model.endpoint;
    },
    result: () => {
      const stats = model?.stats();
      const stalls = stats?.recent.filter((e) => e.kind === "stall") ?? [];
      return {
        profile: profileName,
        settings,
        connections: stats?.connections ?? 0,
        peakConnections: stats?.peakConnections ?? 0,
        bytesUp: stats?.bytesUp ?? 0,
        bytesDown: stats?.bytesDown ?? 0,
        resets: stats?.resets ?? 0,
        stalls: stats?.stalls ?? 0,
        stallsPastTimeout: stalls.filter(
          (e) => typeof e.durationMs === "number" && e.durationMs > STALL_TIMEOUT_MS,
        ).length,
      };
    },
    close: async () => {
      await model?.close();
    },
  };
}
