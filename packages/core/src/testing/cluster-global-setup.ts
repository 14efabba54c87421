// Vitest global setup of the `cluster` project: the MySQL server of the other projects, and a
// private three-master Redis Cluster (redis-cluster.ts) instead of the single Redis. Tests reach
// it through testRedisUrl() (`redis-cluster://…`), so the same test files run on both.
import type { TestProject } from 'vitest/node';
import setupServers from './global-setup.js';
import { startRedisCluster } from './redis-cluster.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stopServers = await setupServers(project);
  const cluster = await startRedisCluster();
  project.provide('testRedisUrl', cluster.url);
  return async () => {
    await cluster.stop();
    await stopServers();
  };
}
