// The webhook destination guard: which addresses a webhook may reach without allowPrivateNetwork
// (a table in IPv4, IPv6 and IPv4-mapped forms), host names refused before any lookup, names
// that resolve to private addresses (localhost through /etc/hosts, and stand-in resolvers), and
// the lookup given to Node's request refusing the connection itself (DNS rebinding).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressRange, checkWebhookDestination, checkWebhookUrl, guardedLookup, isAllowedAddress, WebhookDestinationError, type HostResolver } from './webhook-destination.js';

const REFUSED: ReadonlyArray<[string, string]> = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.1.2.3', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'linkLocal'],
  ['169.254.0.1', 'linkLocal'],
  ['100.64.0.1', 'carrierGradeNat'],
  ['100.100.100.200', 'carrierGradeNat'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  ['240.0.0.1', 'reserved'],
  ['192.0.2.10', 'reserved'],
  ['198.18.0.1', 'reserved'],
  ['::1', 'loopback'],
  ['::', 'unspecified'],
  ['fe80::1', 'linkLocal'],
  ['fc00::1', 'uniqueLocal'],
  ['fd00:ec2::254', 'uniqueLocal'],
  ['ff02::1', 'multicast'],
  ['2001:db8::1', 'reserved'],
  ['2002:7f00:1::', '6to4'],
  ['64:ff9b::7f00:1', 'rfc6052'],
  // IPv4-mapped IPv6: judged as the IPv4 address they carry.
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:169.254.169.254', 'linkLocal'],
  ['::ffff:10.0.0.1', 'private'],
  ['::ffff:192.168.0.1', 'private'],
  ['[::1]', 'loopback'],
];
const ALLOWED = ['93.184.216.34', '8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8'];

describe('addresses', () => {
  it.each(REFUSED)('refuses %s (%s) unless private networks are allowed', (address, range) => {
    expect(addressRange(address)).toBe(range);
    expect(isAllowedAddress(address, false)).toBe(false);
    expect(isAllowedAddress(address, true)).toBe(true);
  });

  it.each(ALLOWED)('allows public unicast %s', (address) => {
    expect(addressRange(address)).toBe('unicast');
    expect(isAllowedAddress(address, false)).toBe(true);
  });
});

