// One Vitest run for the whole workspace. Workspace packages resolve to their TypeScript
// sources (the "@tubefeed/source" export condition), so tests never need a build first.
// Five projects: `main` (unit, integration, e2e), `faults` (tests/faults: crashes, outages and
// restarts of the real processes and services), `cluster` (the suites that use Redis scripts,
// transactions, pipelines and BullMQ, again on a private three-master Redis Cluster; `npm run
// test:cluster` runs it alone), `browser` (the pages in headless Chromium) and `faults-alone`
// (fault scenarios that need the machine to themselves). `npm run test:faults` runs the two
// fault projects, with the larger property runs that `npm test` leaves out.
//
// Most test files wait on MySQL, Redis, child processes and timers, not on the CPU, so `main`
// and `faults` run two files at a time (Vitest would take one on a 2-core machine). The browser
// files run afterwards, one at a time: Chromium needs the CPU to itself to keep its typing and
// rendering within the tests' waits; then the `faults-alone` files, one at a time.
import { defaultServerConditions } from 'vite';
import { configDefaults, defineConfig } from 'vitest/config';

const conditions = ['@tubefeed/source', ...defaultServerConditions];
const BROWSER_TESTS = ['tests/e2e/dashboard.test.ts', 'tests/e2e/security-pages.test.ts'];
// Fault scenarios whose bounds are about the API's own CPU (page 1 within 1 s while 20,000 slow
// connections churn): they run after everything else, alone, as a deployment's API would.
const ALONE_FAULT_TESTS = ['tests/faults/slow-connections.test.ts'];
// The larger property runs: only in `npm run test:faults` (TUBEFEED_LARGE_RUNS=1), not in
// `npm test`, where the same properties run on a fixed seed at a tenth of the size.
const LARGE_RUN_TESTS = ['tests/faults/hostile-input.test.ts'];
const largeRuns = process.env.TUBEFEED_LARGE_RUNS === '1';
// Run on the cluster too: the key pool (its Lua script and transactions), the page-1 snapshots
// (a MULTI), the fetch pipeline, the worker's BullMQ queue, the limits kept in Redis, the
// push side's feed log (its scripts) and the webhook deliveries' queue.
const CLUSTER_TESTS = [
  'packages/core/src/platform/redis/redis-cluster.test.ts',
  'packages/core/src/ingest/youtube/key-pool.test.ts',
  'packages/core/src/feed/snapshot-cache.test.ts',
  'packages/core/src/feed/feed-snapshot.test.ts',
  'packages/core/src/platform/redis/redis-lock.test.ts',
  'packages/core/src/ingest/fetch-lease.test.ts',
  'packages/core/src/ingest/fetch-planner.test.ts',
  'apps/worker/src/fetch-pipeline.test.ts',
  'apps/worker/src/worker-runtime.test.ts',
  'apps/api/src/plugins/rate-limit.test.ts',
  'apps/api/src/plugins/shared-rate-limit-store.test.ts',
  'apps/api/src/plugins/admin-auth.test.ts',
  'packages/core/src/feed/feed-log.test.ts',
  'apps/worker/src/webhook-delivery.test.ts',
];
// Cluster-only: it starts clusters of its own, or needs one.
const CLUSTER_ONLY_TESTS = ['packages/core/src/platform/redis/redis-cluster.test.ts'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    globalSetup: ['packages/core/src/testing/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'tests/e2e/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...BROWSER_TESTS, ...CLUSTER_ONLY_TESTS],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'faults',
          include: ['tests/faults/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...ALONE_FAULT_TESTS, ...(largeRuns ? [] : LARGE_RUN_TESTS)],
          globalSetup: ['packages/core/src/testing/global-setup.ts', 'tests/faults/support/build.ts'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'cluster',
          include: CLUSTER_TESTS,
          globalSetup: ['packages/core/src/testing/cluster-global-setup.ts'],
          // It runs beside the other projects: the pipeline's longest case takes 20-30 s there.
          testTimeout: 90_000,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: BROWSER_TESTS,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'faults-alone',
          include: ALONE_FAULT_TESTS,
          globalSetup: ['packages/core/src/testing/global-setup.ts', 'tests/faults/support/build.ts'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
