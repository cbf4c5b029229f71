// Results of the soak suite (test/reliability/soak.heavy.ts) and the crash suite
// (test/reliability/crash.heavy.ts), and docs/RELIABILITY.md rendered from them. Each suite writes
// its JSON and renders the document again, so it always shows the latest run of each.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../scripts/minio-path.mjs";
import { writeFormattedJson } from "./report.js";

const MiB = 1024 * 1024;

export interface ReliabilityPaths {
  resultsDir: string;
  docPath: string;
}

/** Full-scale results go to bench/results/ and docs/; reduced runs (RELIABILITY_SCALE=small) to .cache/. */
export function reliabilityPaths(small: boolean): ReliabilityPaths {
  if (small) {
    const dir = join(repoRoot(), ".cache", "reliability-small");
    return { resultsDir: dir, docPath: join(dir, "RELIABILITY.md") };
  }
  return {
    resultsDir: join(repoRoot(), "bench", "results"),
    docPath: join(repoRoot(), "docs", "RELIABILITY.md"),
  };
}

export interface PassResult {
  exitCode: number | null;
  seconds: number;
  peakRssBytes: number;
  summary: { copied: number; skipped: number; deleted: number; failed: number; bytes: number };
  failures: { key: string; error: string }[];
  /** The CLI ended without its summary (an uncaught exception): the end of its stderr. */
  crashed?: string;
  /** The pass outran the suite's bound and was killed. */
  hung?: boolean;
}

/** The link model between the CLI and the target's fault proxy (SOAK_LINK), counted over all passes. */
export interface SoakLinkResult {
  profile: string;
  settings: object;
  connections: number;
  peakConnections: number;
  bytesUp: number;
  bytesDown: number;
  resets: number;
  stalls: number;
  /** Stalls longer than the CLI's default stall timeout (30 s). */
  stallsPastTimeout: number;
}

export interface SoakResult {
  generatedAt: string;
  scale: "full" | "small";
  seed: string;
  objects: number;
  totalBytes: number;
  sizeMix: { label: string; count: number; bytes: number }[];
  faultRates: Record<string, number>;
  stallMs: [number, number];
  link?: SoakLinkResult;
  /** Which build of the CLI ran. */
  cli: string;
  passes: PassResult[];
  /** After the first pass, checked against the source directly (not through the proxies). */
  firstPass?: {
    identical: number;
    missingReported: number;
    missingSilently: number;
    wrongReported: number;
    wrongSilently: number;
    extraOnTarget: number;
    uploadsLeft: number;
  };
  final?: { identical: number; verifyInSync: boolean; uploadsLeft: number; uploadsLeftKeys?: string[] };
  /** The corruption pass ended without a summary: the end of its stderr. */
  corruptionCrash?: string;
  proxy: {
    source: { requests: number; operations: Record<string, number>; faults: Record<string, number> };
    target: { requests: number; operations: Record<string, number>; faults: Record<string, number> };
  };
  /** Faults by operation and kind, both sides together. */
  faultsByOperation: Record<string, Record<string, number>>;
  /** Each fault on CreateMultipartUpload or CompleteMultipartUpload: "operation kind (where) /bucket/key". */
  multipartFaults?: string[];
  corruption?: {
    objects: number;
    rate: number;
    injected: number;
    identical: number;
    reportedFailed: number;
    silentlyWrong: number;
    uploadsLeft: number;
  };
  load: { loadAverageBefore: number[]; loadAverageAfter: number[]; cores: number };
  durationSeconds: number;
}

export interface CrashRun {
  index: number;
  killed: boolean;
  /** When the kill came, in bytes this run had sent to the target. */
  killAtUploadBytes?: number;
  seconds: number;
  uploadBytes: number;
  /** Bytes read from the source in this run (re-reads of stored parts to prove them included). */
  sourceBytes: number;
  storedBefore: number;
  storedAfter: number;
  /** Upload bytes of this run not kept: sent again later. */
  resent: number;
  uploadIds: string[];
  exitCode: number | null;
}

