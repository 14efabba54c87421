// Hostile input on every public endpoint, property-based (fast-check): random strings, unicode
// (lone surrogates included), huge and odd numbers, repeated parameters, percent-encodings valid
// and malformed, empty values, unknown parameters, odd paths and methods. Whatever is sent, the
// answer is a correct 2xx for valid input or a 4xx in the API's error shape, never a 5xx, within
// a time bound: through `app.inject` and through a real listening server with raw HTTP (the two
// parse URLs differently). SQL-injection strings in every parameter are inert: the tables and
// their schema are unchanged and the answers are right (a search for a quoted string returns
// exactly the rows that literally match). The values, encodings and checks are shared with the
// every-route suite (testing/hostile-properties.ts), on the same fixed seed unless HOSTILE_SEED
// says otherwise.
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, createSearchQueryRepository, createVideoRepository, type VideoInput } from '@tubefeed/core';
import { clearRedisPrefix, createTestDatabase, createTestRedis, fakeVideoId, videoInput, type TestDatabase } from '@tubefeed/core/testing';
import { BAD_QUERY_ENCODING } from '../plugins/query-encoding.js';
import {
  JSON_TYPE,
  PATH_SUFFIXES,
  SQL_INJECTIONS,
  errorShapeProblem,
  hostileParam,
  hostileParameters,
  hostileSeed,
  queryString,
  rawHttp,
} from '../testing/hostile-properties.js';
import { buildTestApi, type TestApi } from '../testing/test-api.js';

const clock = new ManualClock('2024-06-01T00:00:00Z');
const redis = createTestRedis();
let db: TestDatabase;
let api: TestApi;
let port: number;

/** Each response must come within this (generous: the machine is shared; the usual answer takes a few ms). */
const TIME_BOUND_MS = 3000;

// ASCII corpus, so the test's own model of "literally matches" is unambiguous.
const CORPUS: Record<string, { title: string; description: string }> = {
  bobby: { title: "Robert'); DROP TABLE videos;--", description: 'Little Bobby Tables, a school story' },
  obrien: { title: 'O\'Brien\'s "quoted" 100% <b>bold</b>', description: 'Quotes and percent signs: 50% off' },
  union: { title: '1 UNION SELECT password FROM users', description: 'not a query, a title' },
  tea: { title: 'How to make tea?', description: 'Boil water, steep the leaves.' },
  orchard: { title: 'Orchard tour', description: 'Apples or pears: 1 tree at a time' },
  comment: { title: 'C comments /* like this */ and -- this', description: 'Backslash \\ and `backticks`' },
};
const FOLLOWED = ["cricket", "tea time"];
const TABLES = ['videos', 'video_search', 'video_queries', 'search_queries', 'feed_scopes', 'feed_buckets', 'api_keys'];

beforeAll(async () => {
  db = await createTestDatabase();
  const videos = createVideoRepository({ db: db.kysely, clock });
  const queries = createSearchQueryRepository({ db: db.kysely, clock });
  const ids: number[] = [];
  for (const text of FOLLOWED) ids.push((await queries.follow(text)).id);
  let minute = 0;
  for (const [name, fields] of Object.entries(CORPUS)) {
    const video: VideoInput = videoInput({ videoId: fakeVideoId(7000 + minute), ...fields, publishedAt: new Date(Date.UTC(2024, 4, 1, 0, minute++)) });
    await videos.upsertBatch([video], { queryId: ids[minute % 2]! });
    void name;
  }
  // The limiter is on (high enough never to answer 429 here), so hostile input passes through it too.
  api = await buildTestApi({
    clock,
    databaseUrl: db.url,
    env: { RATE_LIMIT_MAX: '1000000000', CORS_ORIGINS: 'https://app.example', ADMIN_PASSWORD: 'hostile-admin-pw' },
  });
  const address = await api.app.listen({ port: 0, host: '127.0.0.1' });
  port = Number(new URL(address).port);
});

afterAll(async () => {
  await api.close();
  await clearRedisPrefix(redis, api.config.redis.prefix);
  redis.disconnect();
  await db.drop();
});

// ---- what may be sent -------------------------------------------------------------------------

const ROUTES: Record<string, readonly string[]> = {
  '/getData': ['limit', 'pageNo', 'query', 'channel'],
  '/videos': ['query', 'channel', 'publishedAfter', 'publishedBefore', 'limit', 'cursor', 'sort'],
  '/videos/search': ['q', 'query', 'channel', 'publishedAfter', 'publishedBefore', 'limit', 'cursor', 'sort'],
  '/queries': [],
  '/health': [],
  '/': [],
  '/docs/json': [],
  '/docs': [],
};

