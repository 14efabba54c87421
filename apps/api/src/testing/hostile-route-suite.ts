// Hostile input on every route the API registers, public, admin and Bull Board's alike, found
// as Fastify registers them (so a route added later is covered without touching this file):
// random and adversarial path parameters, query strings, bodies and content types, and header
// shapes: credentials missing, malformed, wrong and right; Origin and Sec-Fetch-Site from this
// site, another one or nonsense; very long and repeated headers; over raw HTTP also odd framing
// (Content-Length beside Transfer-Encoding, a short, invalid or repeated Content-Length, an
// unknown transfer coding). Whatever is sent:
//
// - no answer is a 5xx, and every 4xx is the API's JSON error shape;
// - an admin route answers nothing but a 4xx without the right credentials;
// - nothing stored changes (every MySQL table's checksum, the fetch queue's paused state, job
//   counts and schedulers) unless the request was a valid admin mutation: an authenticated
//   POST, PUT, PATCH or DELETE on an admin route answered 2xx. A refusal, a GET or a HEAD never
//   changes it.
//
// One suite, two sizes: the route tests run it on the fixed CI seed, `npm run test:faults` ten
// times larger on a fresh seed (printed in the suite's name; HOSTILE_SEED and HOSTILE_PATH
// replay a failure, see hostile-properties.ts).
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import fc from 'fast-check';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetchQueue, createSearchQueryRepository, createVideoRepository, systemClock, type FetchJobData } from '@tubefeed/core';
import { fakeVideoId, silentLogger, videoInput } from '@tubefeed/core/testing';
import { createYoutubeSimulator } from '@tubefeed/youtube-sim';
import type { Queue } from 'bullmq';
import {
  JSON_TYPE,
  ODD_CONTENT_TYPES,
  PATH_SUFFIXES,
  adminBody,
  errorShapeProblem,
  hostileParam,
  hostileParameters,
  hostileSeed,
  hostileSegment,
  queryString,
  rawHttp,
  type Param,
} from './hostile-properties.js';
import { BAD_QUERY_ENCODING } from '../plugins/query-encoding.js';
import { useTestApis, type TestApi } from './test-api.js';

export interface RegisteredRoute {
  readonly method: string;
  /** The path as registered (`/admin/keys/:id`, `/admin/queues/static/*`). */
  readonly url: string;
  /** The query parameters its schema names (none for routes without a querystring schema). */
  readonly queryNames: readonly string[];
  /** Whether it answers an endless event stream (drawn through raw HTTP only: inject would wait for its end). */
  readonly streaming: boolean;
}

const FASTIFY_INITIALIZATION = 'fastify.initialization';

/**
 * Runs `build`, recording every route of every Fastify instance it creates. Fastify announces
 * each new instance on a diagnostics channel before any plugin is registered (where tracing
 * tools hook in), so an onRoute hook added there sees every route, prefixes included.
 */
export async function recordingRoutes<T>(build: () => Promise<T>): Promise<{ built: T; routes: RegisteredRoute[] }> {
  const routes: RegisteredRoute[] = [];
  const onInstance = (message: unknown) => {
    (message as { fastify: FastifyInstance }).fastify.addHook('onRoute', (route: RouteOptions) => {
      const schema = route.schema?.querystring as { properties?: Record<string, unknown> } | undefined;
      const queryNames = Object.keys(schema?.properties ?? {});
      const ok = (route.schema?.response as Record<string, { content?: Record<string, unknown> }> | undefined)?.['200'];
      const streaming = ok?.content?.['text/event-stream'] !== undefined;
      for (const method of [route.method].flat()) routes.push({ method, url: route.url, queryNames, streaming });
    });
  };
  subscribe(FASTIFY_INITIALIZATION, onInstance);
  try {
    return { built: await build(), routes };
  } finally {
    unsubscribe(FASTIFY_INITIALIZATION, onInstance);
  }
}

// ---- what is sent -----------------------------------------------------------------------------

const ADMIN_USER = 'ops';
const ADMIN_PASSWORD = 'hostile-routes-pw';
const basic = (credentials: string) => Buffer.from(credentials).toString('base64');

