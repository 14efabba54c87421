// The one place that reads the environment. `loadConfig(env)` validates every variable against a
// schema, reports all problems at once (each with the variable's name), and returns a frozen
// object that the composition roots pass down. Nothing else reads `process.env`.
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import { CHANNEL_REF_RULE, parseChannelRef } from './channel-ref.js';
import { checkOperatorText, QUERY_TEXT_MAX_LENGTH } from './operator-text.js';
import { Secret } from './secret.js';
import { parseRedisUrl, REDIS_URL_FORMS } from './redis/redis-url.js';

/** An integer variable: the message names the range, whatever was wrong (not a number, a fraction, out of range). */
const int = (min: number, max: number) =>
  z.string().transform((value, context) => {
    const parsed = /^[+-]?\d+$/.test(value) ? Number(value) : Number.NaN;
    if (Number.isSafeInteger(parsed) && parsed >= min && parsed <= max) return parsed;
    context.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max}` });
    return z.NEVER;
  });
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

/** An address to listen on: an IPv4 or IPv6 address, or a host name (letters, digits, - and dots). */
const host = () =>
  z.string().refine((value) => isIP(value) !== 0 || /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/.test(value), {
    message: 'must be an IP address (127.0.0.1, 0.0.0.0, ::) or a host name',
  });

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: host().default('127.0.0.1'),
  PORT: int(0, 65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  MYSQL_URL: url(['mysql:', 'mariadb:'])
    .refine((value) => namesDatabase(value), { message: 'must name a database, e.g. mysql://root@127.0.0.1:3306/tubefeed' })
    .default('mysql://root@127.0.0.1:3306/tubefeed'),
  MYSQL_READ_URL: url(['mysql:', 'mariadb:'])
    .refine((value) => namesDatabase(value), { message: 'must name a database, e.g. mysql://reader@replica:3306/tubefeed' })
    .optional(),
  MYSQL_POOL_SIZE: int(1, 200).default(10),
  MYSQL_CONNECT_TIMEOUT_MS: int(100, 60_000).default(1000),
  MYSQL_ACQUIRE_TIMEOUT_MS: int(100, 60_000).default(500),
  MYSQL_QUERY_TIMEOUT_MS: int(100, 600_000).default(1000),
  MYSQL_WORKER_QUERY_TIMEOUT_MS: int(1000, 3_600_000).default(30_000),
  REDIS_URL: z
    .string()
    .refine((value) => parseRedisUrl(value) !== null, { message: `must be ${REDIS_URL_FORMS}` })
    .default('redis://127.0.0.1:6379'),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 letters, digits or _ . : -')
    .default('tubefeed'),
  YOUTUBE_API_KEYS: z
    .string()
    .default('')
    .transform((value) => list(value))
    .refine((entries) => entries.every((entry) => parseKeyEntry(entry) !== undefined), {
      message:
        'must be a comma-separated list of API keys (letters, digits, _ and -), each optionally preceded by its ' +
        'Google Cloud project and a colon (project:key; a project is 1-64 letters, digits or _ . -)',
    }),
  YOUTUBE_API_ROOT: url(['https:', 'http:']).default('https://youtube.googleapis.com/'),
  YOUTUBE_TIMEOUT_MS: int(100, 120_000).default(10_000),
  YOUTUBE_SEARCH_CALLS_PER_DAY: int(1, 100_000_000).optional(),
  YOUTUBE_UNITS_PER_DAY: int(1, 1_000_000_000).optional(),
  /** Deprecated (one release): units per key with a search costing 100. */
  YOUTUBE_DAILY_QUOTA: int(100, 100_000_000).optional(),
  // Each query is operator text (operator-text.ts), held to the admin API's rule: the same
  // query followed either way is the same text, and a refusal names the query and character.
  SEARCH_QUERIES: z
    .string()
    .default('cricket')
    .transform((value, context) => {
      const queries = new Set<string>();
      // A problem points where the operator looks: queries numbered without the blank items
      // (",,"), positions counted from the query's first character, not from the comma, and the
      // query itself echoed (loadConfig's "got"), not the start of the whole list.
      let number = 0;
      for (const item of value.split(',')) {
        const query = item.trim();
        if (query === '') continue;
        number += 1;
        const checked = checkOperatorText(`query ${number}`, query, QUERY_TEXT_MAX_LENGTH);
        if (checked.ok) queries.add(checked.text);
        else context.addIssue({ code: 'custom', message: checked.problem, params: { got: query } });
      }
      return [...queries];
    }),
  FETCH_INTERVAL_MS: int(1000, 86_400_000).default(10_000),
  FETCH_OVERLAP_MS: int(0, 7 * 86_400_000).default(600_000),
  FETCH_LOOKBACK_MS: int(60_000, 365 * 86_400_000).default(3_600_000),
  FETCH_SWEEP_DELAYS_MS: z
    .string()
    .default('3600000,46800000')
    .transform((value, context) => {
      if (value.toLowerCase() === 'none') return [];
      const delays = list(value).map(Number);
      if (delays.length <= 5 && delays.every((d) => Number.isInteger(d) && d >= 60_000 && d <= 7 * 86_400_000)) return delays;
      context.addIssue({ code: 'custom', message: 'must be none, or a comma-separated list of up to 5 delays in ms, each from 60000 (1 min) to 604800000 (7 days)' });
      return z.NEVER;
    }),
  FETCH_MAX_PAGES: int(2, 20).default(5),
  FETCH_STORE_RETRY_MS: int(0, 3_600_000).default(60_000),
  QUOTA_PACING: z.enum(['on', 'off']).default('on'),
  FETCH_JOB_LOCK_MS: int(1000, 600_000).default(30_000),
  FETCH_CONCURRENCY: int(1, 64).default(4),
  SHUTDOWN_GRACE_MS: int(0, 60_000).default(7000),
  FEED_LOG_MAX_LENGTH: int(100, 10_000_000).default(10_000),
  FEED_LOG_MAX_AGE_MS: int(60_000, 30 * 86_400_000).default(86_400_000),
  FEED_RELAY_INTERVAL_MS: int(50, 60_000).default(1000),
  SSE_HEARTBEAT_MS: int(1000, 300_000).default(15_000),
  SSE_POLL_MS: int(100, 60_000).default(2000),
  SSE_MAX_CLIENTS: int(1, 1_000_000).default(5000),
  SSE_MAX_CLIENTS_PER_ADDRESS: int(0, 1_000_000).default(100),
  CURSOR_SECRET: z.string().max(200).default(''),
  SEARCH_WINDOW_ROWS: int(0, 1_000_000).default(2000),
  SIMULATOR_URL: z.union([z.literal(''), url(['http:', 'https:'])]).default(''),
  SIMULATOR_KEYS: z
    .string()
    .default('')
    .transform((value) => list(value))
    .refine((entries) => entries.every((entry) => parseKeyEntry(entry) !== undefined), {
      message: 'must be a comma-separated list of API keys (letters, digits, _ and -), as the simulator prints them',
    }),
  SIMULATOR_SEARCH_CALLS_PER_DAY: int(1, 100_000_000).optional(),
  SIMULATOR_UNITS_PER_DAY: int(1, 1_000_000_000).optional(),
  /** Deprecated (one release), as YOUTUBE_DAILY_QUOTA. */
  SIMULATOR_DAILY_QUOTA: int(100, 100_000_000).optional(),
  METRICS_PORT: int(0, 65535).default(0),
  METRICS_HOST: host().default('127.0.0.1'),
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
  // Client connections (apps/api/src/plugins/connection-guard.ts): how long a client may take to
  // send its request, how long an idle keep-alive connection stays open, and how many
  // connections one API process holds (by default as many as its open-file limit allows).
  HTTP_HEADERS_TIMEOUT_MS: int(1000, 600_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: int(1000, 3_600_000).default(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(1000, 3_600_000).default(72_000),
  HTTP_MAX_CONNECTIONS: int(1, 1_000_000).optional(),
  // Webhook deliveries (feed/webhook-queue.ts): each is retried with exponential backoff (base,
  // doubling, capped per attempt) for up to WEBHOOK_RETRY_FOR_MS, then stays failed in Bull Board.
  WEBHOOK_RETRY_FOR_MS: int(0, 30 * 86_400_000).default(86_400_000),
  WEBHOOK_BACKOFF_BASE_MS: int(10, 3_600_000).default(10_000),
  WEBHOOK_BACKOFF_MAX_MS: int(10, 86_400_000).default(3_600_000),
  WEBHOOK_TIMEOUT_MS: int(100, 120_000).default(10_000),
  WEBHOOK_CONCURRENCY: int(1, 256).default(8),
  // Enrichment (ingest/enrich-service.ts): stored videos read with videos.list (units bucket, 1
  // unit per 50 videos) every ENRICH_INTERVAL_MS, within a per-run and a per-day budget, paced
  // over the quota day, never touching the last ENRICH_UNITS_RESERVE units of any project.
  ENRICH_INTERVAL_MS: int(5000, 86_400_000).default(60_000),
  ENRICH_UNITS_PER_RUN: int(1, 10_000).default(20),
  ENRICH_UNITS_PER_DAY: int(0, 100_000_000).default(5000),
  ENRICH_UNITS_RESERVE: int(0, 1_000_000).default(500),
  // Followed channels (ingest/channel-poll-service.ts): each one's uploads playlist read with
  // playlistItems.list (1 unit a page) every CHANNEL_POLL_INTERVAL_MS at most, paced so that all
  // channels together spend at most CHANNEL_UNITS_SHARE of the usable projects' daily units.
  YOUTUBE_CHANNELS: z
    .string()
    .default('')
    .transform((value, context) => {
      const channels = new Set<string>();
      for (const item of list(value)) {
        if (parseChannelRef(item) === null) context.addIssue({ code: 'custom', message: `each entry must be ${CHANNEL_REF_RULE}`, params: { got: item } });
        else channels.add(item);
      }
      return [...channels];
    }),
  CHANNEL_POLL_INTERVAL_MS: int(10_000, 86_400_000).default(90_000),
  CHANNEL_UNITS_SHARE: z
    .string()
    .default('0.5')
    .transform((value, context) => {
      const share = /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(value) ? Number(value) : Number.NaN;
      if (share > 0 && share <= 1) return share;
      context.addIssue({ code: 'custom', message: 'must be a number above 0 and at most 1 (the share of the daily units followed channels may spend)' });
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

/** A MySQL URL with a database path (an unparsable URL is the protocol check's to report). */
function namesDatabase(value: string): boolean {
  try {
    return decodeURIComponent(new URL(value).pathname.replace(/^\//, '')) !== '';
  } catch {
    return true;
  }
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

export const API_KEY_PATTERN = /^[A-Za-z0-9_-]{6,100}$/;
/** A Google Cloud project as operators name it: letters, digits and _ . - (never a colon). */
export const PROJECT_LABEL_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** A configured key: the key, and the project whose quota it shares (null: a project of its own). */
export interface ConfiguredKey {
  readonly key: Secret;
  readonly project: string | null;
}

/** `key` or `project:key` (keys never contain a colon, so the first one separates them). */
function parseKeyEntry(entry: string): { key: string; project: string | null } | undefined {
  const colon = entry.indexOf(':');
  const project = colon === -1 ? null : entry.slice(0, colon);
  const key = colon === -1 ? entry : entry.slice(colon + 1);
  if (!API_KEY_PATTERN.test(key)) return undefined;
  if (project !== null && !PROJECT_LABEL_PATTERN.test(project)) return undefined;
  return { key, project };
}

/** YouTube's daily quota of one Google Cloud project, by bucket (see youtube-api.md). */
export interface ProjectQuota {
  /** search.list calls per Pacific day (1 per call, every page). */
  readonly searchCallsPerDay: number;
  /** Units per Pacific day for every other read method together (videos.list etc., 1 per call). */
  readonly unitsPerDay: number;
}

/**
 * The quota from the new variables, or from the deprecated single figure (units with a search
 * costing 100, as older documentation counted) while it is still accepted; says what it did.
 */
function projectQuota(
  names: { search: string; units: string; legacy: string },
  values: { search?: number | undefined; units?: number | undefined; legacy?: number | undefined },
  defaults: ProjectQuota,
  warnings: string[],
): ProjectQuota {
  const { search, units, legacy } = values;
  if (legacy !== undefined) {
    if (search !== undefined || units !== undefined) {
      warnings.push(`${names.legacy} is deprecated and ignored because ${names.search}/${names.units} are set; remove it.`);
    } else {
      const derived = { searchCallsPerDay: Math.floor(legacy / 100), unitsPerDay: legacy };
      warnings.push(
        `${names.legacy} is deprecated and will be removed in the next release: YouTube counts searches (${names.search}, ` +
          `default ${defaults.searchCallsPerDay} calls a day) apart from every other method (${names.units}, default ` +
          `${defaults.unitsPerDay} units a day). Read ${legacy} as ${derived.searchCallsPerDay} searches and ${derived.unitsPerDay} units a day per project.`,
      );
      return derived;
    }
  }
  return { searchCallsPerDay: search ?? defaults.searchCallsPerDay, unitsPerDay: units ?? defaults.unitsPerDay };
}

/** YouTube's defaults per Google Cloud project. */
export const YOUTUBE_DEFAULT_QUOTA: ProjectQuota = Object.freeze({ searchCallsPerDay: 100, unitsPerDay: 10_000 });
/** The offline demo's simulated keys get plenty, so the feed keeps moving all day. */
export const SIMULATOR_DEFAULT_QUOTA: ProjectQuota = Object.freeze({ searchCallsPerDay: 10_000, unitsPerDay: 1_000_000 });

/**
 * Descriptors kept free for everything but client connections: the MySQL pools (up to 200 each
 * for the primary and the replica), Redis, the logs and Node's own. A small limit keeps half.
 */
export const RESERVED_FILE_DESCRIPTORS = 512;
/**
 * The most client connections a process holds by default, whatever its open-file limit (often
 * a million in containers): each open connection costs memory, about 10 KB even when idle.
 */
export const DEFAULT_MAX_CONNECTIONS = 10_000;

/** The soft open-file limit of this process from /proc/self/limits (Linux); null when unknown or unlimited. */
export function readOpenFileLimit(): number | null {
  let limits: string;
  try {
    limits = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    // Not Linux (or no /proc): the cap falls back to DEFAULT_MAX_CONNECTIONS.
    return null;
  }
  const soft = /^Max open files\s+(\d+)\s/m.exec(limits)?.[1];
  return soft === undefined ? null : Number(soft);
}

/**
 * HTTP_MAX_CONNECTIONS as it can be honoured: at most the open-file limit less the reserve
 * (more would let client connections starve MySQL and Redis of descriptors), lowered with a
 * warning when set higher; unset, that room up to DEFAULT_MAX_CONNECTIONS.
 */
function connectionCap(explicit: number | undefined, openFileLimit: number | null, warnings: string[]): number {
  if (openFileLimit === null) return explicit ?? DEFAULT_MAX_CONNECTIONS;
  const room = Math.max(1, openFileLimit - Math.min(RESERVED_FILE_DESCRIPTORS, Math.floor(openFileLimit / 2)));
  if (explicit === undefined) return Math.min(room, DEFAULT_MAX_CONNECTIONS);
  if (explicit <= room) return explicit;
  warnings.push(
    `HTTP_MAX_CONNECTIONS=${explicit} is more than this process's open-file limit (${openFileLimit}) leaves for client ` +
      `connections once ${openFileLimit - room} are kept for MySQL, Redis and logs; using ${room}. Raise the limit (ulimit -n, ` +
      `or the container's nofile ulimit) to hold more.`,
  );
  return room;
}

