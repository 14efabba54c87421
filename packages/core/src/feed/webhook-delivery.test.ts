// One delivery attempt against local receivers: the headers a receiver gets, redirects not
// followed, the timeout, and nothing of the secret in what a failure says.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook, WebhookDeliveryError } from './webhook-delivery.js';
import { WebhookDestinationError } from './webhook-destination.js';
import { verifyWebhookSignature } from './webhook-signature.js';

const SECRET = 'delivery-secret-000111222';
let server: http.Server;
let base = '';
const seen: Array<{ url: string; headers: http.IncomingHttpHeaders; body: string }> = [];

beforeAll(async () => {
  server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      seen.push({ url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (request.url === '/redirect') {
        response.writeHead(302, { location: `${base}/elsewhere` }).end();
      } else if (request.url === '/silent') {
        // Never answers.
      } else {
        response.writeHead(200).end('ok');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const attempt = (path: string, overrides: Partial<Parameters<typeof postWebhook>[0]> = {}) =>
  postWebhook({
    url: `${base}${path}`,
    secret: SECRET,
    allowPrivateNetwork: true,
    deliveryId: 'whd-1-1',
    body: '{"id":"whd-1-1"}',
    now: new Date('2026-12-07T10:00:00Z'),
    timeoutMs: 2000,
    ...overrides,
  });

describe('postWebhook', () => {
  it('POSTs the body with the delivery id, the event type and a signature over timestamp and body', async () => {
    await expect(attempt('/hook')).resolves.toBe(200);
    const got = seen.at(-1)!;
    expect(got.headers).toMatchObject({
      'content-type': 'application/json',
      'tubefeed-delivery': 'whd-1-1',
      'tubefeed-event': 'video.created',
      'tubefeed-signature': expect.stringMatching(/^t=1796637600,v1=[0-9a-f]{64}$/) as string,
    });
    expect(got.body).toBe('{"id":"whd-1-1"}');
    expect(verifyWebhookSignature(SECRET, got.body, got.headers['tubefeed-signature'] as string, 1_796_637_600)).toBe(true);
  });

  it('does not follow a redirect: a 3xx is a failed attempt', async () => {
    const before = seen.length;
    await expect(attempt('/redirect')).rejects.toEqual(new WebhookDeliveryError('receiver answered 302', 302));
    expect(seen.slice(before).map((request) => request.url)).toEqual(['/redirect']);
  });

  it('gives up after the timeout', async () => {
    await expect(attempt('/silent', { timeoutMs: 200 })).rejects.toThrow('no answer within 200 ms');
  });

  it('refuses a private destination without allowPrivateNetwork, before connecting', async () => {
    const before = seen.length;
    const refused = attempt('/hook', { allowPrivateNetwork: false });
    await expect(refused).rejects.toBeInstanceOf(WebhookDestinationError);
    await expect(refused).rejects.toThrow(/^url must start with https:\/\//);
    await expect(attempt('/hook', { url: base.replace('http:', 'https:') + '/hook', allowPrivateNetwork: false })).rejects.toThrow(/127\.0\.0\.1 is in a loopback range/);
    expect(seen.length).toBe(before);
  });

  it('says why a connection failed without the secret', async () => {
    const error = (await attempt('/hook', { url: 'http://127.0.0.1:1/hook' }).catch((e: unknown) => e)) as Error;
    expect(error.message).toBe('could not deliver: ECONNREFUSED');
    expect(JSON.stringify(error) + error.stack).not.toContain(SECRET);
  });
});
