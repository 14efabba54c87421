// walkCursor finds every deep cursor the run needs in one walk, and walkListing the cursor of a
// sorts-group listing's deep page, against a stand-in for /videos that pages through 1,000
// numbered rows with the cursor naming the next row.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listingPath, resolveRequest, walkCursor, walkListing } from './http-scenarios.js';
import type { HttpRequestPlan } from './plan.js';

const ROWS = 1000;
let server: Server;
let url: string;
let requests = 0;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    requests++;
    seen.push(request.url ?? '');
    const query = new URL(request.url ?? '/', 'http://localhost').searchParams;
    const from = Number(query.get('cursor') ?? '0');
    const limit = Number(query.get('limit'));
    const items = Array.from({ length: Math.max(0, Math.min(limit, ROWS - from)) }, (_, i) => ({ row: from + i }));
    const next = from + items.length;
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ items, nextCursor: next < ROWS ? String(next) : null }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  url = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('walkCursor', () => {
  it('collects the cursor at each wanted depth in one walk to the deepest', async () => {
    requests = 0;
    const walk = await walkCursor(url, [300, 100], 50);
    expect([...walk.cursors.entries()].sort(([a], [b]) => a - b)).toEqual([
      [100, '100'],
      [300, '300'],
    ]);
    expect(walk.requests).toBe(6);
    expect(requests).toBe(6);
  });

  it('refuses depths that are not whole pages, and walks past the end', async () => {
    await expect(walkCursor(url, [120], 50)).rejects.toThrow(/whole pages/);
    await expect(walkCursor(url, [2000], 100)).rejects.toThrow(/ended after 1000 rows/);
  });
});

describe('walkListing', () => {
  const listing: Extract<HttpRequestPlan, { kind: 'listing' }> = {
    kind: 'listing',
    path: '/videos',
    limit: 20,
    params: 'sort=views&order=asc&channel={channel}',
    page: 50,
  };

  it('follows nextCursor with the listing\'s own parameters to the cursor of the wanted page', async () => {
    requests = 0;
    seen.length = 0;
    const path = listingPath(listing, { channelId: 'UC_x-1' });
    expect(path).toBe('/videos?sort=views&order=asc&channel=UC_x-1');
    const walk = await walkListing(url, path, 20, 50);
    // Pages 1 to 49 read; page 50 starts at row 980.
    expect(walk.cursor).toBe('980');
    expect(requests).toBe(49);
    expect(seen.every((u) => u.startsWith('/videos?sort=views&order=asc&channel=UC_x-1&limit=20'))).toBe(true);
    const resolved = resolveRequest(listing, {
      apiUrl: url,
      baselineUrl: null,
      facts: { pageOneBody: Buffer.alloc(0), pageOneBytes: 0, totalCount: ROWS, pageOneEtag: null, channelId: 'UC_x-1' },
      cursors: new Map(),
      listingCursors: new Map([['/videos?sort=views&order=asc&channel={channel}&limit=20&page=50', walk.cursor]]),
    });
    expect(resolved.url).toBe(`${url}/videos?sort=views&order=asc&channel=UC_x-1&limit=20&cursor=980`);
  });

  it('refuses a listing that ends before the page, and a channel listing without a channel', async () => {
    await expect(walkListing(url, '/videos?sort=views', 100, 11)).rejects.toThrow(/ends at page 10, before page 11/);
    expect(() => listingPath(listing, { channelId: null })).toThrow(/no channel/);
  });
});
