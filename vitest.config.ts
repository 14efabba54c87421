// One Vitest run for the whole workspace. Workspace packages resolve to their TypeScript
// sources (the "@tubefeed/source" export condition), so tests never need a build first.
// Four projects: `main` (unit, integration, e2e), `faults` (tests/faults: crashes, outages and
// restarts of the real processes and services; `npm run test:faults` runs it alone), `cluster`
// (the suites that use Redis scripts, transactions, pipelines and BullMQ, again on a private
// three-master Redis Cluster; `npm run test:cluster` runs it alone) and `browser` (the pages in
// headless Chromium).
//
// Most test files wait on MySQL, Redis, child processes and timers, not on the CPU, so `main`
// and `faults` run two files at a time (Vitest would take one on a 2-core machine). The browser
// files run afterwards, one at a time: Chromium needs the CPU to itself to keep its typing and
// rendering within the tests' waits.
import { defaultServerConditions } from 'vite';
import { configDefaults, defineConfig } from 'vitest/config';

const conditions = ['@tubefeed/source', ...defaultServerConditions];
const BROWSER_TESTS = ['tests/e2e/dashboard.test.ts', 'tests/e2e/security-pages.test.ts'];
// Run on the cluster too: the key pool (its Lua script and transactions), the page-1 snapshots
// (a MULTI), the fetch pipeline, the worker's BullMQ queue, and the limits kept in Redis.
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
    ],
  },
});