export interface CrashLayoutResult {
  layout: string;
  objectSize: number;
  partSize: number;
  concurrency: number;
  /** Most bytes in flight at a kill: parts in flight x part size. */
  inFlightBound: number;
  runs: CrashRun[];
  totalUploadBytes: number;
  totalResent: number;
  /** Bytes read from the source over all runs (a resume may read stored parts again to prove them). */
  totalSourceBytes: number;
  sameUploadResumed: boolean;
  identical: boolean;
  uploadsLeft: number;
  verifyInSync: boolean;
}

export interface CrashResult {
  generatedAt: string;
  scale: "full" | "small";
  seed: string;
  cli: string;
  layouts: CrashLayoutResult[];
  load: { loadAverageBefore: number[]; loadAverageAfter: number[]; cores: number };
  durationSeconds: number;
}

/**
 * Writes `<name>.json`, or `<name>.other-build.json` for a run of another build (S3XSYNC_CLI), so
 * that measuring a proposed engine change never replaces the project build's result.
 */
export function writeResult(
  paths: ReliabilityPaths,
  name: "soak" | `soak-${string}` | "crash",
  result: SoakResult | CrashResult,
  otherBuild: boolean,
) {
  mkdirSync(paths.resultsDir, { recursive: true });
  const file = join(paths.resultsDir, `${name}${otherBuild ? ".other-build" : ""}.json`);
  writeFormattedJson(file, result);
}

function read<T>(paths: ReliabilityPaths, name: string): T | undefined {
  const file = join(paths.resultsDir, `${name}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as T) : undefined;
}

const mib = (bytes: number, digits = 1) => `${(bytes / MiB).toFixed(digits)} MiB`;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map((_, i) => (i === 0 ? "---" : "---:"))), ...rows.map(line)].join("\n");
}

const SOAK_TITLE = "## Soak: faults on both sides";

function linkText(link: SoakLinkResult): string {
  return (
    `Between the CLI and the target's fault proxy runs the link model's \`${link.profile}\` profile with stalls ` +
    `(test/reliability/soak-link.ts): \`${JSON.stringify(link.settings)}\`. Over all passes it carried ` +
    `${link.connections} connections (at most ${link.peakConnections} at once), ${mib(link.bytesUp)} up and ` +
    `${mib(link.bytesDown)} down, and cut ${link.resets} with a reset; ${link.stalls} bursts stalled, ` +
    `${link.stallsPastTimeout} of them longer than the default 30 s stall timeout.`
  );
}