/** Authorization header variants; the `right` ones are the admin's credentials, however written. */
const AUTHORIZATIONS: ReadonlyArray<readonly [label: string, value: string | undefined, weight: number]> = [
  ['right', `Basic ${basic(`${ADMIN_USER}:${ADMIN_PASSWORD}`)}`, 8],
  ['right (scheme in lower case, spaces)', `basic  ${basic(`${ADMIN_USER}:${ADMIN_PASSWORD}`)} `, 1],
  ['none', undefined, 4],
  ['wrong password', `Basic ${basic(`${ADMIN_USER}:${ADMIN_PASSWORD}x`)}`, 1],
  ['wrong user', `Basic ${basic(`admin:${ADMIN_PASSWORD}`)}`, 1],
  ['empty password', `Basic ${basic(`${ADMIN_USER}:`)}`, 1],
  ['no colon', `Basic ${basic(`${ADMIN_USER}${ADMIN_PASSWORD}`)}`, 1],
  ['password as user', `Basic ${basic(`${ADMIN_PASSWORD}:${ADMIN_USER}`)}`, 1],
  ['bearer', `Bearer ${ADMIN_PASSWORD}`, 1],
  ['scheme only', 'Basic', 1],
  ['not base64', 'Basic !!!!', 1],
  ['empty', '', 1],
  ['long', `Basic ${'QUFB'.repeat(1500)}`, 1],
  ['latin-1 user', `Basic ${Buffer.from(`öps:${ADMIN_PASSWORD}`, 'latin1').toString('base64')}`, 1],
];

const ORIGINS = (port: number) => ['http://127.0.0.1', `http://127.0.0.1:${port}`, 'https://app.example', 'https://evil.example', 'null', 'http://127.0.0.1.evil.example', 'file://', '*'];
const FETCH_SITES = ['same-origin', 'same-site', 'cross-site', 'none', 'SAME-ORIGIN', 'cross-site, same-origin'];
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const INJECT_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const RAW_METHODS = [...INJECT_METHODS, 'TRACE', 'PROPFIND', 'FOO'] as const;
/** Query parameters of routes without a querystring schema (Bull Board's, mostly). */
const LOOSE_QUERY_NAMES = ['page', 'status', 'jobsPerPage', 'activeQueue', 'limit', 'q'];
/** Paths no route has, for the 404s. */
const NOWHERE: readonly RegisteredRoute[] = ['/nowhere', '/admin', '/admin/nowhere/:id', '/admin/queues/api/nowhere', '/admin/keys/:id/x'].map((url) => ({ method: 'GET', url, queryNames: [], streaming: false }));

/** How a body (or its absence) is framed over raw HTTP. */
type Framing = 'length' | 'chunked' | 'length and chunked' | 'short length' | 'invalid length' | 'two lengths' | 'unknown coding' | 'none';

interface HostileCall {
  readonly method: string;
  readonly route: RegisteredRoute;
  /** Path and query string as sent. */
  readonly target: string;
  readonly authorization: string;
  /** Headers as sent, in order, names in any case, repeats included (raw HTTP; inject keeps the first of each). */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: string | undefined;
  readonly framing: Framing;
  /** Only over raw HTTP: leave Host out. */
  readonly noHost: boolean;
}

/** What the suite knows of the stored data: values path parameters are drawn from, so requests reach the handlers. */
export interface KnownValues {
  readonly byParam: Readonly<Record<string, readonly string[]>>;
  readonly apiKeys: readonly string[];
}

const asciiHeaderValue = (text: string) => text.replace(/[^\t -~]/g, '');