/** Problems between variables that are each valid alone (reported with the others). */
function relatedProblems(cleaned: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  const headers = schema.shape.HTTP_HEADERS_TIMEOUT_MS.safeParse(cleaned.HTTP_HEADERS_TIMEOUT_MS);
  const request = schema.shape.HTTP_REQUEST_TIMEOUT_MS.safeParse(cleaned.HTTP_REQUEST_TIMEOUT_MS);
  if (headers.success && request.success && request.data < headers.data) {
    problems.push(
      `HTTP_REQUEST_TIMEOUT_MS: must be at least HTTP_HEADERS_TIMEOUT_MS (${headers.data}), since a request's headers are part of ` +
        `the request (got "${request.data}")`,
    );
  }
  const backoffBase = schema.shape.WEBHOOK_BACKOFF_BASE_MS.safeParse(cleaned.WEBHOOK_BACKOFF_BASE_MS);
  const backoffMax = schema.shape.WEBHOOK_BACKOFF_MAX_MS.safeParse(cleaned.WEBHOOK_BACKOFF_MAX_MS);
  if (backoffBase.success && backoffMax.success && backoffMax.data < backoffBase.data) {
    problems.push(`WEBHOOK_BACKOFF_MAX_MS: must be at least WEBHOOK_BACKOFF_BASE_MS (${backoffBase.data}) (got "${backoffMax.data}")`);
  }
  return problems;
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
  /** Settings that were accepted but deserve a word at boot (deprecated variables). */
  readonly warnings: readonly string[];
  readonly http: {
    readonly host: string;
    readonly port: number;
    /** Fastify's trustProxy: false (the default), true, or the trusted proxies' addresses/CIDRs. */
    readonly trustProxy: boolean | readonly string[];
    /** A request's headers must arrive within this, from its first byte (or the connection's opening); 408 past it. */
    readonly headersTimeoutMs: number;
    /** The whole request (headers and body) must arrive within this; at least headersTimeoutMs. */
    readonly requestTimeoutMs: number;
    /** An idle keep-alive connection is closed after this; longer than any load balancer's idle timeout in front. */
    readonly keepAliveTimeoutMs: number;
    /** Client connections one process holds open (connection-guard.ts); below its open-file limit. */
    readonly maxConnections: number;
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
    /**
     * A replica for reads that may lag (listing beyond page 1, search); null: every read goes to
     * `url`. Writes, migrations and reads that must see their own writes stay on `url`.
     */
    readonly readUrl: string | null;
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
    readonly apiKeys: readonly ConfiguredKey[];
    readonly apiRoot: string;
    readonly timeoutMs: number;
    /** Each Google Cloud project's daily quota (keys of one project share it). */
    readonly quota: ProjectQuota;
  };
  readonly fetch: {
    readonly queries: readonly string[];
    readonly intervalMs: number;
    readonly overlapMs: number;
    readonly lookbackMs: number;
    /**
     * Later looks at past windows for videos search indexed late (fetch-service.ts), in ms
     * after publication; the deepest bounds how late a video may be indexed and still be found.
     */
    readonly sweepDelaysMs: readonly number[];
    readonly maxPages: number;
    /** Spread each day's quota evenly until Pacific midnight (ingest/pacing.ts). */
    readonly pacing: boolean;
    /**
     * Lifetime of a running fetch job's lock (renewed at half of it). A worker that dies while
     * holding one holds up fetching until it expires and the stalled check (same period) frees
     * the job.
     */
    readonly jobLockMs: number;
    /**
     * Fetch runs one worker process carries out at once, each of a different query (a query's
     * runs never overlap: fetch-lease.ts). The cluster runs up to this many per worker process.
     */
    readonly concurrency: number;
    /**
     * How long a run keeps retrying a write (with backoff) while MySQL is unreachable, so the
     * searches it already paid for are not thrown away (0: no retry).
     */
    readonly storeRetryMs: number;
  };
  /** How long SIGTERM waits for in-flight requests (API) or the running job (worker). */
  readonly shutdownGraceMs: number;
  /**
   * The push side (feed/feed-log.ts): each feed's Redis Stream keeps its newest `maxLength`
   * events and none older than `maxAgeMs`; a client reconnecting within them misses nothing.
   * The worker relays stored events at least every `relayIntervalMs` (at once after a store);
   * SSE connections get a comment every `heartbeatMs`, and each API process reads the streams
   * its clients follow on every change notice and at least every `pollMs`.
   */
  readonly push: {
    readonly logMaxLength: number;
    readonly logMaxAgeMs: number;
    readonly relayIntervalMs: number;
    readonly heartbeatMs: number;
    readonly pollMs: number;
    /** Event streams one API process holds at most; more answer 503 (the API takes at most half its connection cap). */
    readonly maxClients: number;
    /** Event streams one client address holds at most (0: no limit). */
    readonly maxClientsPerAddress: number;
  };
  /** Newest rows a search reads in order before it turns to the FULLTEXT index (0: index only). */
  readonly search: { readonly windowRows: number };
  /**
   * Keys the HMAC of list and search cursors (CURSOR_SECRET). Null when unset: the API then
   * uses a random secret made once and kept in MySQL for every process of the deployment
   * (db/service-secrets.ts), never one derived from other settings.
   */
  readonly cursorSecret: Secret | null;
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
  /**
   * Webhook deliveries (feed/webhook-queue.ts): a delivery that fails (non-2xx, network error,
   * timeout) is tried again after backoffBaseMs, doubling each time up to backoffMaxMs, for as
   * many attempts as fit in retryForMs; then it stays failed (Bull Board can retry it). Each
   * attempt waits timeoutMs at most; a worker process makes `concurrency` deliveries at once.
   */
  readonly webhooks: {
    readonly retryForMs: number;
    readonly backoffBaseMs: number;
    readonly backoffMaxMs: number;
    readonly timeoutMs: number;
    readonly concurrency: number;
  };
  /**
   * Enrichment with videos.list (ingest/enrich-budget.ts): a run every intervalMs spends at most
   * perRunUnits, and at most perDayUnits a Pacific day (0: no cap but the reserve), spread over
   * the runs left until midnight; reserveUnits of every project's units bucket are never used.
   */
  readonly enrich: {
    readonly intervalMs: number;
    readonly perRunUnits: number;
    readonly perDayUnits: number;
    readonly reserveUnits: number;
  };
  /**
   * Followed channels (ingest/channel-pacing.ts): YOUTUBE_CHANNELS (ids or @handles) followed at
   * boot; each polled at most every pollIntervalMs, all together within unitsShare of the daily
   * units of the usable projects.
   */
  readonly channels: {
    readonly configured: readonly string[];
    readonly pollIntervalMs: number;
    readonly unitsShare: number;
  };
}

