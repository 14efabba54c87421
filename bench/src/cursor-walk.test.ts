// walkCursor finds every deep cursor the run needs in one walk, against a stand-in for /videos
// that pages through 1,000 numbered rows with the cursor naming the next row.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walkCursor } from './http-scenarios.js';

const ROWS = 1000;
let server: Server;
let url: string;
let requests = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    requests++;
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
