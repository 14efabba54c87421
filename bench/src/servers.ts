// Starts the systems under test as production does: built JS, NODE_ENV=production, warn-level
// logs, each in a child process with only the environment it is given. The API and the
// baseline server get a free port and are ready when they answer HTTP.
import { fileURLToPath } from 'node:url';
import { freePort, waitForHttp, type ChildProcesses, type ManagedChild } from '@tubefeed/core/testing/faults';
import { API_NODE_OPTIONS } from '@tubefeed/core';

export interface ServerHandle {
  readonly url: string;
  readonly child: ManagedChild;
}

export interface SystemEnv {
  /** Builds a child's complete environment from these variables. */
  readonly env: (vars: Record<string, string>) => Record<string, string>;
  readonly processes: ChildProcesses;
  readonly repoRoot: string;
}

const PRODUCTION = { NODE_ENV: 'production', LOG_LEVEL: 'warn', LOG_FORMAT: 'json' } as const;

/** Settings that must not leak in from a .env file in the working directory. */
const NO_KEYS = { YOUTUBE_API_KEYS: '', SIMULATOR_URL: '', SIMULATOR_KEYS: '', ADMIN_PASSWORD: '', METRICS_PORT: '0' } as const;

export interface ApiVars {
  readonly mysqlUrl: string;
  readonly redisUrl: string;
  readonly prefix: string;
  /**
   * Shared by API processes that must accept each other's cursors (the default secret is
   * derived from MYSQL_URL, which differs for the API behind the counting proxy). A secret.
   */
  readonly cursorSecret: string;
  /** More variables, set last (the soak's rate-limit ceiling and metrics listener). */
  readonly extraEnv?: Readonly<Record<string, string>>;
}

export async function startApi(system: SystemEnv, label: string, vars: ApiVars): Promise<ServerHandle> {
  const port = await freePort();
  const child = system.processes.start({
    label,
    script: `${system.repoRoot}/apps/api/dist/server.js`,
    // As every deployment starts it.
    nodeOptions: API_NODE_OPTIONS,
    env: system.env({
      ...PRODUCTION,
      ...NO_KEYS,
      HOST: '127.0.0.1',
      PORT: String(port),
      MYSQL_URL: vars.mysqlUrl,
      REDIS_URL: vars.redisUrl,
      REDIS_PREFIX: vars.prefix,
      CURSOR_SECRET: vars.cursorSecret,
      // The rate limiter stays on, so its cost is in every figure, but never refuses: the load
      // generator is one client sending far more than any real one.
      RATE_LIMIT_MAX: '1000000000',
      // Likewise the SSE clients all come from one address (the per-process cap stays).
      SSE_MAX_CLIENTS_PER_ADDRESS: '0',
      ...vars.extraEnv,
    }),
    cwd: system.repoRoot,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health`, child);
  return { url, child };
}

/** The ceiling: a bare Fastify route in the API's server setup, answering the bytes of `bodyFile`. */
export async function startBaseline(system: SystemEnv, bodyFile: string): Promise<ServerHandle> {
  const port = await freePort();
  const child = system.processes.start({
    label: 'baseline',
    script: fileURLToPath(new URL('./baseline-server.js', import.meta.url)),
    // The API's server setup includes how Node is started.
    nodeOptions: API_NODE_OPTIONS,
    args: ['--body-file', bodyFile],
    env: system.env({ ...PRODUCTION, ...NO_KEYS, HOST: '127.0.0.1', PORT: String(port) }),
    cwd: system.repoRoot,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/baseline`, child);
  return { url, child };
}

export interface WorkerVars {
  readonly mysqlUrl: string;
  readonly redisUrl: string;
  readonly prefix: string;
  readonly apiRoot: string;
  /** Secrets: passed in the child's environment only, never printed or stored. */
  readonly apiKeys: readonly string[];
  readonly query: string;
  readonly fetchIntervalMs: number;
}

export function startWorker(system: SystemEnv, label: string, vars: WorkerVars): ManagedChild {
  return system.processes.start({
    label,
    script: `${system.repoRoot}/apps/worker/dist/main.js`,
    env: system.env({
      ...PRODUCTION,
      ...NO_KEYS,
      MYSQL_URL: vars.mysqlUrl,
      REDIS_URL: vars.redisUrl,
      REDIS_PREFIX: vars.prefix,
      YOUTUBE_API_KEYS: vars.apiKeys.join(','),
      YOUTUBE_API_ROOT: vars.apiRoot,
      YOUTUBE_SEARCH_CALLS_PER_DAY: '1000000',
      SEARCH_QUERIES: vars.query,
      FETCH_INTERVAL_MS: String(vars.fetchIntervalMs),
      QUOTA_PACING: 'off',
    }),
    cwd: system.repoRoot,
  });
}
