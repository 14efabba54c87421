// The one place that reads the environment. `loadConfig(env)` validates every variable against a
// schema, reports all problems at once (each with the variable's name), and returns a frozen
// object that the composition roots pass down. Nothing else reads `process.env`.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import { Secret } from './secret.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const url = (protocols: readonly string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: int(0, 65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  MYSQL_URL: url(['mysql:', 'mariadb:']).default('mysql://root@127.0.0.1:3306/tubefeed'),
  MYSQL_POOL_SIZE: int(1, 200).default(10),
  MYSQL_CONNECT_TIMEOUT_MS: int(100, 60_000).default(1000),
  MYSQL_ACQUIRE_TIMEOUT_MS: int(100, 60_000).default(500),
  MYSQL_QUERY_TIMEOUT_MS: int(100, 600_000).default(1000),
  MYSQL_WORKER_QUERY_TIMEOUT_MS: int(1000, 3_600_000).default(30_000),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 letters, digits or _ . : -')
    .default('tubefeed'),
  YOUTUBE_API_KEYS: z
    .string()
    .default('')
    .transform((value) => list(value))
    .refine((keys) => keys.every((key) => /^[A-Za-z0-9_-]{6,100}$/.test(key)), {
      message: 'must be a comma-separated list of API keys (letters, digits, _ and -)',
    }),
  YOUTUBE_API_ROOT: url(['https:', 'http:']).default('https://youtube.googleapis.com/'),
  YOUTUBE_TIMEOUT_MS: int(100, 120_000).default(10_000),
  YOUTUBE_DAILY_QUOTA: int(100, 100_000_000).default(10_000),
  SEARCH_QUERIES: z
    .string()
    .default('cricket')
    .transform((value) => list(value))
    .refine((queries) => queries.every((q) => q.length <= 200), { message: 'each query must be at most 200 characters' }),
  FETCH_INTERVAL_MS: int(1000, 86_400_000).default(10_000),
  FETCH_OVERLAP_MS: int(0, 7 * 86_400_000).default(600_000),
  FETCH_LOOKBACK_MS: int(60_000, 365 * 86_400_000).default(3_600_000),
  FETCH_MAX_PAGES: int(2, 20).default(5),
  FETCH_STORE_RETRY_MS: int(0, 3_600_000).default(60_000),
  QUOTA_PACING: z.enum(['on', 'off']).default('on'),
  FETCH_JOB_LOCK_MS: int(1000, 600_000).default(30_000),
  SHUTDOWN_GRACE_MS: int(0, 60_000).default(7000),
  CURSOR_SECRET: z.string().max(200).default(''),
  SEARCH_WINDOW_ROWS: int(0, 1_000_000).default(2000),
  SIMULATOR_URL: z.union([z.literal(''), url(['http:', 'https:'])]).default(''),
  SIMULATOR_KEYS: z
    .string()
    .default('')
    .transform((value) => list(value)),
  SIMULATOR_DAILY_QUOTA: int(100, 100_000_000).default(1_000_000),
  METRICS_PORT: int(0, 65535).default(0),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  ADMIN_USER: z.string().min(1).max(100).default('admin'),
  ADMIN_PASSWORD: z.string().max(200).default(''),
  ADMIN_AUTH_MAX_FAILURES: int(0, 1_000_000).default(10),
  ADMIN_AUTH_WINDOW_MS: int(1000, 86_400_000).default(300_000),
  RATE_LIMIT_MAX: int(0, 1_000_000_000).default(1000),
  RATE_LIMIT_WINDOW_MS: int(1000, 86_400_000).default(60_000),
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((value, context) => {
      const parsed = parseTrustProxy(value);
      if (parsed !== undefined) return parsed;
      context.addIssue({
        code: 'custom',
        message: 'must be false, true, or a comma-separated list of proxy addresses, CIDR ranges, loopback, linklocal or uniquelocal',
      });
      return z.NEVER;
    }),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((value, context) => {
      const origins = list(value);
      if (origins.includes('*')) return '*' as const;
      const bad = origins.filter((origin) => !isOrigin(origin));
      if (bad.length === 0) return origins;
      context.addIssue({ code: 'custom', message: `must be *, or a comma-separated list of origins such as https://example.com (no path): ${bad.join(', ')}` });
      return z.NEVER;
    }),
});

/**
 * TRUST_PROXY: which peers may set X-Forwarded-For (Fastify's trustProxy). Off by default: with
 * no proxy in front, trusting the header would let any client pick its own address, and so its
 * own rate-limit bucket.
 */