function soakSection(soak: SoakResult): string {
  const totalRate = Object.values(soak.faultRates).reduce((a, b) => a + b, 0);
  const injected = (side: { faults: Record<string, number> }) =>
    Object.values(side.faults).reduce((a, b) => a + b, 0);
  const fp = soak.firstPass;
  const kinds = Object.keys(soak.faultRates);
  const ops = Object.keys(soak.faultsByOperation).sort();
  const crashedAt = soak.passes.findIndex((p) => p.crashed !== undefined);
  const crashed = crashedAt >= 0 ? soak.passes[crashedAt] : undefined;
  const silent = fp ? fp.missingSilently + fp.wrongSilently : 0;
  const headline = crashed
    ? `**Result: the CLI crashed in pass ${crashedAt + 1}** (exit code ${crashed.exitCode}, no summary, no failure ` +
      "reported for the objects it was copying): an uncaught exception, below. Nothing after it could be checked."
    : fp
      ? `**Result: ${silent === 0 ? "0 objects silently wrong or missing" : `${silent} objects SILENTLY WRONG OR MISSING`}.**`
      : "**Result: incomplete run.**";
  const hangs = soak.passes.filter((p) => p.hung).length;
  const out = [
    soak.link
      ? `## Soak across the border: ${soak.link.profile} link to the target, faults on both sides`
      : SOAK_TITLE,
    "",
    ...(soak.link ? [linkText(soak.link), ""] : []),
    `${soak.objects} objects (${mib(soak.totalBytes, 0)}) copied with \`s3xsync sync\` at its defaults through a fault proxy ` +
      `in front of each server (test/support/fault-proxy.ts), ${pct(totalRate)} of all requests faulted ` +
      `(${kinds.map((k) => `${k} ${pct(soak.faultRates[k] ?? 0)}`).join(", ")}; stalls ${soak.stallMs[0]}-${soak.stallMs[1]} ms), ` +
      `seed \`${soak.seed}\`. Every object was then read back from the target directly and compared with the source's MD5. ` +
      `CLI: ${soak.cli}.`,
    "",
    headline,
    "",
    `Hangs (a pass still running after 20 min is killed and counted): **${hangs}**.`,
    "",
  ];
  if (crashed?.crashed) out.push("```", crashed.crashed, "```", "");
  if (fp) {
    out.push(
      table(
        ["after the first pass", "objects"],
        [
          ["byte-identical on the target", fp.identical],
          ["missing, reported failed", fp.missingReported],
          ["different, reported failed", fp.wrongReported],
          ["**missing, not reported**", fp.missingSilently],
          ["**different, not reported**", fp.wrongSilently],
          ["extra on the target", fp.extraOnTarget],
          ["incomplete multipart uploads left", fp.uploadsLeft],
        ],
      ),
      "",
    );
  }
  out.push(
    table(
      ["pass", "exit code", "copied", "skipped", "failed", "time (s)", "CLI peak RSS"],
      soak.passes.map((p, i) => [
        i + 1,
        String(p.exitCode),
        p.crashed ? "crashed" : p.summary.copied,
        p.crashed ? "" : p.summary.skipped,
        p.crashed ? "" : p.summary.failed,
        p.seconds.toFixed(1),
        mib(p.peakRssBytes, 0),
      ]),
    ),
    "",
  );
  if (soak.final) {
    out.push(
      `After ${soak.passes.length} pass(es): ${soak.final.identical} of ${soak.objects} byte-identical, \`s3xsync verify\` ` +
        `${soak.final.verifyInSync ? "in sync" : "NOT in sync"}, ${soak.final.uploadsLeft} incomplete uploads left` +
        (soak.final.uploadsLeftKeys?.length
          ? ` (keys ${soak.final.uploadsLeftKeys.map((k) => `\`${k}\``).join(", ")}: objects that were copied and ` +
            "proven, each with an extra upload nobody aborted, made when the answer to its CreateMultipartUpload was " +
            "lost and the SDK asked again; it costs storage until a lifecycle rule aborts it)."
          : "."),
      "",
    );
  }
  const failures = soak.passes.flatMap((p, i) =>
    p.failures.map((f) => `- pass ${i + 1}: \`${f.key}\`: ${f.error}`),
  );
  if (failures.length)
    out.push("Objects reported failed (a rerun copies them):", "", ...failures.slice(0, 30), "");
  out.push(
    `Requests seen: source ${soak.proxy.source.requests} (${injected(soak.proxy.source)} faulted), target ` +
      `${soak.proxy.target.requests} (${injected(soak.proxy.target)} faulted), over all passes.`,
    "",
    table(
      ["operation", "requests", ...kinds],
      ops.map((op) => [
        op,
        (soak.proxy.source.operations[op] ?? 0) + (soak.proxy.target.operations[op] ?? 0),
        ...kinds.map((k) => soak.faultsByOperation[op]?.[k] ?? 0),
      ]),
    ),
    "",
    ...(soak.multipartFaults?.length
      ? [
          "Faults on CreateMultipartUpload and CompleteMultipartUpload (the requests whose lost answers leave",
          "state behind on the target):",
          "",
          ...soak.multipartFaults.map((f) => `- ${f}`),
          "",
        ]
      : []),
    "Object sizes:",
    "",
    table(
      ["kind", "objects", "bytes"],
      soak.sizeMix.map((m) => [m.label, m.count, mib(m.bytes)]),
    ),
    "",
  );
  if (soak.corruptionCrash) {
    out.push(
      "### Corrupted bytes",
      "",
      "The CLI crashed in the corruption pass:",
      "",
      "```",
      soak.corruptionCrash,
      "```",
      "",
    );
  }
  if (soak.corruption) {
    const c = soak.corruption;
    out.push(
      "### Corrupted bytes",
      "",
      `A further ${c.objects} objects went through proxies that flip one byte of ${pct(c.rate)} of the bodies ` +
        `(uploads and downloads; not a fault S3 or TCP produce, a check that the integrity checks catch what framing ` +
        `cannot): ${c.injected} corruptions injected, ${c.identical} objects byte-identical, ${c.reportedFailed} ` +
        `reported failed, **${c.silentlyWrong} silently wrong**, ${c.uploadsLeft} incomplete uploads left.`,
      "",
    );
  }
  out.push(
    `Load: ${soak.load.cores} cores, load average ${soak.load.loadAverageBefore.join(" / ")} before, ` +
      `${soak.load.loadAverageAfter.join(" / ")} after; the suite took ${(soak.durationSeconds / 60).toFixed(1)} min ` +
      `(${soak.generatedAt.slice(0, 16).replace("T", " ")} UTC, ${soak.scale} scale).`,
    "",
  );
  return out.join("\n");
}

