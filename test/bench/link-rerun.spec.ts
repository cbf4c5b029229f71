import { describe, expect, it } from "vitest";
import { withLink } from "../../bench/link-report.js";
import { keptWorkloads } from "../../bench/report.js";
import type { LinkProfileResult, WorkloadResult } from "../../bench/results-types.js";

const workload = (id: string, title: string) => ({ id, title }) as WorkloadResult;
const entry = (generatedAt: string, cpuModel: string, workloads: WorkloadResult[]) =>
  ({
    name: "cross-border",
    profile: "cross-border",
    side: "target",
    generatedAt,
    repeats: 3,
    machine: { cpuModel },
    workloads,
  }) as unknown as LinkProfileResult;

describe("a link profile rerun on a few workloads", () => {
  const earlier = entry("2026-12-05T07:08:21.892Z", "AMD EPYC", [
    workload("1GiB", "1 object of 1 GiB"),
    workload("16KiB", "1,000 objects of 16 KiB"),
  ]);
  const rerun = entry("2026-12-07T17:49:00.000Z", "Intel Xeon", [
    workload("16KiB", "1,000 objects of 16 KiB"),
  ]);
  const merged = withLink({ links: [earlier] } as never, rerun).links?.[0] as LinkProfileResult;

  it("keeps the others, each marked with the run and the CPU that measured it", () => {
    expect(merged.workloads.map((w) => [w.id, w.keptFrom])).toEqual([
      ["1GiB", { generatedAt: "2026-12-05T07:08:21.892Z", repeats: 3, cpuModel: "AMD EPYC" }],
      ["16KiB", undefined],
    ]);
  });

  it("names them in the profile's header", () => {
    expect(keptWorkloads(merged.workloads)).toBe(
      " From the run of 2026-12-05 07:08 UTC on AMD EPYC (3 runs of each tool), kept: 1 object of 1 GiB.",
    );
  });

  it("keeps a workload's first mark through later reruns", () => {
    const again = withLink({ links: [merged] } as never, {
      ...rerun,
      generatedAt: "2026-12-08T00:00:00.000Z",
    });
    expect(again.links?.[0]?.workloads[0]?.keptFrom?.generatedAt).toBe("2026-12-05T07:08:21.892Z");
  });
});
