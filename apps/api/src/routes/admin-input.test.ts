// Hostile input on the admin API, with credentials, property-based (fast-check): random JSON
// bodies (and non-JSON ones), unknown fields, odd content types, odd ids in the path. The answer
// is a correct 2xx or a 4xx in the error shape, never a 5xx. Bodies are size-limited (16 KiB:
// 413 in the error shape, after the credentials check) and schema-checked (unknown fields
// refused, naming the field). Keys are checked against the YouTube simulator. The bodies are the
// every-route suite's too (testing/hostile-properties.ts), drawn from the same fixed seed.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '@tubefeed/core';
import { createYoutubeSimulator } from '@tubefeed/youtube-sim';
import { ADMIN_BODY_LIMIT } from '../plugins/admin-auth.js';
import { ODD_CONTENT_TYPES, adminBody, hostileParameters, hostileSeed } from '../testing/hostile-properties.js';
import { useTestApis, type TestApi } from '../testing/test-api.js';

const sim = createYoutubeSimulator({ seed: 33, keys: [{}, {}], maxIndexDelayMs: 0 });
const AUTH = { authorization: `Basic ${Buffer.from('ops:admin-input-pw').toString('base64')}` };
const TIME_BOUND_MS = 3000;
const apis = useTestApis({ clock: systemClock });
let api: TestApi;

beforeAll(async () => {
  const url = await sim.listen();
  api = await apis.start({
    ADMIN_USER: 'ops',
    ADMIN_PASSWORD: 'admin-input-pw',
    // Many requests, all with the right password: no failure counts here anyway.
    YOUTUBE_API_KEYS: sim.apiKeys()[0]!,
    YOUTUBE_API_ROOT: `${url}/`,
  });
});
afterAll(() => sim.close());

interface Sent {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  readonly url: string;
  readonly contentType?: string | undefined;
  readonly body?: string | undefined;
}

async function send(request: Sent, headers: Record<string, string> = AUTH) {
  const started = performance.now();
  const response = await api.app.inject({
    method: request.method,
    url: request.url,
    headers: { ...headers, ...(request.contentType === undefined ? {} : { 'content-type': request.contentType }) },
    ...(request.body === undefined ? {} : { payload: request.body }),
  });
  return { response, ms: performance.now() - started };
}

function problem(request: Sent, status: number, contentType: string, body: string, ms: number): string | null {
  if (ms > TIME_BOUND_MS) return `took ${ms} ms`;
  if (status >= 500) return `status ${status}: ${body.slice(0, 200)}`;
  if (status === 204) return body === '' ? null : 'a body with 204';
  if (!/^application\/json; charset=utf-8$/.test(contentType)) return `${status} with content-type ${contentType}`;
  const parsed = JSON.parse(body) as Record<string, unknown>;
  if (status >= 400) {
    return Object.keys(parsed).sort().join(',') === 'isError,message' && parsed.isError === true && typeof parsed.message === 'string'
      ? null
      : `${status} not in the error shape: ${body.slice(0, 200)}`;
  }
  // 2xx: what the route gives.
  const path = request.url.split('?', 1)[0]!;
  if (request.method === 'GET') return Array.isArray(parsed.keys ?? parsed.queries) ? null : `bad list: ${body.slice(0, 100)}`;
  if (path.startsWith('/admin/keys')) return typeof parsed.masked === 'string' && !('key' in parsed) ? null : `bad key: ${body.slice(0, 100)}`;
  return typeof parsed.text === 'string' && typeof parsed.followed === 'boolean' ? null : `bad query: ${body.slice(0, 100)}`;
}

const body = adminBody(sim.apiKeys());

const id = fc.oneof(
  fc.integer({ min: -3, max: 20 }).map(String),
  fc.constantFrom('0', '4294967295', '4294967296', '99999999999999999999', '1e3', '0x1', '1.0', 'abc', '%20', '%', '%ZZ', '..', '1;DROP TABLE api_keys', "1'--"),
  fc.string({ maxLength: 10 }).map(encodeURIComponent),
);

