// What bench/lambda-sizing.ts runs: the workloads, memory sizes and parts-in-flight settings,
// narrowed by the SIZING_* environment variables that file describes.
import { SIZE_CATEGORIES, type SizeCategory } from "../src/lambda/size-categories.js";
import type { PartsSetting, SizingProfile, SizingWorkload } from "./sizing-types.js";

const MiB = 1024 * 1024;
const MEMORY_SIZES = [256, 512, 1024, 2048];
const listed = (name: string) => process.env[name]?.split(",").map((s) => s.trim());
export const largeMiB = Number(process.env.SIZING_LARGE_MIB ?? 1024);

export const WORKLOADS: SizingWorkload[] = [
  {
    id: "large",
    title: largeMiB >= 1024 ? `1 x ${largeMiB / 1024} GiB` : `1 x ${largeMiB} MiB`,
    objects: 1,
    objectSize: largeMiB * MiB,
    multipart: true,
    category: "200MB-2GB",
  },
  {
    id: "4MiB",
    title: "64 x 4 MiB",
    objects: 64,
    objectSize: 4 * MiB,
    multipart: false,
    category: "Under200MB",
  },
  {
    id: "16KiB",
    title: "1,000 x 16 KiB",
    objects: 1000,
    objectSize: 16 * 1024,
    multipart: false,
    category: "Under200MB",
  },
];

export interface Planned {
  profile: SizingProfile;
  workload: SizingWorkload;
  memoryMb: number;
  parts: PartsSetting;
}

function partsOf(category: SizeCategory): PartsSetting {
  const { concurrency, adaptiveMax } = SIZE_CATEGORIES[category];
  return { category, concurrency, adaptiveMax };
}

/**
 * Every memory size with the parts in flight of the workload's category; then, on the cross-border
 * link and the large workload, every memory size with the other categories' parts in flight.
 */
export function plan(profilesAll: SizingProfile[]): Planned[] {
  const memories = listed("SIZING_MEMORY")?.map(Number) ?? MEMORY_SIZES;
  const profiles = (listed("SIZING_PROFILES") as SizingProfile[] | undefined) ?? profilesAll;
  const workloads = WORKLOADS.filter((w) => listed("SIZING_WORKLOADS")?.includes(w.id) ?? true);
  const runs: Planned[] = [];
  for (const profile of profiles) {
    for (const workload of workloads) {
      for (const memoryMb of memories)
        runs.push({ profile, workload, memoryMb, parts: partsOf(workload.category) });
    }
  }
  const large = workloads.find((w) => w.id === "large");
  if (process.env.SIZING_ALTERNATIVES === "0" || !large || !profiles.includes("cross-border")) return runs;
  const others = (Object.keys(SIZE_CATEGORIES) as SizeCategory[]).filter((c) => c !== large.category);
  for (const category of others) {
    for (const memoryMb of memories) {
      runs.push({ profile: "cross-border", workload: large, memoryMb, parts: partsOf(category) });
    }
  }
  return runs;
}
