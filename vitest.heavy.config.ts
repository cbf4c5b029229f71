import { defineConfig } from "vitest/config";

// The heavy suites: `npm run test:soak` and `npm run test:crash` (test/reliability/*.heavy.ts).
// Kept out of `npm test` (vitest.config.ts takes only *.spec.ts): each runs for many minutes.
export default defineConfig({
  test: {
    include: ["test/reliability/**/*.heavy.ts"],
    testTimeout: 60 * 60_000,
    hookTimeout: 30 * 60_000,
    pool: "forks",
    fileParallelism: false,
    // Progress lines (pass results, kill points) are the suites' report while they run.
    silent: false,
  },
});
