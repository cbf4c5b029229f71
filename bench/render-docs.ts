// npm run bench:report: renders docs/PERFORMANCE.md and docs/performance-chart.svg again from
// bench/results.json (e.g. after changing the report's wording), and docs/RELIABILITY.md from the
// soak and crash results in bench/results/, without running anything.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../scripts/minio-path.mjs";
import { writeReliabilityDoc } from "./reliability-report.js";
import { renderTable, writeFormattedJson, writePerformanceDocs } from "./report.js";
import type { BenchResults } from "./results-types.js";

const resultsPath = join(repoRoot(), "bench", "results.json");
if (existsSync(resultsPath)) {
  const results = JSON.parse(readFileSync(resultsPath, "utf8")) as BenchResults;
  const docs = writePerformanceDocs(results, { resultsPath, docsDir: join(repoRoot(), "docs") });
  writeFormattedJson(resultsPath, docs.results);
  console.log(renderTable(docs.results));
  console.log(`wrote ${docs.markdownPath} and ${docs.chartPath}`);
} else {
  console.log(`no ${resultsPath}: run npm run bench first`);
}
const reliability = writeReliabilityDoc();
console.log(reliability ? `wrote ${reliability}` : "no soak or crash results in bench/results/ yet");
