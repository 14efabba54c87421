import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_VARIABLES,
  ConfigError,
  DEFAULT_MAX_CONNECTIONS,
  RESERVED_FILE_DESCRIPTORS,
  loadConfig,
  readOpenFileLimit,
  readProcessEnvironment,
} from './config.js';
import { parse as parseDotenv } from 'dotenv';
import { readFileSync } from 'node:fs';

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const { cursorSecret, ...config } = loadConfig({});
    // Unset: the API uses the deployment's own secret, kept in MySQL (never derived from settings).
    expect(cursorSecret).toBeNull();
    expect(loadConfig({ CURSOR_SECRET: 'set by the operator' }).cursorSecret?.reveal()).toBe('set by the operator');
    expect(config).toEqual({
      env: 'development',
      warnings: [],
      http: {
        host: '127.0.0.1',
        port: 3000,
        trustProxy: false,
        headersTimeoutMs: 10_000,
        requestTimeoutMs: 30_000,
        keepAliveTimeoutMs: 72_000,
        // From this process's open-file limit (tested below).
        maxConnections: loadConfig({}).http.maxConnections,
      },
      rateLimit: { max: 1000, windowMs: 60_000 },
      cors: { origins: [] },
      log: { level: 'info', format: 'json' },
      mysql: {
        url: 'mysql://root@127.0.0.1:3306/tubefeed',
        readUrl: null,
        poolSize: 10,
        connectTimeoutMs: 1000,
        acquireTimeoutMs: 500,
        queryTimeoutMs: { api: 1000, worker: 30_000 },
      },
      redis: { url: 'redis://127.0.0.1:6379', prefix: 'tubefeed' },
      youtube: {
        source: 'youtube',
        apiKeys: [],
        apiRoot: 'https://youtube.googleapis.com/',
        timeoutMs: 10_000,
        quota: { searchCallsPerDay: 100, unitsPerDay: 10_000 },
      },
      fetch: {
        queries: ['cricket'],
        intervalMs: 10_000,
        overlapMs: 600_000,
        lookbackMs: 3_600_000,
        sweepDelaysMs: [3_600_000, 46_800_000],
        maxPages: 5,
        pacing: true,
        jobLockMs: 30_000,
        concurrency: 4,
        storeRetryMs: 60_000,
      },
      shutdownGraceMs: 7000,
      push: { logMaxLength: 10_000, logMaxAgeMs: 86_400_000, relayIntervalMs: 1000, heartbeatMs: 15_000, pollMs: 2000, maxClients: 5000, maxClientsPerAddress: 100 },
      search: { windowRows: 2000 },
      metrics: { host: '127.0.0.1', port: 0 },
      admin: { user: 'admin', password: null, maxFailures: 10, failureWindowMs: 300_000 },
      webhooks: { retryForMs: 86_400_000, backoffBaseMs: 10_000, backoffMaxMs: 3_600_000, timeoutMs: 10_000, concurrency: 8 },
      enrich: { intervalMs: 60_000, perRunUnits: 20, perDayUnits: 5000, reserveUnits: 500 },
      channels: { configured: [], pollIntervalMs: 90_000, unitsShare: 0.5 },
    });
  });

  it('parses comma-separated lists, trimming and dropping duplicates', () => {
    const config = loadConfig({ SEARCH_QUERIES: ' cricket ,  tea   time,,cricket', YOUTUBE_API_KEYS: 'key-one-123, key-two-456' });
    expect(config.fetch.queries).toEqual(['cricket', 'tea time']);
    expect(config.youtube.apiKeys.map((k) => k.key.reveal())).toEqual(['key-one-123', 'key-two-456']);
  });

  it('holds each of SEARCH_QUERIES to the operator-text rule, naming the query, the character and its position', () => {
    // NFC: the decomposed and the composed "café" are one query; line breaks between queries are white space.
    expect(loadConfig({ SEARCH_QUERIES: 'cafe\u0301,\n  caf\u00e9 ,\n👩\u200d💻  tips\n' }).fetch.queries).toEqual(['caf\u00e9', '👩\u200d💻 tips']);
    const problems = (value: string): readonly string[] => {
      try {
        loadConfig({ SEARCH_QUERIES: value });
      } catch (error) {
        return (error as ConfigError).problems.map((problem) => problem.replace(/ \(got .*$/, ''));
      }
      return [];
    };
    expect(problems('cricket, tea\u200btime,a\tb, x\u202e')).toEqual([
      'SEARCH_QUERIES: query 2 must not contain an invisible character: U+200B at character 4',
      'SEARCH_QUERIES: query 3 must not contain a tab: U+0009 at character 2',
      'SEARCH_QUERIES: query 4 must not contain a bidirectional control character: U+202E at character 2',
    ]);
    expect(problems('tea\ntime')).toEqual(['SEARCH_QUERIES: query 1 must not contain a line break: U+000A at character 4']);
    expect(problems(`ok,${'🏏'.repeat(201)}`)).toEqual(['SEARCH_QUERIES: query 2 must be 1 to 200 characters (it has 201 after normalisation)']);
    expect(loadConfig({ SEARCH_QUERIES: '🏏'.repeat(200) }).fetch.queries[0]).toBe('🏏'.repeat(200));
  });

  it('points a SEARCH_QUERIES problem at the query as the operator sees it: blank items not counted, the position within the query, the query echoed', () => {
    const problems = (value: string): readonly string[] => {
      try {
        loadConfig({ SEARCH_QUERIES: value });
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    };
    expect(problems('a,,b\u200Bc')).toEqual(['SEARCH_QUERIES: query 2 must not contain an invisible character: U+200B at character 2 (got "b\\u200bc")']);
    expect(problems('cats, do\tgs')).toEqual(['SEARCH_QUERIES: query 2 must not contain a tab: U+0009 at character 3 (got "do\\u0009gs")']);
    expect(problems(' , ,cats ,\u3000, \u2800 ')).toEqual(['SEARCH_QUERIES: query 2 must not contain a blank character (braille pattern blank): U+2800 at character 1 (got "\\u2800")']);
    // Far into a long list, the echo is the query at fault, not the list's first 80 characters.
    const long = `${Array.from({ length: 30 }, (_, i) => `topic ${i}`).join(', ')}, cats${'\uFE0F'.repeat(3)}, fine`;
    expect(problems(long)).toEqual([
      'SEARCH_QUERIES: query 31 must not contain a variation selector that follows no character it can vary (or a second one): U+FE0F at character 5 (got "cats\\ufe0f\\ufe0f\\ufe0f")',
    ]);
    expect(problems(`ok, \u{1F3F4}\u{E0068}\u{E0069}\u{E007F} ,`)).toEqual([
      'SEARCH_QUERIES: query 2 must not contain a tag character (allowed only in the flags of England, Scotland and Wales): U+E0068 at character 2 (got "\u{1F3F4}\\u{e0068}\\u{e0069}\\u{e007f}")',
    ]);
  });

  it('reads project:key entries, so keys of one Google Cloud project share its quota', () => {
    const config = loadConfig({ YOUTUBE_API_KEYS: 'team-a:key-one-123, key-two-456,team-a:key-three-789, my.proj_2:key-four-000' });
    expect(config.youtube.apiKeys.map((k) => [k.project, k.key.reveal()])).toEqual([
      ['team-a', 'key-one-123'],
      [null, 'key-two-456'],
      ['team-a', 'key-three-789'],
      ['my.proj_2', 'key-four-000'],
    ]);
    for (const bad of ['bad project:key-one-123', ':key-one-123', 'a:b:key-one-123', `${'p'.repeat(65)}:key-one-123`]) {
      expect(() => loadConfig({ YOUTUBE_API_KEYS: bad }), bad).toThrow(/YOUTUBE_API_KEYS: must be a comma-separated list of API keys .*project:key/);
    }
  });

  it('counts quota in the buckets YouTube keeps: searches apart from every other method', () => {
    expect(loadConfig({ YOUTUBE_SEARCH_CALLS_PER_DAY: '250', YOUTUBE_UNITS_PER_DAY: '50000' }).youtube.quota).toEqual({ searchCallsPerDay: 250, unitsPerDay: 50_000 });
    expect(() => loadConfig({ YOUTUBE_SEARCH_CALLS_PER_DAY: '0' })).toThrow(/YOUTUBE_SEARCH_CALLS_PER_DAY/);
  });

  it('still reads the deprecated YOUTUBE_DAILY_QUOTA for one release, with a warning that says what it became', () => {
    const config = loadConfig({ YOUTUBE_DAILY_QUOTA: '20000' });
    expect(config.youtube.quota).toEqual({ searchCallsPerDay: 200, unitsPerDay: 20_000 });
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings[0]).toMatch(/^YOUTUBE_DAILY_QUOTA is deprecated .*YOUTUBE_SEARCH_CALLS_PER_DAY.*YOUTUBE_UNITS_PER_DAY.*Read 20000 as 200 searches and 20000 units/);
    // The new variables win, and the old one is named as ignored.
    const both = loadConfig({ YOUTUBE_DAILY_QUOTA: '20000', YOUTUBE_SEARCH_CALLS_PER_DAY: '100' });
    expect(both.youtube.quota).toEqual({ searchCallsPerDay: 100, unitsPerDay: 10_000 });
    expect(both.warnings).toEqual([expect.stringMatching(/^YOUTUBE_DAILY_QUOTA is deprecated and ignored/)]);
  });

  it('uses the simulator only when no real key is configured', () => {
    const simulator = { SIMULATOR_URL: 'http://127.0.0.1:8765/', SIMULATOR_KEYS: 'sim-a-123456,sim-b-123456' };
    const demo = loadConfig(simulator);
    expect(demo.youtube).toMatchObject({ source: 'simulator', apiRoot: 'http://127.0.0.1:8765/', quota: { searchCallsPerDay: 10_000, unitsPerDay: 1_000_000 } });
    expect(demo.youtube.apiKeys.map((k) => k.key.reveal())).toEqual(['sim-a-123456', 'sim-b-123456']);
    const real = loadConfig({ ...simulator, YOUTUBE_API_KEYS: 'real-key-1234567' });
    expect(real.youtube).toMatchObject({ source: 'youtube', apiRoot: 'https://youtube.googleapis.com/', quota: { searchCallsPerDay: 100, unitsPerDay: 10_000 } });
    expect(real.youtube.apiKeys.map((k) => k.key.reveal())).toEqual(['real-key-1234567']);
  });

  it('never shows secrets: not when serialised, printed, or echoed in an error', () => {
    const config = loadConfig({ YOUTUBE_API_KEYS: 'sekret-key-123456', ADMIN_PASSWORD: 'hunter2-password' });
    const printed = `${JSON.stringify(config)} ${String(config.youtube.apiKeys[0]?.key)} ${inspect(config, { depth: 10 })}`;
    expect(printed).not.toContain('sekret-key-123456');
    expect(printed).not.toContain('hunter2-password');
    expect(() => loadConfig({ YOUTUBE_API_KEYS: 'bad key with spaces!' })).toThrow(/^(?![\s\S]*bad key)[\s\S]*YOUTUBE_API_KEYS/);
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig({ PORT: '4000' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.http)).toBe(true);
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('reports every problem at once, each with the variable name', () => {
    let caught: unknown;
    try {
      loadConfig({ PORT: 'eighty', MYSQL_URL: 'postgres://x/y', LOG_LEVEL: 'loud', REDIS_URL: 'nope' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems.find((p) => p.startsWith('PORT:'))).toContain('(got "eighty")');
    expect(problems.find((p) => p.startsWith('MYSQL_URL:'))).toContain('must be a URL starting with mysql:// or mariadb://');
    expect(problems.some((p) => p.startsWith('LOG_LEVEL:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('REDIS_URL:'))).toBe(true);
    expect((caught as Error).message).toMatch(/^Invalid configuration:\n {2}- /);
  });

  it('says in each problem what the variable accepts and what it got, on one line', () => {
    const problems = (env: Record<string, string>): readonly string[] => {
      try {
        loadConfig(env);
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    };
    expect(problems({ PORT: 'abc', FETCH_MAX_PAGES: '99', MYSQL_URL: 'mysql://root@127.0.0.1:3306', LOG_FORMAT: 'xml' })).toEqual([
      'PORT: must be an integer from 0 to 65535 (got "abc")',
      'LOG_FORMAT: must be one of json, pretty (got "xml")',
      'MYSQL_URL: must name a database, e.g. mysql://root@127.0.0.1:3306/tubefeed (got "mysql://root@127.0.0.1:3306")',
      'FETCH_MAX_PAGES: must be an integer from 2 to 20 (got "99")',
    ]);
    // Fractions, exponents, hex and overflows are not integers of the range, whatever Number() says.
    for (const bad of ['2.5', '1e3', '0x10', '99999999999999999999', '-1']) {
      expect(problems({ PORT: bad }), bad).toEqual([`PORT: must be an integer from 0 to 65535 (got "${bad}")`]);
    }
    expect(loadConfig({ PORT: '+80' }).http.port).toBe(80);
    expect(problems({ ADMIN_USER: 'a'.repeat(101) })[0]).toMatch(/^ADMIN_USER: must be at most 100 characters \(got "a{80}"\)$/);
    // A value with a line break or a quote is echoed escaped: the problem stays one line.
    expect(problems({ REDIS_PREFIX: 'a\nb"c' })).toEqual(['REDIS_PREFIX: must be 1-64 letters, digits or _ . : - (got "a\\u000ab\\"c")']);
    // So is a bidirectional override, which would reorder the rest of the line on a terminal.
    expect(problems({ LOG_FORMAT: 'js\u202eon' })).toEqual(['LOG_FORMAT: must be one of json, pretty (got "js\\u202eon")']);
  });

  it('refuses a bad value of every variable with a line that names it and says what it accepts, echoing no secret', () => {
    const secret = 'S3cretPW';
    // One bad value per variable: a variable added without one here fails this test.
    const bad: Record<string, string> = {
      NODE_ENV: 'staging',
      HOST: 'not a host!!',
      PORT: '70000',
      LOG_LEVEL: 'loud',
      LOG_FORMAT: 'xml',
      MYSQL_URL: `mysql://root:${secret}@host`,
      MYSQL_READ_URL: `mysql://r:${secret}@h`,
      MYSQL_POOL_SIZE: '0',
      MYSQL_CONNECT_TIMEOUT_MS: '1.5',
      MYSQL_ACQUIRE_TIMEOUT_MS: 'x',
      MYSQL_QUERY_TIMEOUT_MS: '1e3',
      MYSQL_WORKER_QUERY_TIMEOUT_MS: '-5',
      REDIS_URL: `redis://h:99999?password=${secret}`,
      REDIS_PREFIX: 'bad prefix',
      YOUTUBE_API_KEYS: `AIza${secret}!!,x`,
      YOUTUBE_API_ROOT: `ftp://u:${secret}@x`,
      YOUTUBE_TIMEOUT_MS: '5',
      YOUTUBE_SEARCH_CALLS_PER_DAY: '0',
      YOUTUBE_UNITS_PER_DAY: 'abc',
      YOUTUBE_DAILY_QUOTA: '50',
      SEARCH_QUERIES: 'cats,do\tgs',
      FETCH_INTERVAL_MS: '5',
      FETCH_OVERLAP_MS: '-1',
      FETCH_LOOKBACK_MS: '1',
      FETCH_SWEEP_DELAYS_MS: 'abc',
      FETCH_MAX_PAGES: '1',
      FETCH_STORE_RETRY_MS: 'x',
      QUOTA_PACING: 'maybe',
      FETCH_JOB_LOCK_MS: '1',
      FETCH_CONCURRENCY: '0',
      SHUTDOWN_GRACE_MS: '99999999',
      FEED_LOG_MAX_LENGTH: '10',
      FEED_LOG_MAX_AGE_MS: '1000',
      FEED_RELAY_INTERVAL_MS: 'soon',
      SSE_HEARTBEAT_MS: '0',
      SSE_POLL_MS: '99999999',
      SSE_MAX_CLIENTS: '0',
      SSE_MAX_CLIENTS_PER_ADDRESS: '-1',
      CURSOR_SECRET: secret.repeat(30),
      SEARCH_WINDOW_ROWS: '-1',
      SIMULATOR_URL: `ftp://u:${secret}@h`,
      SIMULATOR_KEYS: `${secret} key!!`,
      SIMULATOR_SEARCH_CALLS_PER_DAY: '0',
      SIMULATOR_UNITS_PER_DAY: 'x',
      SIMULATOR_DAILY_QUOTA: '1',
      METRICS_PORT: '70000',
      METRICS_HOST: 'not a host!!',
      ADMIN_USER: 'u'.repeat(101),
      ADMIN_PASSWORD: secret.repeat(30),
      ADMIN_AUTH_MAX_FAILURES: 'x',
      ADMIN_AUTH_WINDOW_MS: '1',
      RATE_LIMIT_MAX: '-1',
      RATE_LIMIT_WINDOW_MS: '1',
      TRUST_PROXY: 'maybe',
      CORS_ORIGINS: 'https://x.example/path',
      HTTP_HEADERS_TIMEOUT_MS: '1',
      HTTP_REQUEST_TIMEOUT_MS: '1',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: 'x',
      HTTP_MAX_CONNECTIONS: '0',
      WEBHOOK_RETRY_FOR_MS: '-1',
      WEBHOOK_BACKOFF_BASE_MS: '1',
      WEBHOOK_BACKOFF_MAX_MS: '1',
      WEBHOOK_TIMEOUT_MS: 'soon',
      WEBHOOK_CONCURRENCY: '0',
      ENRICH_INTERVAL_MS: '1000',
      ENRICH_UNITS_PER_RUN: '0',
      ENRICH_UNITS_PER_DAY: '-1',
      ENRICH_UNITS_RESERVE: 'some',
      YOUTUBE_CHANNELS: 'UC_x5XG1OV2P6uZZ5FSM9Ttw,GoogleDevelopers',
      CHANNEL_POLL_INTERVAL_MS: '5000',
      CHANNEL_UNITS_SHARE: '1.5',
    };
    expect(Object.keys(bad).sort()).toEqual([...CONFIG_VARIABLES].sort());
    for (const [name, value] of Object.entries(bad)) {
      let problems: readonly string[] = [];
      try {
        loadConfig({ [name]: value });
      } catch (error) {
        problems = (error as ConfigError).problems;
      }
      expect(problems, name).toHaveLength(1);
      expect(problems[0], name).toMatch(new RegExp(`^${name}: .*\\bmust\\b`));
      expect(problems[0], name).not.toContain(secret);
      expect(problems[0], name).not.toMatch(/\n/);
    }
  });

  it('reads YOUTUBE_CHANNELS as channel ids or @handles, naming the entry at fault, and CHANNEL_UNITS_SHARE as a share above 0 up to 1', () => {
    const config = loadConfig({ YOUTUBE_CHANNELS: ' UC_x5XG1OV2P6uZZ5FSM9Ttw , @GoogleDevelopers,UC_x5XG1OV2P6uZZ5FSM9Ttw', CHANNEL_UNITS_SHARE: '0.25' });
    expect(config.channels).toEqual({ configured: ['UC_x5XG1OV2P6uZZ5FSM9Ttw', '@GoogleDevelopers'], pollIntervalMs: 90_000, unitsShare: 0.25 });
    expect(loadConfig({ CHANNEL_UNITS_SHARE: '1' }).channels.unitsShare).toBe(1);
    expect(() => loadConfig({ YOUTUBE_CHANNELS: '@GoogleDevelopers,UCshort' })).toThrow(/- YOUTUBE_CHANNELS: each entry must be a channel id .* or an @handle .*\(got "UCshort"\)$/);
    for (const bad of ['0', '-0.5', '1.01', 'half', '50%']) {
      expect(() => loadConfig({ CHANNEL_UNITS_SHARE: bad }), bad).toThrow(/CHANNEL_UNITS_SHARE: must be a number above 0 and at most 1/);
    }
  });

  it('reads FETCH_CONCURRENCY as the fetch runs per worker process, 1 to 64', () => {
    expect(loadConfig({ FETCH_CONCURRENCY: '12' }).fetch.concurrency).toBe(12);
    for (const bad of ['0', '65', 'many', '2.5']) {
      expect(() => loadConfig({ FETCH_CONCURRENCY: bad }), bad).toThrow(new RegExp(`FETCH_CONCURRENCY: .*\\(got "${bad.replace('.', '\\.')}"\\)`));
    }
  });

  it('reads MYSQL_READ_URL as a MySQL URL naming a database, never echoing its password', () => {
    expect(loadConfig({ MYSQL_READ_URL: 'mysql://reader:pw@replica:3306/tubefeed' }).mysql.readUrl).toBe('mysql://reader:pw@replica:3306/tubefeed');
    expect(loadConfig({ MYSQL_READ_URL: 'mariadb://replica/tubefeed' }).mysql.readUrl).toBe('mariadb://replica/tubefeed');
    const problem = (value: string) => {
      try {
        loadConfig({ MYSQL_READ_URL: value });
      } catch (error) {
        return (error as ConfigError).problems.join('\n');
      }
      throw new Error(`${value} was accepted`);
    };
    expect(problem('postgres://reader:s3cret-pw@replica/tubefeed')).toBe(
      'MYSQL_READ_URL: must be a URL starting with mysql:// or mariadb:// (got "postgres://reader:***@replica/tubefeed")',
    );
    expect(problem('mysql://reader:s3cret-pw@replica:3306')).toBe(
      'MYSQL_READ_URL: must name a database, e.g. mysql://reader@replica:3306/tubefeed (got "mysql://reader:***@replica:3306")',
    );
    // Not even a URL: the password is still masked.
    expect(problem('reader:s3cret-pw@replica')).not.toContain('s3cret-pw');
    expect(problem('mysql://reader:s3cret-pw@replica:notaport/tubefeed')).not.toContain('s3cret-pw');
    expect(problem('mysql://reader:s3c/ret@pw@replica')).toContain('(got "mysql://reader:***@replica")');
  });

  it('never echoes the password of a refused MYSQL_URL or REDIS_URL', () => {
    for (const [name, value] of [
      ['MYSQL_URL', 'postgres://app:s3cret-pw@db/tubefeed'],
      ['MYSQL_URL', 'mysql://app:s3cret-pw@db:notaport/tubefeed'],
      ['REDIS_URL', 'http://:s3cret-pw@cache:6379'],
    ] as const) {
      let problems = '';
      try {
        loadConfig({ [name]: value });
      } catch (error) {
        problems = (error as ConfigError).problems.join('\n');
      }
      expect(problems, value).toContain(`${name}:`);
      expect(problems, value).not.toContain('s3cret-pw');
    }
  });

  it('reads TRUST_PROXY as off, on or trusted proxy addresses, and refuses anything else', () => {
    const trust = (value: string) => loadConfig({ TRUST_PROXY: value }).http.trustProxy;
    expect(trust('false')).toBe(false);
    expect(trust('true')).toBe(true);
    expect(trust('10.0.0.0/8, 192.168.1.7,::1/128,loopback')).toEqual(['10.0.0.0/8', '192.168.1.7', '::1/128', 'loopback']);
    // A hop count is refused: Fastify trusts no peer for a bare count, so it would silently do nothing.
    for (const bad of ['yes', '2', '10.0.0.0/33', '10.0.0/8', 'proxy.example.com', '::1/129', '10.0.0.1/8/8']) {
      expect(() => trust(bad), bad).toThrow(/TRUST_PROXY: must be false, true, or a comma-separated list of proxy addresses/);
    }
  });

  it('reads CORS_ORIGINS as none, any, or a list of exact origins', () => {
    const origins = (value: string) => loadConfig({ CORS_ORIGINS: value }).cors.origins;
    expect(origins('*')).toBe('*');
    expect(origins('https://a.example, http://localhost:5173')).toEqual(['https://a.example', 'http://localhost:5173']);
    expect(() => origins('https://a.example/path,ftp://b.example')).toThrow(
      /CORS_ORIGINS: must be \*, or a comma-separated list of origins .*: https:\/\/a\.example\/path, ftp:\/\/b\.example/,
    );
  });

  it('treats blank values as unset, so a copied .env.sample with empty lines works', () => {
    expect(loadConfig({ PORT: '', HOST: '  ' }).http).toMatchObject({ host: '127.0.0.1', port: 3000, trustProxy: false });
  });

  it('reads the HTTP timeouts, and refuses a request timeout shorter than the headers timeout, naming both', () => {
    const http = loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '3000', HTTP_REQUEST_TIMEOUT_MS: '3000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '65000' }).http;
    expect(http).toMatchObject({ headersTimeoutMs: 3000, requestTimeoutMs: 3000, keepAliveTimeoutMs: 65_000 });
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    expect(problems({ HTTP_REQUEST_TIMEOUT_MS: '5000' })).toEqual([
      'HTTP_REQUEST_TIMEOUT_MS: must be at least HTTP_HEADERS_TIMEOUT_MS (10000), since a request\'s headers are part of the request (got "5000")',
    ]);
    // Reported with the other problems, not after they are fixed.
    const both = problems({ PORT: 'x', HTTP_HEADERS_TIMEOUT_MS: '40000' });
    expect(both).toHaveLength(2);
    expect(both[1]).toMatch(/^HTTP_REQUEST_TIMEOUT_MS: must be at least HTTP_HEADERS_TIMEOUT_MS \(40000\)/);
    for (const bad of ['999', 'soon']) expect(problems({ HTTP_HEADERS_TIMEOUT_MS: bad })[0]).toMatch(/^HTTP_HEADERS_TIMEOUT_MS: /);
  });

  it('caps connections below the open-file limit, keeping descriptors for MySQL, Redis and logs', () => {
    const cap = (env: Record<string, string>, openFileLimit: number | null) => {
      const config = loadConfig(env, { openFileLimit });
      return { max: config.http.maxConnections, warnings: config.warnings };
    };
    // Unset: the room the limit leaves, at most DEFAULT_MAX_CONNECTIONS.
    expect(cap({}, 8192)).toEqual({ max: 8192 - RESERVED_FILE_DESCRIPTORS, warnings: [] });
    expect(cap({}, 1_048_576).max).toBe(DEFAULT_MAX_CONNECTIONS);
    expect(cap({}, 1024).max).toBe(512);
    expect(cap({}, 256).max).toBe(128);
    expect(cap({}, null).max).toBe(DEFAULT_MAX_CONNECTIONS);
    // Set: it wins (above the default ceiling too) while the limit has room for it...
    expect(cap({ HTTP_MAX_CONNECTIONS: '2000' }, 8192)).toEqual({ max: 2000, warnings: [] });
    expect(cap({ HTTP_MAX_CONNECTIONS: '50000' }, 1_048_576).max).toBe(50_000);
    // ...and is lowered, saying so, when it has not.
    const lowered = cap({ HTTP_MAX_CONNECTIONS: '20000' }, 8192);
    expect(lowered.max).toBe(7680);
    expect(lowered.warnings).toEqual([expect.stringMatching(/^HTTP_MAX_CONNECTIONS=20000 is more than .*open-file limit \(8192\).*using 7680/)]);
    // Without a limit to read, as set.
    expect(cap({ HTTP_MAX_CONNECTIONS: '20000' }, null).max).toBe(20_000);
  });

  it("reads this process's soft open-file limit from /proc", () => {
    const line = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    expect(readOpenFileLimit()).toBe(Number(line?.[1]));
    expect(loadConfig({}).http.maxConnections).toBe(Math.min(DEFAULT_MAX_CONNECTIONS, Number(line?.[1]) - RESERVED_FILE_DESCRIPTORS));
  });
});

describe('readProcessEnvironment', () => {
  it('reads a .env file and lets real environment variables win', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-env-'));
    writeFileSync(join(dir, '.env'), 'PORT=4100\nTF_ONLY_IN_FILE=from-file\nTF_BOTH=file\n');
    process.env.TF_BOTH = 'process';
    try {
      const env = readProcessEnvironment(dir);
      expect(env.PORT).toBe(process.env.PORT ?? '4100');
      expect(env.TF_ONLY_IN_FILE).toBe('from-file');
      expect(env.TF_BOTH).toBe('process');
    } finally {
      delete process.env.TF_BOTH;
    }
  });
});

describe('.env.sample', () => {
  const sample = parseDotenv(readFileSync(new URL('../../../../.env.sample', import.meta.url)));

  it('lists every variable, and nothing else', () => {
    expect(Object.keys(sample).sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it('shows the defaults', () => {
    expect(loadConfig(sample)).toEqual(loadConfig({}));
  });
});