function hostileCall(routes: readonly RegisteredRoute[], known: KnownValues, port: number, raw: boolean): fc.Arbitrary<HostileCall> {
  const segment = (name: string, plain: boolean) => {
    const values = known.byParam[name] ?? [];
    return plain && values.length > 0 ? fc.constantFrom(...values) : hostileSegment(values);
  };
  /** The route's path with its parameters filled in; `plain`: with values it knows, nothing after. */
  const pathOf = (route: RegisteredRoute, plain: boolean): fc.Arbitrary<string> => {
    const parts = route.url.split('/').map((part) =>
      part.startsWith(':')
        ? segment(part.slice(1), plain)
        : part === '*'
          ? fc.constantFrom('', 'index.html', 'static/js/main.js', '..%2F..%2Fpackage.json', 'x/y/z', '%ZZ')
          : fc.constant(part),
    );
    const suffix = plain ? fc.constant('') : fc.oneof({ weight: 6, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom(...PATH_SUFFIXES) });
    return fc.tuple(fc.tuple(...parts), suffix).map(([segments, after]) => `${segments.join('/') || '/'}${after}`);
  };
  const authorization = fc.oneof(...AUTHORIZATIONS.map(([label, , weight]) => ({ weight, arbitrary: fc.constant(label) })));
  const valueOf = (label: string) => AUTHORIZATIONS.find(([name]) => name === label)![1];
  const optional = (values: fc.Arbitrary<string>, weight = 3) => fc.oneof({ weight, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: values });
  const extraHeaders = fc.record({
    origin: optional(fc.oneof(fc.constantFrom(...ORIGINS(port)), fc.string({ maxLength: 30 }))),
    fetchSite: optional(fc.oneof(fc.constantFrom(...FETCH_SITES), fc.string({ maxLength: 12 }))),
    filler: optional(fc.integer({ min: 1000, max: 8000 }).map((n) => 'f'.repeat(n)), 6),
    accept: optional(fc.constantFrom('*/*', 'text/html', 'application/json', 'text/event-stream', 'application/xml', '', 'text/html;q=0, */*;q=0')),
    ifNoneMatch: optional(fc.oneof(fc.constantFrom('*', '""', 'W/"x"', '"a", "b"'), fc.string({ maxLength: 20 }))),
    forwardedFor: optional(fc.constantFrom('10.0.0.1', '1.2.3.4, 5.6.7.8', 'unknown', '::1', '')),
    expectContinue: optional(fc.constant('100-continue'), 8),
  });
  const repeats = raw
    ? fc.record({
        authorization: optional(authorization, 5),
        contentType: optional(fc.constantFrom(...ODD_CONTENT_TYPES, 'application/json'), 8),
        origin: optional(fc.constantFrom(...ORIGINS(port)), 8),
        upperCaseNames: fc.boolean(),
      })
    : fc.constant({ authorization: undefined, contentType: undefined, origin: undefined, upperCaseNames: false });
  const bodyShape = fc.record({
    present: fc.integer({ min: 0, max: 9 }),
    body: adminBody(known.apiKeys),
    contentType: fc.oneof({ weight: 5, arbitrary: fc.constant('application/json') }, { weight: 2, arbitrary: fc.constantFrom(...ODD_CONTENT_TYPES) }, { weight: 1, arbitrary: fc.constant(undefined) }),
    framing: raw
      ? fc.oneof(
          { weight: 8, arbitrary: fc.constant<Framing>('length') },
          { weight: 3, arbitrary: fc.constant<Framing>('chunked') },
          { weight: 1, arbitrary: fc.constantFrom<Framing>('length and chunked', 'short length', 'invalid length', 'two lengths', 'unknown coding') },
        )
      : fc.constant<Framing>('length'),
  });
  return fc
    .record({
      route: fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...routes) }, { weight: 1, arbitrary: fc.constantFrom(...NOWHERE) }),
      otherMethod: optional(fc.constantFrom(...(raw ? RAW_METHODS : INJECT_METHODS)), 6),
      params: fc.nat(),
      authorization,
      extra: extraHeaders,
      repeats,
      bodyShape,
      noHost: raw ? fc.integer({ min: 0, max: 40 }).map((n) => n === 0) : fc.constant(false),
      // A quarter of the cases are what an operator would send (the route's own method, values
      // it knows, the right credentials, no query string): so valid mutations happen too, and
      // the store is seen to change only through them.
      plain: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
    })
    .chain(({ route, otherMethod, params, authorization: drawn, extra, repeats: again, bodyShape: shape, noHost, plain }) =>
      fc.tuple(pathOf(route, plain), plain ? fc.constant<Param[]>([]) : fc.array(hostileParam(route.queryNames.length > 0 ? route.queryNames : LOOSE_QUERY_NAMES), { maxLength: 4 })).map(([path, query]): HostileCall => {
        const method = plain ? route.method : (otherMethod ?? route.method);
        const auth = plain ? 'right' : drawn;
        const search = queryString(query, params);
        // Mutations mostly carry a body; other methods now and then.
        const withBody = MUTATING.has(method) ? shape.present > 0 : shape.present === 0;
        const name = (lower: string) => (again.upperCaseNames ? lower.toUpperCase() : lower);
        const headers: Array<readonly [string, string]> = [];
        const add = (header: string, value: string | undefined) => {
          if (value !== undefined) headers.push([name(header), asciiHeaderValue(value)]);
        };
        add('authorization', valueOf(auth));
        if (plain) {
          if (withBody) add('content-type', 'application/json');
        } else {
          add('origin', extra.origin);
          add('sec-fetch-site', extra.fetchSite);
          add('accept', extra.accept);
          add('if-none-match', extra.ifNoneMatch);
          add('x-forwarded-for', extra.forwardedFor);
          add('x-filler', extra.filler);
          if (withBody) add('content-type', shape.contentType);
          if (withBody && raw) add('expect', extra.expectContinue);
        }
        // Repeated headers: what the first says is what the server reads (Node keeps the first
        // Authorization and Content-Type and joins the rest).
        if (!plain) {
          if (again.authorization !== undefined && valueOf(auth) !== undefined) add('authorization', valueOf(again.authorization));
          if (withBody) add('content-type', again.contentType);
          add('origin', again.origin);
        }
        return {
          method,
          route,
          target: search === '' ? path : `${path}?${search}`,
          authorization: auth,
          headers,
          body: withBody ? shape.body : undefined,
          framing: withBody ? (plain ? 'length' : shape.framing) : 'none',
          noHost: noHost && !plain,
        };
      }),
    );
}

