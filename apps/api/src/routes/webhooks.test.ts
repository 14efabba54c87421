// The admin API's webhooks: registered, listed and deleted behind admin credentials, every
// parameter checked with a message naming it, destinations held to the guard (no DNS needed:
// literal addresses and names refused before any lookup), and the secret in no answer and no
// log line, ever.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '@tubefeed/core';
import { captureLog, type CapturedLog } from '../testing/log-capture.js';
import { useTestApis, type TestApi } from '../testing/test-api.js';

const AUTH = { authorization: `Basic ${Buffer.from('ops:webhook-admin-pw').toString('base64')}` };
const SECRET = 'whsec_9f2c1e7a5b3d4c6e8f0a';
const apis = useTestApis({ clock: systemClock });
let api: TestApi;
let captured: CapturedLog;
const bodies: string[] = [];

beforeAll(async () => {
  captured = captureLog('debug');
  api = await apis.start({ ADMIN_USER: 'ops', ADMIN_PASSWORD: 'webhook-admin-pw', LOG_LEVEL: 'debug' }, captured.log);
});
afterAll(() => {
  // Whatever was asked, no answer and no log line carried the secret.
  for (const body of bodies) expect(body).not.toContain(SECRET);
  expect(captured.text()).not.toContain(SECRET);
});

async function call(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object, headers: Record<string, string> = AUTH) {
  const response = await api.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
  bodies.push(response.body);
  return { status: response.statusCode, body: response.body === '' ? null : response.json<Record<string, unknown>>() };
}

const refusal = async (payload: object) => {
  const { status, body } = await call('POST', '/admin/webhooks', payload);
  expect(status, JSON.stringify(body)).toBe(400);
  expect(body!.isError).toBe(true);
  return body!.message as string;
};