function parseTrustProxy(value: string): boolean | string[] | undefined {
  const lower = value.toLowerCase();
  if (lower === 'false' || lower === 'off') return false;
  if (lower === 'true') return true;
  const items = list(value);
  const named = new Set(['loopback', 'linklocal', 'uniquelocal']);
  const valid = (item: string): boolean => {
    if (named.has(item)) return true;
    const [address = '', bits, ...rest] = item.split('/');
    const family = isIP(address);
    if (family === 0 || rest.length > 0) return false;
    return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
  };
  return items.length > 0 && items.every(valid) ? items : undefined;
}

/** An origin as browsers send it: scheme, host and optional port, nothing else. */
function isOrigin(value: string): boolean {
  try {
    const parsed = new URL(value);
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.origin === value;
  } catch {
    return false;
  }
}

/** A comma-separated list: trimmed, empty items dropped, duplicates removed. */
function list(value: string): string[] {
  return [...new Set(value.split(',').map((item) => item.trim().replace(/\s+/g, ' ')).filter((item) => item !== ''))];
}

type Env = z.infer<typeof schema>;

/** Every environment variable the service reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.shape);

export interface Config {
  readonly env: Env['NODE_ENV'];
  readonly http: {
    readonly host: string;
    readonly port: number;
    /** Fastify's trustProxy: false (the default), true, or the trusted proxies' addresses/CIDRs. */
    readonly trustProxy: boolean | readonly string[];
  };
  /**
   * Public endpoints: at most `max` requests per client address per `windowMs` (0: no limit),
   * counted in each API process and shared through Redis in batches.
   */
  readonly rateLimit: { readonly max: number; readonly windowMs: number };
  /** Origins allowed to read the public API from a browser: none (empty), any ('*'), or a list. */
  readonly cors: { readonly origins: '*' | readonly string[] };
  readonly log: { readonly level: Env['LOG_LEVEL']; readonly format: Env['LOG_FORMAT'] };
  readonly mysql: {
    readonly url: string;
    readonly poolSize: number;
    /** Longest wait for a new connection (TCP connect and handshake). */
    readonly connectTimeoutMs: number;
    /** Longest wait for a pooled connection, making one included. */
    readonly acquireTimeoutMs: number;
    /**
     * Longest a statement may run before its connection is dropped (db/bounded-pool.ts). The
     * API's also bounds all the MySQL waits of one request together, so a request answers 503
     * within it when MySQL is gone; the worker's leaves room for batch writes and count
     * rebuilds. Migrations have none.
     */
    readonly queryTimeoutMs: { readonly api: number; readonly worker: number };
  };
  readonly redis: { readonly url: string; readonly prefix: string };
  readonly youtube: {
    /** 'simulator' when YOUTUBE_API_KEYS is empty and SIMULATOR_URL/SIMULATOR_KEYS are set. */
    readonly source: 'youtube' | 'simulator';
    readonly apiKeys: readonly Secret[];
    readonly apiRoot: string;
    readonly timeoutMs: number;
    readonly dailyQuota: number;
  };
  readonly fetch: {
    readonly queries: readonly string[];
    readonly intervalMs: number;
    readonly overlapMs: number;
    readonly lookbackMs: number;
    readonly maxPages: number;
    /** Spread each day's quota evenly until Pacific midnight (fetch/pacing.ts). */
    readonly pacing: boolean;
    /**
     * Lifetime of a running fetch job's lock (renewed at half of it). A worker that dies while
     * holding one holds up fetching until it expires and the stalled check (same period) frees
     * the job.
     */
    readonly jobLockMs: number;
    /**
     * How long a run keeps retrying a write (with backoff) while MySQL is unreachable, so the
     * searches it already paid for are not thrown away (0: no retry).
     */
    readonly storeRetryMs: number;
  };
  /** How long SIGTERM waits for in-flight requests (API) or the running job (worker). */
  readonly shutdownGraceMs: number;
  /** Newest rows a search reads in order before it turns to the FULLTEXT index (0: index only). */
  readonly search: { readonly windowRows: number };
  /**
   * Keys the HMAC of list and search cursors. Unset, it is derived from the deployment's
   * database URL and Redis prefix: the same for every process of a deployment, not guessable
   * from outside it.
   */
  readonly cursorSecret: Secret;
  /**
   * /metrics: with port 0, served on the API's port behind admin credentials; otherwise on its
   * own listener (host, port) without credentials, for a scraper on a private network.
   */
  readonly metrics: { readonly host: string; readonly port: number };
  /** Admin surfaces (Bull Board, key and query management) are off without a password. */
  readonly admin: {
    readonly user: string;
    readonly password: Secret | null;
    /** Failed logins per client within `failureWindowMs` before every attempt gets 429 (0: no limit). */
    readonly maxFailures: number;
    readonly failureWindowMs: number;
  };
}