describe('URLs, before any lookup', () => {
  const refused = (url: string, allow = false) => {
    try {
      checkWebhookUrl(url, allow);
    } catch (error) {
      expect(error).toBeInstanceOf(WebhookDestinationError);
      return (error as Error).message;
    }
    throw new Error(`${url} was accepted`);
  };

  it('wants https, no credentials, a public host', () => {
    expect(refused('http://93.184.216.34/hook')).toMatch(/^url must start with https:\/\//);
    expect(refused('ftp://example.com/')).toMatch(/^url must start with https/);
    expect(refused('not a url')).toMatch(/^url must be an absolute URL/);
    expect(refused('https://user:pw@example.com/')).toMatch(/^url must not carry credentials/);
    for (const url of [
      'https://localhost/',
      'https://LOCALHOST./x',
      'https://api.localhost/',
      'https://metadata.google.internal/computeMetadata/v1/',
      'https://metadata/',
      'https://instance-data/latest/',
      'https://printer.local/',
      'https://redis:6379/',
    ]) {
      expect(refused(url), url).toMatch(/^url must reach a public host: .* is a local or cloud-internal name/);
    }
    for (const url of [
      'https://127.0.0.1/',
      'https://2130706433/', // 127.0.0.1 as one number: the URL parser reads it so
      'https://0x7f.1/',
      'https://[::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://[::ffff:a9fe:a9fe]/latest/meta-data/',
      'https://169.254.169.254/latest/meta-data/',
      'https://10.0.0.8:8443/hook',
    ]) {
      expect(refused(url), url).toMatch(/^url must reach a public address: .* is in a \w+ range/);
    }
    expect(checkWebhookUrl('https://93.184.216.34/hook', false).href).toBe('https://93.184.216.34/hook');
  });

  it('with allowPrivateNetwork takes local receivers, http: included, still without credentials', () => {
    expect(checkWebhookUrl('http://127.0.0.1:8080/hook', true).host).toBe('127.0.0.1:8080');
    expect(checkWebhookUrl('https://localhost/hook', true).hostname).toBe('localhost');
    expect(refused('http://u:p@127.0.0.1/', true)).toMatch(/credentials/);
  });
});

describe('resolved addresses', () => {
  const resolver =
    (table: Record<string, string[]>): HostResolver =>
    async (host) =>
      Promise.resolve((table[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));

  it('refuses a name that resolves to 127.0.0.1 (localhost.localdomain, from /etc/hosts) unless allowed', async () => {
    // A name the name list does not catch: only its addresses refuse it.
    const names = resolver({ 'hooks.example.com': ['127.0.0.1'] });
    await expect(checkWebhookDestination('https://hooks.example.com/x', false, { resolve: names })).rejects.toThrow(
      'url must reach a public address: hooks.example.com resolves to 127.0.0.1 is in a loopback range',
    );
    await expect(checkWebhookDestination('https://hooks.example.com/x', true, { resolve: names })).resolves.toBeInstanceOf(URL);
  });

  it('refuses a name when any of its addresses is private, in whatever form', async () => {
    const names = resolver({
      'mixed.example.com': ['93.184.216.34', '10.0.0.5'],
      'mapped.example.com': ['2606:4700::1', '::ffff:169.254.169.254'],
      'public.example.com': ['93.184.216.34', '2606:4700:4700::1111'],
    });
    await expect(checkWebhookDestination('https://mixed.example.com/', false, { resolve: names })).rejects.toThrow(/10\.0\.0\.5 is in a private range/);
    await expect(checkWebhookDestination('https://mapped.example.com/', false, { resolve: names })).rejects.toThrow(/::ffff:169\.254\.169\.254 \(169\.254\.169\.254\) is in a linkLocal range/);
    await expect(checkWebhookDestination('https://public.example.com/', false, { resolve: names })).resolves.toBeInstanceOf(URL);
  });

  it('refuses a name that does not resolve, or not in time', async () => {
    await expect(checkWebhookDestination('https://nowhere.example.com/', false, { resolve: resolver({}) })).rejects.toThrow(/could not be resolved/);
    const never: HostResolver = () => new Promise(() => undefined);
    await expect(checkWebhookDestination('https://slow.example.com/', false, { resolve: never, timeoutMs: 50 })).rejects.toThrow(/could not be resolved \(timed out\)/);
  });

  it('refuses localhost by name, before any lookup', async () => {
    await expect(checkWebhookDestination('https://localhost/', false)).rejects.toThrow(/localhost is a local or cloud-internal name/);
  });
});

describe('the connection itself (DNS rebinding)', () => {
  let server: http.Server;
  let port: number;
  let requests = 0;
  beforeAll(async () => {
    server = http.createServer((request, response) => {
      requests++;
      response.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const get = (host: string, lookup: ReturnType<typeof guardedLookup>) =>
    new Promise<number>((resolve, reject) => {
      const request = http.request({ host, port, path: '/', agent: false, lookup }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      request.on('error', reject);
      request.end();
    });

  it('refuses to connect when the name now resolves to a private address, and connects when allowed', async () => {
    // Public when the webhook was registered, 127.0.0.1 when it delivers.
    const rebound: HostResolver = async () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
    await expect(get('hooks.example.com', guardedLookup(false, rebound))).rejects.toThrow('hooks.example.com resolves to 127.0.0.1 is in a loopback range');
    expect(requests).toBe(0);
    await expect(get('hooks.example.com', guardedLookup(true, rebound))).resolves.toBe(200);
    expect(requests).toBe(1);
  });

  it("with the system's resolver, a name that resolves to loopback (localhost, from /etc/hosts) is refused at the connection", async () => {
    await expect(get('localhost', guardedLookup(false))).rejects.toThrow(/localhost resolves to (127\.0\.0\.1|::1) is in a loopback range/);
    expect(requests).toBe(1);
  });
});