function crashSection(crash: CrashResult): string {
  const out = [
    "## Crash: kill -9 during a copy, then resume",
    "",
    "`s3xsync copy` of one object, killed with SIGKILL at a random moment (a random point in the bytes it",
    "has sent) five times, started again after each kill, then left to finish. A pass-through proxy in front",
    "of each server counts the bytes; after each kill the parts stored in the target's incomplete upload",
    "are listed. Bytes re-sent by a crash = what that run uploaded minus what it added to the stored parts",
    `(payload bytes, without the aws-chunked framing). CLI: ${crash.cli}.`,
    "",
  ];
  for (const layout of crash.layouts) {
    const worst = Math.max(...layout.runs.filter((r) => r.killed).map((r) => r.resent));
    out.push(
      `### ${layout.layout}: ${mib(layout.objectSize, 0)}`,
      "",
      `Parts of ${mib(layout.partSize, 0)}, ${layout.concurrency} in flight (\`--concurrency ${layout.concurrency}\`) and their hedges: at most ${mib(layout.inFlightBound, 0)} can be ` +
        `in flight at a kill. Worst crash re-sent ${mib(worst)}; ${mib(layout.totalResent)} re-sent in all ` +
        `(${((layout.totalResent / layout.objectSize) * 100).toFixed(1)}% of the object) over ${layout.runs.filter((r) => r.killed).length} crashes; ` +
        `${mib(layout.totalSourceBytes, 0)} read from the source in all (${(layout.totalSourceBytes / layout.objectSize).toFixed(1)} x the object). ` +
        `${layout.sameUploadResumed ? "Every run resumed the same multipart upload." : "Not every run resumed the same upload."} ` +
        `At the end: target ${layout.identical ? "byte-identical" : "DIFFERENT"}, ${layout.uploadsLeft} incomplete uploads left, ` +
        `verify ${layout.verifyInSync ? "in sync" : "NOT in sync"}.`,
      "",
      table(
        [
          "run",
          "ended by",
          "killed after sending",
          "sent",
          "read from source",
          "stored before",
          "stored after",
          "re-sent",
          "time (s)",
        ],
        layout.runs.map((r) => [
          r.index,
          r.killed ? "kill -9" : `exit ${r.exitCode}`,
          r.killAtUploadBytes === undefined ? "" : mib(r.killAtUploadBytes),
          mib(r.uploadBytes),
          mib(r.sourceBytes),
          mib(r.storedBefore),
          mib(r.storedAfter),
          mib(r.resent),
          r.seconds.toFixed(1),
        ]),
      ),
      "",
    );
  }
  out.push(
    `Load: ${crash.load.cores} cores, load average ${crash.load.loadAverageBefore.join(" / ")} before, ` +
      `${crash.load.loadAverageAfter.join(" / ")} after; seed \`${crash.seed}\`; the suite took ` +
      `${(crash.durationSeconds / 60).toFixed(1)} min (${crash.generatedAt.slice(0, 16).replace("T", " ")} UTC, ${crash.scale} scale).`,
    "",
  );
  return out.join("\n");
}

