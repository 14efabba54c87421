// The API as deployed (createApiRuntime) against the test MySQL and Redis, for `app.inject`.
import type { FastifyInstance } from 'fastify';
import type { Clock, Config, Db, Logger } from '@tubefeed/core';
import { silentLogger, testConfig } from '@tubefeed/core/testing';
import { createApiRuntime } from '../api-runtime.js';

export interface TestApi {
  readonly app: FastifyInstance;
  readonly config: Config;
  readonly db: Db;
  close(): Promise<void>;
}

/** `databaseUrl` points the API at an existing (already migrated) test database. */
export async function buildTestApi(options: {
  clock: Clock;
  databaseUrl?: string;
  config?: Config;
  env?: Record<string, string>;
  /** Silent unless given (tests that read the logs). */
  log?: Logger;
}): Promise<TestApi> {
  const config =
    options.config ?? testConfig({ ...(options.databaseUrl ? { MYSQL_URL: options.databaseUrl } : {}), ...options.env });
  const dead = config.mysql.url.includes(':1/');
  const runtime = await createApiRuntime({
    config,
    log: options.log ?? silentLogger,
    clock: options.clock,
    prepareDatabase: !dead,
    connectTimeoutMs: 1000,
  });
  return { app: runtime.app, config, db: runtime.db, close: () => runtime.close() };
}