/** The request's bytes over raw HTTP/1.1, with its framing as drawn. */
function rawRequestBytes(call: HostileCall, port: number): Buffer {
  const lines = [`${call.method} ${call.target} HTTP/1.1`, ...(call.noHost ? [] : [`Host: 127.0.0.1:${port}`]), 'Connection: close', ...call.headers.map(([name, value]) => `${name}: ${value}`)];
  const body = Buffer.from(call.body ?? '', 'utf8');
  const chunked = Buffer.concat([
    ...(body.length === 0 ? [] : [Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n')]),
    Buffer.from('0\r\n\r\n'),
  ]);
  let payload: Buffer = body;
  switch (call.framing) {
    case 'none':
      break;
    case 'length':
      lines.push(`Content-Length: ${body.length}`);
      break;
    case 'chunked':
      lines.push('Transfer-Encoding: chunked');
      payload = chunked;
      break;
    case 'length and chunked':
      lines.push(`Content-Length: ${chunked.length}`, 'Transfer-Encoding: chunked');
      payload = chunked;
      break;
    case 'short length':
      // The rest of the body is read as the next request on this connection, which is closed first.
      lines.push(`Content-Length: ${Math.max(0, body.length - 1)}`);
      break;
    case 'invalid length':
      lines.push(`Content-Length: ${body.length}x`);
      break;
    case 'two lengths':
      lines.push(`Content-Length: ${body.length}`, `Content-Length: ${body.length + 1}`);
      break;
    case 'unknown coding':
      lines.push('Transfer-Encoding: gzip', `Content-Length: ${body.length}`);
      break;
  }
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), payload]);
}

// ---- what must hold ---------------------------------------------------------------------------

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly ms: number;
}

const ADMIN_PATH = /^\/(admin|metrics)(\/|$|[?;%.])/i;

/**
 * Bull Board's API (`/admin/queues/api/...`) answers its own validation errors in the shape its
 * page reads (`{"error":{"key":"ERRORS.QUEUE_NOT_FOUND"}}`, translated by the page): that shape
 * is Bull Board's contract with its own UI, not the API's, and is accepted there, for a 4xx.
 * Whatever is thrown in its scope takes the API's shape (plugins/bull-board.ts).
 */