interface HostileRequest {
  readonly method: string;
  readonly route: string;
  readonly url: string;
  readonly ifNoneMatch?: string | undefined;
}

const hostileRequest: fc.Arbitrary<HostileRequest> = fc
  .record({
    route: fc.constantFrom(...Object.keys(ROUTES)),
    method: fc.constantFrom('GET', 'GET', 'GET', 'GET', 'HEAD', 'POST', 'DELETE', 'OPTIONS'),
    suffix: fc.constantFrom(...PATH_SUFFIXES),
    seed: fc.nat(),
    ifNoneMatch: fc.option(fc.oneof(fc.constantFrom('*', '""', 'W/"x"', '"a", "b"'), fc.string({ maxLength: 20 })), { nil: undefined }),
  })
  .chain(({ route, method, suffix, seed, ifNoneMatch }) =>
    fc.array(hostileParam(ROUTES[route]!), { maxLength: 5 }).map((params) => {
      const query = queryString(params, seed);
      const path = route === '/' ? (suffix === '' ? '/' : `/${suffix.replace(/^\//, '')}`) : `${route}${suffix}`;
      return { method, route, url: query === '' ? path : `${path}?${query}`, ifNoneMatch: ifNoneMatch?.replace(/[^\t -~]/g, '') };
    }),
  );

// ---- what must come back ----------------------------------------------------------------------

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly ms: number;
}

/** What is wrong with the answer, or null. */
function problem(request: HostileRequest, answer: Answer): string | null {
  const { status, contentType, body, ms } = answer;
  if (ms > TIME_BOUND_MS) return `took ${ms} ms`;
  if (status >= 500) return `status ${status}: ${body.slice(0, 200)}`;
  if (status < 200) return `status ${status}`;
  const hasBody = request.method !== 'HEAD' && status !== 204 && status !== 304;
  if (status >= 400) return hasBody ? errorShapeProblem(status, contentType, body) : null;
  if (status >= 300) return status === 304 || status === 302 ? null : `status ${status}`;
  // 2xx: only where a route exists for the request as sent, and with a body that route gives.
  if (!hasBody) return null;
  const path = request.url.split('?', 1)[0];
  const json = (): Record<string, unknown> | null => {
    try {
      return JSON.parse(body) as Record<string, unknown>;
    } catch {
      return null;
    }
  };
  switch (path) {
    case '/getData': {
      const page = json();
      return page?.isError === false && Array.isArray(page.videos) && (page.videos as unknown[]).length <= Number(page.limit) ? null : `bad page: ${body.slice(0, 200)}`;
    }
    case '/videos':
    case '/videos/search': {
      const page = json();
      return page !== null && Array.isArray(page.items) && (page.nextCursor === null || typeof page.nextCursor === 'string') ? null : `bad list: ${body.slice(0, 200)}`;
    }
    case '/queries':
      return Array.isArray(json()?.queries) ? null : `bad queries: ${body.slice(0, 200)}`;
    case '/health':
      return json()?.isError === false ? null : `bad health: ${body.slice(0, 200)}`;
    case '/docs/json':
      return json()?.openapi === '3.1.0' ? null : `bad document: ${body.slice(0, 100)}`;
    case '/':
    case '/docs':
    case '/docs/':
      return /text\/html/.test(contentType) ? null : `page with content-type ${contentType}`;
    default:
      return `${status} for ${path}: ${body.slice(0, 120)}`;
  }
}

async function viaInject(request: HostileRequest): Promise<Answer> {
  const started = performance.now();
  const response = await api.app.inject({
    method: request.method as 'GET',
    url: request.url,
    headers: request.ifNoneMatch === undefined ? {} : { 'if-none-match': request.ifNoneMatch },
  });
  return { status: response.statusCode, contentType: String(response.headers['content-type'] ?? ''), body: response.body, ms: performance.now() - started };
}

/** One request over a fresh TCP connection, bytes as given (no client-side URL parsing). */
const rawRequest = (requestText: string | Buffer) => rawHttp(port, requestText, TIME_BOUND_MS * 2);