/** Renders RELIABILITY.md from the soak and crash results present; returns its path, or undefined. */
export function writeReliabilityDoc(paths: ReliabilityPaths = reliabilityPaths(false)): string | undefined {
  const soak = read<SoakResult>(paths, "soak");
  const crash = read<CrashResult>(paths, "crash");
  const soakOther = read<SoakResult>(paths, "soak.other-build");
  const soakLinks = existsSync(paths.resultsDir)
    ? readdirSync(paths.resultsDir)
        .filter((f) => /^soak-[^.]+\.json$/.test(f))
        .map((f) => read<SoakResult>(paths, f.replace(/\.json$/, "")) as SoakResult)
    : [];
  const crashOther = read<CrashResult>(paths, "crash.other-build");
  if (!soak && !crash && !soakOther && !crashOther && soakLinks.length === 0) return undefined;
  // What the runs found, written by hand from them (bench/reliability-notes.md), included as it is.
  const notesFile = join(import.meta.dirname, "reliability-notes.md");
  const notes = existsSync(notesFile) ? readFileSync(notesFile, "utf8") : undefined;
  const other = (title: string, body: string) =>
    body.replace(/^## [^\n]*/, `## ${title} (another build of the CLI: S3XSYNC_CLI)`);
  const doc = [
    "# Reliability",
    "",
    "<!-- Generated by `npm run test:soak` and `npm run test:crash` from bench/results/*.json; do not edit by hand. -->",
    "",
    "What s3xsync promises: an object ends byte-identical on the target or is reported failed (exit code 1,",
    "the key in the summary); nothing is silently wrong or missing; a crash costs at most the parts in flight,",
    "and no incomplete multipart upload is left once a copy has finished. These suites check it against real",
    "MinIO servers with faults injected between the CLI and the servers.",
    "",
    ...(notes ? [notes.trim(), ""] : []),
    soak ? soakSection(soak) : "## Soak\n\nNot run yet: `npm run test:soak`.\n",
    ...soakLinks.map(soakSection),
    crash ? crashSection(crash) : "## Crash\n\nNot run yet: `npm run test:crash`.\n",
    soakOther ? other("Soak: faults on both sides", soakSection(soakOther)) : "",
    crashOther ? other("Crash: kill -9 during a copy, then resume", crashSection(crashOther)) : "",
    "## Reproduce",
    "",
    "```sh",
    "npm run test:soak                          # 1,000 objects at 5% faults, then 200 with corruption (1-2 min)",
    "npm run test:crash                         # five kill -9 during a 1 GiB copy, per source layout",
    "RELIABILITY_SCALE=small npm run test:soak  # 150 objects, output in .cache/reliability-small/",
    "SOAK_SEED=1234 npm run test:soak           # the same fault decisions again",
    "SOAK_LINK=cross-border npm run test:soak   # the same over the cross-border link with stalls (soak-cross-border.json)",
    "S3XSYNC_CLI=path/to/s3xsync.js S3XSYNC_CLI_NOTE='what it changes' npm run test:soak   # another build",
    "```",
    "",
    "What the faults mean for a user: each one costs a retry of one request or part (five attempts per part",
    "with exponential backoff up to 20 s, and the SDK's own retries for metadata requests), so at a few",
    "percent of failed requests a sync still finishes with every object copied; when a fault outlasts the",
    "retries, the object is reported failed and running the same command again copies it, skipping what is",
    "done and resuming interrupted multipart uploads.",
    "",
  ].join("\n");
  mkdirSync(join(paths.docPath, ".."), { recursive: true });
  writeFileSync(paths.docPath, doc);
  return paths.docPath;
}