function bullBoardOwnAnswer(call: HostileCall, answer: Answer): boolean {
  const { status, contentType, body } = answer;
  if (!call.target.startsWith('/admin/queues/api/') || status < 400 || status >= 500 || !JSON_TYPE.test(contentType)) return false;
  try {
    const key = (JSON.parse(body) as { error?: { key?: unknown } }).error?.key;
    return typeof key === 'string' && key.startsWith('ERRORS.') && key !== 'ERRORS.INTERNAL_SERVER_ERROR';
  } catch {
    return false;
  }
}

/** Whether the request is for an admin surface: as sent, or once dot segments are resolved (inject resolves them). */
function isAdminPath(target: string): boolean {
  const path = target.split('?', 1)[0]!;
  let resolved = path;
  try {
    resolved = new URL(path, 'http://x').pathname;
  } catch {
    // Not a URL path at all: judged as sent.
  }
  return ADMIN_PATH.test(path) || ADMIN_PATH.test(resolved);
}

/** Whether the server reads this request as the admin's: the first Authorization header decides. */
const authenticated = (call: HostileCall) => call.authorization.startsWith('right');

/** What is wrong with the answer to `call` (and what it did to the stored state), or null. */
function problem(call: HostileCall, answer: Answer, stateChanged: boolean, timeBoundMs: number): string | null {
  const { status, contentType, body, ms } = answer;
  if (ms > timeBoundMs) return `took ${Math.round(ms)} ms`;
  if (!(status >= 200 && status < 500)) return `status ${status}: ${body.slice(0, 200)}`;
  const admin = isAdminPath(call.target);
  if (admin && !authenticated(call) && status < 400) return `admin route answered ${status} without the admin's credentials (${call.authorization})`;
  const mutation = admin && authenticated(call) && MUTATING.has(call.method) && status < 300;
  if (stateChanged && !mutation) return `stored state changed by a request answered ${status}`;
  const hasBody = call.method !== 'HEAD' && status !== 204 && status !== 304;
  if (status >= 400) {
    const shape = hasBody ? errorShapeProblem(status, contentType, body) : null;
    return shape === null || bullBoardOwnAnswer(call, answer) ? null : shape;
  }
  if (hasBody && status < 300 && /^application\/json/.test(contentType)) {
    try {
      JSON.parse(body);
    } catch {
      return `${status} JSON that does not parse: ${body.slice(0, 200)}`;
    }
  }
  return null;
}

// ---- the suite --------------------------------------------------------------------------------

export interface HostileRouteSuiteOptions {
  /** Cases drawn through app.inject and through raw HTTP. */
  readonly runs: { readonly inject: number; readonly raw: number };
  /** Draw from a fresh seed (the larger run) instead of the fixed CI seed; HOSTILE_SEED overrides both. */
  readonly freshSeed: boolean;
  /** Each answer within this (generous: the machine is shared). */
  readonly timeBoundMs: number;
  /** The test timeout of each property. */
  readonly testTimeoutMs: number;
}