/** Variables whose values never appear in error messages. */
const SECRET_VARIABLES = new Set(['YOUTUBE_API_KEYS', 'SIMULATOR_KEYS', 'ADMIN_PASSWORD', 'CURSOR_SECRET']);
/** URL variables echoed in error messages with their credentials masked. */
const URL_WITH_PASSWORD_VARIABLES = new Set(['MYSQL_URL', 'MYSQL_READ_URL', 'REDIS_URL', 'YOUTUBE_API_ROOT', 'SIMULATOR_URL']);

/** Query parameters that may carry a credential (`?password=` is read by ioredis, `?key=` by APIs). */
const SECRET_PARAMETER = /([?&;][^=&;#]*(pass|pwd|secret|token|key|auth|cred)[^=&;#]*=)[^&;#]*/gi;

/**
 * A URL with its credentials masked, parsable or not: `scheme://user:secret@host` as
 * `scheme://user:***@host` (an unencoded / or @ in the password included: everything from the
 * user's colon to the last @ is hidden), and the values of query parameters named like a
 * credential (`?password=…`, `?api_key=…`) as `***`.
 */
function maskUrlPassword(value: string): string {
  const masked = value.replace(SECRET_PARAMETER, '$1***');
  const at = masked.lastIndexOf('@');
  if (at === -1) return masked;
  const scheme = masked.indexOf('//');
  const colon = masked.indexOf(':', scheme === -1 || scheme > at ? 0 : scheme + 2);
  return colon === -1 || colon > at ? masked : `${masked.slice(0, colon)}:***${masked.slice(at)}`;
}

/** What a variable accepts, in words (zod's own messages speak of types, not of settings). */
function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'too_big':
      return issue.origin === 'string' ? `must be at most ${String(issue.maximum)} characters` : issue.message;
    case 'too_small':
      return issue.origin === 'string' ? `must be at least ${String(issue.minimum)} characters` : issue.message;
    default:
      return issue.message;
  }
}