describe('/admin/webhooks', () => {
  it('answers 401 without credentials, on every route', async () => {
    for (const [method, url] of [
      ['GET', '/admin/webhooks'],
      ['POST', '/admin/webhooks'],
      ['DELETE', '/admin/webhooks/1'],
    ] as const) {
      const { status } = await call(method, url, method === 'POST' ? { url: 'https://93.184.216.34/', secret: SECRET } : undefined, {});
      expect(status, `${method} ${url}`).toBe(401);
    }
  });

  it('registers, lists and deletes webhooks; the secret is never returned', async () => {
    const created = await call('POST', '/admin/webhooks', { url: 'https://93.184.216.34/hooks/tubefeed?src=1', secret: SECRET });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(Number) as number,
      url: 'https://93.184.216.34/hooks/tubefeed?src=1',
      feed: 'all',
      query: null,
      channel: null,
      allowPrivateNetwork: false,
      createdAt: expect.any(String) as string,
    });
    const local = await call('POST', '/admin/webhooks', { url: 'http://127.0.0.1:8080/hook', secret: SECRET, channel: 'UC_x-1', allowPrivateNetwork: true });
    expect(local.status).toBe(201);
    expect(local.body).toMatchObject({ feed: 'c:UC_x-1', channel: 'UC_x-1', query: null, allowPrivateNetwork: true });

    const followed = await call('POST', '/admin/queries', { text: 'cricket' });
    expect(followed.status).toBeLessThan(300);
    const byQuery = await call('POST', '/admin/webhooks', { url: 'https://93.184.216.34/q', secret: SECRET, query: 'Cricket' });
    expect(byQuery.status).toBe(201);
    expect(byQuery.body).toMatchObject({ feed: `q:${followed.body!.id as number}`, query: 'cricket', channel: null });

    const listed = await call('GET', '/admin/webhooks');
    expect(listed.status).toBe(200);
    const hooks = (listed.body as { webhooks: Array<Record<string, unknown>> }).webhooks;
    expect(hooks.map((hook) => hook.id)).toEqual([created.body!.id, local.body!.id, byQuery.body!.id]);
    for (const hook of hooks) expect(Object.keys(hook).sort()).toEqual(['allowPrivateNetwork', 'channel', 'createdAt', 'feed', 'id', 'query', 'url']);

    expect((await call('DELETE', `/admin/webhooks/${local.body!.id as number}`)).status).toBe(204);
    const again = await call('DELETE', `/admin/webhooks/${local.body!.id as number}`);
    expect(again).toEqual({ status: 404, body: { isError: true, message: `no webhook with id ${local.body!.id as number}` } });
    expect(((await call('GET', '/admin/webhooks')).body as { webhooks: unknown[] }).webhooks).toHaveLength(2);
  });

  it('names the parameter in every refusal, and never echoes a secret', async () => {
    const url = 'https://93.184.216.34/hook';
    expect(await refusal({ secret: SECRET })).toMatch(/^url is required/);
    expect(await refusal({ url })).toMatch(/^secret is required/);
    const short = await refusal({ url, secret: 'short-secret' });
    expect(short).toMatch(/^secret must be 16 to 200 printable ASCII characters/);
    expect(short).not.toContain('short-secret');
    const spaced = await refusal({ url, secret: 'sixteen chars with spaces' });
    expect(spaced).toMatch(/^secret must be/);
    expect(spaced).not.toContain('spaces"');
    expect(await refusal({ url, secret: SECRET, query: 'cricket', channel: 'UCabc' })).toBe(
      'query and channel cannot be combined: give one of them, or neither for all videos',
    );
    expect(await refusal({ url, secret: SECRET, query: 'never followed' })).toBe('query "never followed" is not a followed search query');
    expect(await refusal({ url, secret: SECRET, channel: 'not a channel!' })).toMatch(/^channel must be a YouTube channel id \(1-64 letters, digits, _ and -\)/);
    expect(await refusal({ url, secret: SECRET, allowPrivateNetwork: 'yes' })).toMatch(/^allowPrivateNetwork must be/);
    expect(await refusal({ url, secret: SECRET, events: 'all' })).toMatch(/^unknown field events; allowed: url, secret, query, channel, allowPrivateNetwork/);
    expect(await refusal({ url: 'x'.repeat(2049), secret: SECRET })).toMatch(/^url must be text of 1 to 2048 characters/);
    expect((await call('DELETE', '/admin/webhooks/abc')).body!.message).toMatch(/^id must be an integer/);
  });

  it('refuses destinations the guard refuses, naming url, unless private networks are allowed', async () => {
    const cases: Array<[string, RegExp]> = [
      ['http://93.184.216.34/hook', /^url must start with https:\/\//],
      ['https://127.0.0.1/hook', /^url must reach a public address: 127\.0\.0\.1 is in a loopback range/],
      ['https://[::1]:8443/hook', /^url must reach a public address: ::1 is in a loopback range/],
      ['https://[::ffff:10.0.0.1]/hook', /^url must reach a public address: ::ffff:a00:1 \(10\.0\.0\.1\) is in a private range/],
      ['https://169.254.169.254/latest/meta-data/', /^url must reach a public address: 169\.254\.169\.254 is in a linkLocal range/],
      ['https://100.64.1.1/', /carrierGradeNat/],
      ['https://localhost/hook', /^url must reach a public host: localhost is a local or cloud-internal name/],
      ['https://metadata.google.internal/computeMetadata/v1/', /^url must reach a public host/],
      ['https://mysql:3306/', /^url must reach a public host/],
      ['https://user:pw@93.184.216.34/', /^url must not carry credentials/],
      ['not a url', /^url must be an absolute URL/],
    ];
    for (const [url, message] of cases) expect(await refusal({ url, secret: SECRET }), url).toMatch(message);
    const before = ((await call('GET', '/admin/webhooks')).body as { webhooks: unknown[] }).webhooks.length;
    expect((await call('POST', '/admin/webhooks', { url: 'https://localhost:8443/hook', secret: SECRET, allowPrivateNetwork: true })).status).toBe(201);
    expect((await call('POST', '/admin/webhooks', { url: 'http://10.0.0.7/hook', secret: SECRET, allowPrivateNetwork: true })).status).toBe(201);
    expect(((await call('GET', '/admin/webhooks')).body as { webhooks: unknown[] }).webhooks).toHaveLength(before + 2);
  });

  it('is documented in the OpenAPI document, the request body and answers included', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, Record<string, Record<string, unknown>>> }>();
    const post = doc.paths['/admin/webhooks']!.post!;
    expect(JSON.stringify(post.requestBody)).toContain('allowPrivateNetwork');
    expect(Object.keys(post.responses as object)).toEqual(expect.arrayContaining(['201', '400', '401']));
    expect(doc.paths['/admin/webhooks']!.get).toBeDefined();
    expect(doc.paths['/admin/webhooks/{id}']!.delete).toBeDefined();
  });
});