export function describeHostileRoutes(options: HostileRouteSuiteOptions): void {
  const seed = hostileSeed(options.freshSeed);
  describe(`hostile input on every registered route (fast-check seed ${seed}; HOSTILE_SEED=${seed} draws the same cases)`, () => {
    const sim = createYoutubeSimulator({ seed: 57, keys: [{}, {}, {}], maxIndexDelayMs: 0 });
    const apis = useTestApis({ clock: systemClock });
    let api: TestApi;
    let routes: RegisteredRoute[];
    let port: number;
    let queueConnection: Redis;
    let queue: Queue<FetchJobData>;
    let known: KnownValues;
    const admin = { authorization: `Basic ${basic(`${ADMIN_USER}:${ADMIN_PASSWORD}`)}` };

    beforeAll(async () => {
      const simUrl = await sim.listen();
      const recorded = await recordingRoutes(() =>
        apis.start({
          ADMIN_USER,
          ADMIN_PASSWORD,
          // Wrong credentials are sent on purpose, many times: the failure limit would lock the
          // right ones out too (admin-auth.test.ts proves the limit).
          ADMIN_AUTH_MAX_FAILURES: '0',
          RATE_LIMIT_MAX: '1000000000',
          CORS_ORIGINS: 'https://app.example',
          YOUTUBE_API_KEYS: sim.apiKeys()[0]!,
          YOUTUBE_API_ROOT: `${simUrl}/`,
        }),
      );
      api = recorded.built;
      routes = recorded.routes;
      port = Number(new URL(await api.app.listen({ port: 0, host: '127.0.0.1' })).port);

      // Something to find: followed queries with videos, two keys, jobs in the queue.
      const queries = createSearchQueryRepository({ db: api.db.kysely, clock: systemClock });
      const videos = createVideoRepository({ db: api.db.kysely, clock: systemClock });
      const queryIds: number[] = [];
      for (const text of ['tea time', 'cricket']) queryIds.push((await queries.follow(text)).id);
      for (let i = 0; i < 6; i++) {
        await videos.upsertBatch([videoInput({ videoId: fakeVideoId(9100 + i), title: `Hostile route ${i}`, publishedAt: new Date(Date.UTC(2024, 4, 1, i)) })], {
          queryId: queryIds[i % 2]!,
        });
      }
      const added = await api.app.inject({ method: 'POST', url: '/admin/keys', headers: admin, payload: { key: sim.apiKeys()[1]!, label: 'second' } });
      expect(added.statusCode).toBe(201);
      queueConnection = new Redis(api.config.redis.url, { maxRetriesPerRequest: null });
      queue = createFetchQueue(queueConnection, api.config.redis.prefix, silentLogger);
      const jobs = [
        await queue.add('fetch', { queryId: queryIds[0]!, query: 'tea time' }),
        await queue.add('fetch', { queryId: queryIds[1]!, query: 'cricket' }),
        await queue.add('fetch', { queryId: queryIds[0]!, query: 'tea time' }, { delay: 3_600_000 }),
      ];
      // Stored lazily on a first read (the deployment's cursor secret): made here, so that the
      // reads below find the store as it will stay.
      for (const url of ['/videos?limit=1', '/getData?limit=1&query=tea%20time', '/queries']) {
        expect((await api.app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
      }
      const keyIds = (await api.app.inject({ method: 'GET', url: '/admin/keys', headers: admin })).json<{ keys: Array<{ id: number }> }>().keys.map((k) => String(k.id));
      known = {
        byParam: {
          id: [...keyIds, ...queryIds.map(String)],
          queueName: [queue.name],
          jobId: jobs.map((job) => job.id!),
          queueStatus: ['latest', 'waiting', 'delayed', 'active', 'completed', 'failed', 'paused', 'prioritized', 'waiting-children'],
        },
        apiKeys: [...sim.apiKeys(), 'AIza' + 'x'.repeat(35)],
      };
    });

    afterAll(async () => {
      await queue?.obliterate({ force: true }).catch(() => undefined);
      await queue?.close();
      queueConnection?.disconnect();
      await sim.close();
    });

    /** Everything stored: each table's checksum (tables added or dropped show too) and the fetch queue's state. */
    async function storedState(): Promise<string> {
      const tables = await sql<{ name: string }>`SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME`.execute(api.db.kysely);
      const sums = await sql.raw(`CHECKSUM TABLE ${tables.rows.map((row) => `\`${row.name}\``).join(', ')}`).execute(api.db.kysely);
      const [paused, counts, schedulers] = await Promise.all([queue.isPaused(), queue.getJobCounts(), queue.getJobSchedulersCount()]);
      return JSON.stringify({ tables: sums.rows, paused, counts, schedulers });
    }

    async function viaInject(call: HostileCall): Promise<Answer> {
      const headers: Record<string, string> = {};
      for (const [name, value] of call.headers) headers[name.toLowerCase()] ??= value;
      const started = performance.now();
      const response = await api.app.inject({
        method: call.method as 'GET',
        url: call.target,
        headers,
        ...(call.body === undefined ? {} : { payload: call.body }),
      });
      return { status: response.statusCode, contentType: String(response.headers['content-type'] ?? ''), body: response.body, ms: performance.now() - started };
    }

    async function viaRawHttp(call: HostileCall): Promise<Answer> {
      const answer = await rawHttp(port, rawRequestBytes(call, port), options.timeBoundMs * 2);
      return { status: answer.status, contentType: answer.headers['content-type'] ?? '', body: answer.body, ms: answer.ms };
    }

    const property = (raw: boolean) => async () => {
      expect(routes.some((route) => route.url.startsWith('/admin/queues/api/'))).toBe(true);
      let state = await storedState();
      let mutations = 0;
      let cases = 0;
      await fc.assert(
        fc.asyncProperty(hostileCall(routes, known, port, raw), async (call) => {
          cases++;
          const send = raw || call.route.streaming ? viaRawHttp : viaInject;
          let answer = await send(call);
          // A HEAD answer has no body to tell whose 5xx it is: the same request as a GET does.
          if (call.method === 'HEAD' && answer.status >= 500) answer = { ...(await send({ ...call, method: 'GET' })), status: answer.status };
          const after = await storedState();
          const found = problem(call, answer, after !== state, options.timeBoundMs);
          if (after !== state) mutations++;
          state = after;
          const sent = `${call.method} ${call.target.slice(0, 300)} [${call.authorization}; ${call.framing}] ${call.headers.map(([name, value]) => `${name}: ${value.slice(0, 40)}`).join(' | ')} ${call.body?.slice(0, 100) ?? ''}`;
          expect(found, sent).toBeNull();
        }),
        hostileParameters(raw ? options.runs.raw : options.runs.inject, seed),
      );
      // What the run exercised, in the test output: a change in these numbers is worth a look.
      process.stdout.write(
        `hostile routes (${raw ? 'raw HTTP' : 'inject'}, seed ${seed}): ${cases} requests, ${mutations} valid admin mutations changed the store\n`,
      );
      // The rule was exercised both ways: valid admin mutations did change the store.
      if ((raw ? options.runs.raw : options.runs.inject) >= 200) expect(mutations).toBeGreaterThan(0);
    };

    it('registers the routes the suite draws from: public, admin and Bull Board', () => {
      const urls = new Set(routes.map((route) => route.url));
      for (const url of ['/getData', '/videos', '/videos/search', '/health', '/admin/keys', '/admin/keys/:id', '/admin/queries/:id']) expect(urls, url).toContain(url);
      expect(routes.filter((route) => route.url.startsWith('/admin/queues')).length).toBeGreaterThan(10);
    });

    it('never answers a 5xx or a misshapen error, never opens an admin route without credentials, never changes the store outside a valid admin mutation (app.inject)', property(false), options.testTimeoutMs);

    it('the same over raw HTTP: repeated and long headers, odd framing, odd methods', property(true), options.testTimeoutMs);

    it("answers the API's own refusals on Bull Board's routes in the API's error shape", async () => {
      const response = await api.app.inject({ method: 'GET', url: '/admin/queues/api/queues?page=%ZZ', headers: admin });
      expect([response.statusCode, response.json()]).toEqual([400, { isError: true, message: BAD_QUERY_ENCODING }]);
    });

    it('answers 409 in the error shape when BullMQ refuses an action on a job in the wrong state (promote a job that is not delayed)', async () => {
      const job = await queue.add('fetch', { queryId: 1, query: 'tea time' });
      const response = await api.app.inject({ method: 'PUT', url: `/admin/queues/api/queues/${queue.name}/${job.id!}/promote`, headers: admin });
      expect(response.statusCode).toBe(409);
      expect(response.json()).toEqual({ isError: true, message: expect.stringMatching(/is not in the delayed state/) as unknown });
      await job.remove();
    });

    it('answers 400 in the error shape for a NUL in a Bull Board parameter (which breaks its own error path)', async () => {
      const response = await api.app.inject({ method: 'GET', url: `/admin/queues/api/queues?activeQueue=${queue.name}&status=4%00`, headers: admin });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ isError: true, message: 'Query parameters must not contain a NUL character (%00).' });
    });
  });
}