/**
 * A value echoed in one line: control, line-separator and bidirectional characters shown as
 * escapes, so a problem stays one line and reads on a terminal as it was written; so are
 * invisible ones (format, default-ignorable and private-use characters, lone surrogates, the
 * braille blank), so the character a problem names can be seen where it is.
 */
function printable(value: string): string {
  return value.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cs}\p{Default_Ignorable_Code_Point}\u2800"\\]/gu, (c) => {
    if (c === '"' || c === '\\') return `\\${c}`;
    const cp = c.codePointAt(0)!;
    return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
  });
}

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
export function loadConfig(env: EnvSource, host: { readonly openFileLimit: number | null } = { openFileLimit: readOpenFileLimit() }): Config {
  const cleaned: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') cleaned[name] = value.trim();
  }
  const result = schema.safeParse(cleaned);
  const related = relatedProblems(cleaned);
  if (!result.success || related.length > 0) {
    throw new ConfigError([
      ...(result.success ? [] : result.error.issues).map((issue) => {
        const name = issue.path.join('.');
        // A list item at fault (SEARCH_QUERIES) is echoed alone rather than the variable's start.
        const echoed: unknown = issue.code === 'custom' ? (issue.params?.got ?? cleaned[name]) : cleaned[name];
        const raw = SECRET_VARIABLES.has(name) || typeof echoed !== 'string' ? undefined : echoed;
        const got = raw !== undefined && URL_WITH_PASSWORD_VARIABLES.has(name) ? maskUrlPassword(raw) : raw;
        return `${name}: ${describeIssue(issue)}${got === undefined ? '' : ` (got "${printable(got.slice(0, 80))}")`}`;
      }),
      ...related,
    ]);
  }
  const e = result.data;
  // The offline demo (npm start, docker compose): with no real keys, fetch from the YouTube
  // simulator instead. Real keys always win, so they can never be sent to the simulator.
  const simulated = e.YOUTUBE_API_KEYS.length === 0 && e.SIMULATOR_URL !== '' && e.SIMULATOR_KEYS.length > 0;
  const warnings: string[] = [];
  const quota = simulated
    ? projectQuota(
        { search: 'SIMULATOR_SEARCH_CALLS_PER_DAY', units: 'SIMULATOR_UNITS_PER_DAY', legacy: 'SIMULATOR_DAILY_QUOTA' },
        { search: e.SIMULATOR_SEARCH_CALLS_PER_DAY, units: e.SIMULATOR_UNITS_PER_DAY, legacy: e.SIMULATOR_DAILY_QUOTA },
        SIMULATOR_DEFAULT_QUOTA,
        warnings,
      )
    : projectQuota(
        { search: 'YOUTUBE_SEARCH_CALLS_PER_DAY', units: 'YOUTUBE_UNITS_PER_DAY', legacy: 'YOUTUBE_DAILY_QUOTA' },
        { search: e.YOUTUBE_SEARCH_CALLS_PER_DAY, units: e.YOUTUBE_UNITS_PER_DAY, legacy: e.YOUTUBE_DAILY_QUOTA },
        YOUTUBE_DEFAULT_QUOTA,
        warnings,
      );
  const keyEntries = (simulated ? e.SIMULATOR_KEYS : e.YOUTUBE_API_KEYS).map((entry) => parseKeyEntry(entry) ?? { key: entry, project: null });
  return deepFreeze({
    env: e.NODE_ENV,
    warnings,
    http: {
      host: e.HOST,
      port: e.PORT,
      trustProxy: e.TRUST_PROXY,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: connectionCap(e.HTTP_MAX_CONNECTIONS, host.openFileLimit, warnings),
    },
    rateLimit: { max: e.RATE_LIMIT_MAX, windowMs: e.RATE_LIMIT_WINDOW_MS },
    cors: { origins: e.CORS_ORIGINS },
    log: { level: e.LOG_LEVEL, format: e.LOG_FORMAT },
    mysql: {
      url: e.MYSQL_URL,
      readUrl: e.MYSQL_READ_URL ?? null,
      poolSize: e.MYSQL_POOL_SIZE,
      connectTimeoutMs: e.MYSQL_CONNECT_TIMEOUT_MS,
      acquireTimeoutMs: e.MYSQL_ACQUIRE_TIMEOUT_MS,
      queryTimeoutMs: { api: e.MYSQL_QUERY_TIMEOUT_MS, worker: e.MYSQL_WORKER_QUERY_TIMEOUT_MS },
    },
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX },
    youtube: {
      source: simulated ? 'simulator' : 'youtube',
      apiKeys: keyEntries.map(({ key, project }) => ({ key: new Secret(key), project })),
      apiRoot: simulated ? e.SIMULATOR_URL : e.YOUTUBE_API_ROOT,
      timeoutMs: e.YOUTUBE_TIMEOUT_MS,
      quota,
    },
    fetch: {
      queries: e.SEARCH_QUERIES,
      intervalMs: e.FETCH_INTERVAL_MS,
      overlapMs: e.FETCH_OVERLAP_MS,
      lookbackMs: e.FETCH_LOOKBACK_MS,
      sweepDelaysMs: e.FETCH_SWEEP_DELAYS_MS,
      maxPages: e.FETCH_MAX_PAGES,
      pacing: e.QUOTA_PACING === 'on',
      jobLockMs: e.FETCH_JOB_LOCK_MS,
      concurrency: e.FETCH_CONCURRENCY,
      storeRetryMs: e.FETCH_STORE_RETRY_MS,
    },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    push: {
      logMaxLength: e.FEED_LOG_MAX_LENGTH,
      logMaxAgeMs: e.FEED_LOG_MAX_AGE_MS,
      relayIntervalMs: e.FEED_RELAY_INTERVAL_MS,
      heartbeatMs: e.SSE_HEARTBEAT_MS,
      pollMs: e.SSE_POLL_MS,
      maxClients: e.SSE_MAX_CLIENTS,
      maxClientsPerAddress: e.SSE_MAX_CLIENTS_PER_ADDRESS,
    },
    search: { windowRows: e.SEARCH_WINDOW_ROWS },
    cursorSecret: e.CURSOR_SECRET === '' ? null : new Secret(e.CURSOR_SECRET),
    metrics: { host: e.METRICS_HOST, port: e.METRICS_PORT },
    admin: {
      user: e.ADMIN_USER,
      password: e.ADMIN_PASSWORD === '' ? null : new Secret(e.ADMIN_PASSWORD),
      maxFailures: e.ADMIN_AUTH_MAX_FAILURES,
      failureWindowMs: e.ADMIN_AUTH_WINDOW_MS,
    },
    webhooks: {
      retryForMs: e.WEBHOOK_RETRY_FOR_MS,
      backoffBaseMs: e.WEBHOOK_BACKOFF_BASE_MS,
      backoffMaxMs: e.WEBHOOK_BACKOFF_MAX_MS,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      concurrency: e.WEBHOOK_CONCURRENCY,
    },
    enrich: {
      intervalMs: e.ENRICH_INTERVAL_MS,
      perRunUnits: e.ENRICH_UNITS_PER_RUN,
      perDayUnits: e.ENRICH_UNITS_PER_DAY,
      reserveUnits: e.ENRICH_UNITS_RESERVE,
    },
    channels: {
      configured: e.YOUTUBE_CHANNELS,
      pollIntervalMs: e.CHANNEL_POLL_INTERVAL_MS,
      unitsShare: e.CHANNEL_UNITS_SHARE,
    },
  });
}

/**
 * `loadConfig` for a process's entry point: invalid settings print one line each on stderr
 * (`api: invalid setting PORT: must be an integer from 0 to 65535 (got "abc")`), then the process exits with
 * status 1, without a stack trace: the lines are the whole story. Other errors are thrown.
 */
export function loadConfigOrExit(env: EnvSource, processName: string): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Writes to a pipe or file are synchronous on Linux, so nothing is lost to the exit.
    process.stderr.write(error.problems.map((problem) => `${processName}: invalid setting ${problem}\n`).join(''));
    process.exit(1);
  }
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