/** Variables whose values never appear in error messages. */
const SECRET_VARIABLES = new Set(['YOUTUBE_API_KEYS', 'SIMULATOR_KEYS', 'ADMIN_PASSWORD', 'CURSOR_SECRET']);

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type EnvSource = Readonly<Record<string, string | undefined>>;

/**
 * Parses and validates the environment. Empty strings count as "not set" so that a
 * `.env` copied from `.env.sample` with blank values falls back to the defaults.
 */
export function loadConfig(env: EnvSource): Config {
  const cleaned: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') cleaned[name] = value.trim();
  }
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = issue.path.join('.');
        const got = SECRET_VARIABLES.has(name) ? undefined : cleaned[name];
        return `${name}: ${issue.message}${got === undefined ? '' : ` (got "${got.slice(0, 80)}")`}`;
      }),
    );
  }
  const e = result.data;
  // The offline demo (npm start, docker compose): with no real keys, fetch from the YouTube
  // simulator instead. Real keys always win, so they can never be sent to the simulator.
  const simulated = e.YOUTUBE_API_KEYS.length === 0 && e.SIMULATOR_URL !== '' && e.SIMULATOR_KEYS.length > 0;
  return deepFreeze({
    env: e.NODE_ENV,
    http: { host: e.HOST, port: e.PORT, trustProxy: e.TRUST_PROXY },
    rateLimit: { max: e.RATE_LIMIT_MAX, windowMs: e.RATE_LIMIT_WINDOW_MS },
    cors: { origins: e.CORS_ORIGINS },
    log: { level: e.LOG_LEVEL, format: e.LOG_FORMAT },
    mysql: {
      url: e.MYSQL_URL,
      poolSize: e.MYSQL_POOL_SIZE,
      connectTimeoutMs: e.MYSQL_CONNECT_TIMEOUT_MS,
      acquireTimeoutMs: e.MYSQL_ACQUIRE_TIMEOUT_MS,
      queryTimeoutMs: { api: e.MYSQL_QUERY_TIMEOUT_MS, worker: e.MYSQL_WORKER_QUERY_TIMEOUT_MS },
    },
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX },
    youtube: {
      source: simulated ? 'simulator' : 'youtube',
      apiKeys: (simulated ? e.SIMULATOR_KEYS : e.YOUTUBE_API_KEYS).map((key) => new Secret(key)),
      apiRoot: simulated ? e.SIMULATOR_URL : e.YOUTUBE_API_ROOT,
      timeoutMs: e.YOUTUBE_TIMEOUT_MS,
      dailyQuota: simulated ? e.SIMULATOR_DAILY_QUOTA : e.YOUTUBE_DAILY_QUOTA,
    },
    fetch: {
      queries: e.SEARCH_QUERIES,
      intervalMs: e.FETCH_INTERVAL_MS,
      overlapMs: e.FETCH_OVERLAP_MS,
      lookbackMs: e.FETCH_LOOKBACK_MS,
      maxPages: e.FETCH_MAX_PAGES,
      pacing: e.QUOTA_PACING === 'on',
      jobLockMs: e.FETCH_JOB_LOCK_MS,
      storeRetryMs: e.FETCH_STORE_RETRY_MS,
    },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    search: { windowRows: e.SEARCH_WINDOW_ROWS },
    cursorSecret: new Secret(
      e.CURSOR_SECRET !== ''
        ? e.CURSOR_SECRET
        : createHash('sha256').update(`tubefeed-cursor\n${e.MYSQL_URL}\n${e.REDIS_PREFIX}`).digest('base64url'),
    ),
    metrics: { host: e.METRICS_HOST, port: e.METRICS_PORT },
    admin: {
      user: e.ADMIN_USER,
      password: e.ADMIN_PASSWORD === '' ? null : new Secret(e.ADMIN_PASSWORD),
      maxFailures: e.ADMIN_AUTH_MAX_FAILURES,
      failureWindowMs: e.ADMIN_AUTH_WINDOW_MS,
    },
  });
}

/**
 * The process environment merged over a `.env` file in the working directory (when one
 * exists); real environment variables win, as with dotenv's defaults. Only composition roots
 * (servers, workers, command-line tools) call this; everything else receives a `Config`.
 */
export function readProcessEnvironment(cwd: string = process.cwd()): EnvSource {
  const file = `${cwd}/.env`;
  const fromFile = existsSync(file) ? parseDotenv(readFileSync(file)) : {};
  return { ...fromFile, ...process.env };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