const adminRequest: fc.Arbitrary<Sent> = fc.oneof(
  fc.record({
    method: fc.constantFrom<Sent['method']>('POST'),
    url: fc.constantFrom('/admin/keys', '/admin/queries', '/admin/queries?x=1'),
    contentType: fc.oneof({ weight: 5, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom(...ODD_CONTENT_TYPES) }),
    body,
  }),
  fc.record({ method: fc.constant<Sent['method']>('PATCH'), url: id.map((value) => `/admin/keys/${value}`), contentType: fc.constant('application/json'), body }),
  fc.record({ method: fc.constantFrom<Sent['method']>('DELETE', 'GET', 'PUT'), url: fc.tuple(fc.constantFrom('/admin/keys/', '/admin/queries/'), id).map(([path, value]) => `${path}${value}`) }),
  fc.record({ method: fc.constant<Sent['method']>('GET'), url: fc.tuple(fc.constantFrom('/admin/keys', '/admin/queries'), fc.string({ maxLength: 20 })).map(([path, query]) => `${path}?${encodeURIComponent(query)}=1`) }),
);

describe('admin API input', () => {
  it('answers every request a correct 2xx or a 4xx in the error shape, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(adminRequest, async (request) => {
        const { response, ms } = await send(request);
        const found = problem(request, response.statusCode, String(response.headers['content-type'] ?? ''), response.body, ms);
        expect(found, `${request.method} ${request.url} ${request.contentType ?? ''} ${request.body?.slice(0, 80) ?? ''}`).toBeNull();
      }),
      hostileParameters(400, hostileSeed()),
    );
  });

  it.each([
    ['POST', '/admin/queries'],
    ['POST', '/admin/keys'],
    ['PATCH', '/admin/keys/1'],
  ] as const)('%s %s refuses a body over 16 KiB with 413 in the error shape, after the credentials check', async (method, url) => {
    const big = JSON.stringify({ text: 'x'.repeat(ADMIN_BODY_LIMIT) });
    const refused = await send({ method, url, contentType: 'application/json', body: big });
    expect(refused.response.statusCode).toBe(413);
    expect(refused.response.json()).toEqual({ isError: true, message: 'Request body is too large' });
    const anonymous = await send({ method, url, contentType: 'application/json', body: big }, {});
    expect(anonymous.response.statusCode).toBe(401);
    // Just under the limit the body is read, and judged by the schema.
    const under = JSON.stringify({ unexpected: 'y'.repeat(ADMIN_BODY_LIMIT - 30) });
    expect(Buffer.byteLength(under)).toBeLessThanOrEqual(ADMIN_BODY_LIMIT);
    const judged = await send({ method, url, contentType: 'application/json', body: under });
    expect(judged.response.statusCode).toBe(400);
  });

  it.each([
    ['POST', '/admin/queries', { text: 'tea', priority: 1 }, 'unknown field priority; allowed: text'],
    ['POST', '/admin/keys', { key: 'abcdef1234', owner: 'me' }, 'unknown field owner; allowed: key, label, project'],
    ['PATCH', '/admin/keys/1', { enabled: true, state: 'active' }, 'unknown field state; allowed: enabled, label, project'],
    ['POST', '/admin/queries', {}, 'text is required and must be text of 1 to 200 characters'],
    ['POST', '/admin/queries', { text: 5 }, 'text must be text of 1 to 200 characters (got "5")'],
    ['POST', '/admin/queries', [], 'invalid body: must be object'],
    ['PATCH', '/admin/keys/1', { enabled: 'yes' }, 'enabled must be true or false (got "yes")'],
  ] as const)('%s %s %j answers 400 naming the field', async (method, url, payload, message) => {
    const { response } = await send({ method, url, contentType: 'application/json', body: JSON.stringify(payload) });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ isError: true, message });
  });

  it('refuses bodies that are not JSON objects, or not JSON at all, in the error shape', async () => {
    for (const [contentType, payload, status] of [
      ['application/json', '{"text":', 400],
      ['application/json', '{"__proto__":{"polluted":true}}', 400],
      ['application/json', '', 400],
      ['text/plain', 'text=tea', 400],
      ['application/xml', '<text>tea</text>', 415],
    ] as const) {
      const { response } = await send({ method: 'POST', url: '/admin/queries', contentType, body: payload });
      expect(response.statusCode, payload).toBe(status);
      expect(response.json<{ isError: boolean }>().isError).toBe(true);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