async function viaRawHttp(request: HostileRequest): Promise<Answer> {
  const lines = [`${request.method} ${request.url} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  if (request.ifNoneMatch !== undefined) lines.push(`If-None-Match: ${request.ifNoneMatch}`);
  const answer = await rawRequest(`${lines.join('\r\n')}\r\n\r\n`);
  return { status: answer.status, contentType: answer.headers['content-type'] ?? '', body: answer.body, ms: answer.ms };
}

describe('hostile input on the public endpoints', () => {
  it('never gets a 5xx, a wrong shape or a slow answer through app.inject', async () => {
    await fc.assert(
      fc.asyncProperty(hostileRequest, async (request) => {
        const found = problem(request, await viaInject(request));
        expect(found, `${request.method} ${request.url}`).toBeNull();
      }),
      hostileParameters(1000, hostileSeed()),
    );
  });

  it('never gets a 5xx, a wrong shape or a slow answer through a listening server (raw HTTP)', async () => {
    await fc.assert(
      fc.asyncProperty(hostileRequest, async (request) => {
        const found = problem(request, await viaRawHttp(request));
        expect(found, `${request.method} ${request.url}`).toBeNull();
      }),
      hostileParameters(500, hostileSeed()),
    );
  });

  it('keeps dot segments apart: inject resolves them as a browser would, a raw request does not; neither passes the admin check', async () => {
    const url = '/videos/%2e%2e/admin/keys';
    const injected = await viaInject({ method: 'GET', route: '', url });
    const raw = await viaRawHttp({ method: 'GET', route: '', url });
    expect([injected.status, JSON.parse(injected.body)]).toEqual([401, { isError: true, message: 'Admin credentials required' }]);
    expect([raw.status, JSON.parse(raw.body)]).toEqual([404, { isError: true, message: `Route GET ${url} not found` }]);
  });

  it('answers an HTTP/1.1 request without Host with 400 in the error shape; HTTP/1.0 needs none', async () => {
    for (const path of ['/getData?limit=1', '/health/live', '/admin/keys', '/nowhere']) {
      const answer = await rawRequest(`GET ${path} HTTP/1.1\r\nConnection: close\r\n\r\n`);
      expect(answer.status, path).toBe(400);
      expect(answer.headers['content-type'], path).toMatch(JSON_TYPE);
      expect(JSON.parse(answer.body), path).toEqual({ isError: true, message: 'HTTP/1.1 requests must carry a Host header' });
    }
    const old = await rawRequest('GET /health/live HTTP/1.0\r\n\r\n');
    expect([old.status, JSON.parse(old.body)]).toEqual([200, { isError: false, message: 'live' }]);
  });

  it('answers requests the HTTP parser refuses in the error shape too', async () => {
    const broken: Array<string | Buffer> = [
      'GET /getData?limit=1 2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      'GET /getData?q=\u00e9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      Buffer.concat([Buffer.from('GET /videos/search?q='), Buffer.from([0xff, 0xfe, 0x00]), Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]),
      'GET /getData HTTP/1.1\r\nHost: x\r\nBad Header\r\nConnection: close\r\n\r\n',
      'GET /getData HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n',
      `GET /getData?${'a'.repeat(20_000)}=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      'GET /getData HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\nConnection: close\r\n\r\n',
    ];
    for (const text of broken) {
      const answer = await rawRequest(text);
      const label = String(text).slice(0, 60);
      expect(answer.status, label).toBeGreaterThanOrEqual(400);
      expect(answer.status, label).toBeLessThan(500);
      expect(answer.headers['content-type'], label).toMatch(JSON_TYPE);
      expect(JSON.parse(answer.body), label).toEqual({ isError: true, message: expect.any(String) as string });
    }
  });

  const BAD_PATH = 'The URL path is not valid percent-encoded UTF-8.';
  it.each([
    ['/getData?limit=%', 400, BAD_QUERY_ENCODING],
    ['/getData?%=1', 400, BAD_QUERY_ENCODING],
    ['/getData?limit=%ZZ', 400, BAD_QUERY_ENCODING],
    ['/videos/search?q=%E0%A4%A', 400, BAD_QUERY_ENCODING],
    ['/videos/search?q=%ED%A0%80', 400, BAD_QUERY_ENCODING],
    ['/videos/search?q=tea&q=how', 400, 'q must be given once, as text of 1 to 200 characters'],
    ['/getData?limit=', 400, 'limit must be an integer from 1 to 100 (got "")'],
    ['/getData?limit=1e309', 400, 'limit must be an integer from 1 to 100 (got "1e309")'],
    ['/getData?limit=5&lim%69t=6', 400, 'limit must be given once, as an integer from 1 to 100'],
    ['/getData?query=%00', 400, 'query "\u0000" is not a followed search query'],
    ['/%', 400, BAD_PATH],
    ['/getData%', 400, BAD_PATH],
    ['/videos%E0%A4%A', 400, BAD_PATH],
    ['/videos?channel=%00', 400, 'channel must be a YouTube channel id (letters, digits, _ and -) (got "\u0000")'],
  ] as const)('%s answers %i in the error shape, the same through inject and raw HTTP', async (url, status, message) => {
    const injected = await viaInject({ method: 'GET', route: '', url });
    const raw = await viaRawHttp({ method: 'GET', route: '', url });
    for (const answer of [injected, raw]) {
      expect(answer.status, url).toBe(status);
      expect(answer.contentType).toMatch(JSON_TYPE);
      expect(JSON.parse(answer.body)).toEqual({ isError: true, message });
    }
  });
});

// ---- SQL injection ----------------------------------------------------------------------------

async function tableState(): Promise<Record<string, unknown>> {
  const state: Record<string, unknown> = {};
  for (const table of TABLES) {
    const count = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM ${sql.table(table)}`.execute(db.kysely);
    const created = await sql<Record<string, string>>`SHOW CREATE TABLE ${sql.table(table)}`.execute(db.kysely);
    state[table] = { rows: Number(count.rows[0]!.n), schema: Object.values(created.rows[0]!)[1] };
  }
  const tables = await sql<{ TABLE_NAME: string }>`SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME`.execute(db.kysely);
  state.tables = tables.rows.map((row) => row.TABLE_NAME);
  state.titles = (await sql<{ title: string }>`SELECT title FROM videos ORDER BY id`.execute(db.kysely)).rows.map((row) => row.title);
  return state;
}

/** The test's own model of search: every word typed is a prefix of some word of the title or description. */
function literallyMatching(q: string): string[] {
  const words = (text: string) => text.toLowerCase().split(/[^a-z0-9]+/).filter((word) => word !== '');
  const terms = [...new Set(words(q))];
  return Object.entries(CORPUS)
    .filter(([, video]) => {
      const text = words(`${video.title} ${video.description}`);
      return terms.length > 0 && terms.every((term) => text.some((word) => word.startsWith(term)));
    })
    .map(([, video]) => video.title)
    .sort();
}

describe('SQL injection', () => {
  it('is inert in every parameter of every endpoint: tables, schema and rows unchanged, no 5xx', async () => {
    const before = await tableState();
    for (const [route, names] of Object.entries(ROUTES)) {
      for (const name of [...names, 'unknown']) {
        for (const payload of SQL_INJECTIONS) {
          const request = { method: 'GET', route, url: `${route}?${name}=${encodeURIComponent(payload)}${route === '/videos/search' && name !== 'q' ? '&q=tea' : ''}` };
          for (const send of [viaInject, viaRawHttp]) {
            const answer = await send(request);
            expect(problem(request, answer), request.url).toBeNull();
          }
        }
      }
    }
    expect(await tableState()).toEqual(before);
  });

  it.each(SQL_INJECTIONS.filter((payload) => /[a-z0-9]/i.test(payload)))('a search for %j returns exactly the videos that literally match', async (payload) => {
    const response = await api.app.inject({ method: 'GET', url: `/videos/search?limit=100&q=${encodeURIComponent(payload)}` });
    const expected = literallyMatching(payload);
    if (response.statusCode === 400) {
      // Only when the text has more words than a search takes.
      expect(response.json<{ message: string }>().message).toMatch(/at most 12 words/);
      return;
    }
    expect(response.statusCode).toBe(200);
    expect(response.json<{ items: Array<{ title: string }> }>().items.map((item) => item.title).sort()).toEqual(expected);
  });

  it('finds the quoted titles by their quoted words, and only them', async () => {
    for (const [q, titles] of [
      ["O'Brien's \"quoted\"", [CORPUS.obrien!.title]],
      ["Robert'); DROP TABLE", [CORPUS.bobby!.title]],
      ['UNION SELECT', [CORPUS.union!.title]],
      ['/* like this */', [CORPUS.comment!.title]],
      // Words, not SQL: "or" and "1" start words of one video.
      ["' OR 1=1 --", [CORPUS.orchard!.title]],
    ] as const) {
      const response = await api.app.inject({ method: 'GET', url: `/videos/search?q=${encodeURIComponent(q)}` });
      expect(response.statusCode, q).toBe(200);
      expect(response.json<{ items: Array<{ title: string }> }>().items.map((item) => item.title), q).toEqual(titles);
      expect(literallyMatching(q), q).toEqual([...titles].sort());
    }
  });

  it('treats an injected followed-query name as an unknown query, naming the parameter', async () => {
    for (const url of ['/getData', '/videos', '/videos/search?q=tea&']) {
      const response = await api.app.inject({ method: 'GET', url: `${url}${url.includes('?') ? '' : '?'}query=${encodeURIComponent("cricket' OR '1'='1")}` });
      expect(response.statusCode, url).toBe(400);
      expect(response.json<{ message: string }>().message, url).toMatch(/^query "cricket' OR '1'='1" is not a followed search query/);
    }
  });
});
