// The load runner's early stop, which the /health flood relies on (flood-client.ts stops its load
// on SIGTERM): against a local server, the load ends when told, well before its duration, and
// reports what was answered until then.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from './load-runner.js';

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((_request, response) => response.end('{"isError":false}'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/health`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('runLoad', () => {
  it('stops when its signal aborts, with the answers until then', async () => {
    const stop = new AbortController();
    let answered = 0;
    const load = runLoad({
      url,
      connections: 4,
      durationS: 60,
      expectStatus: 200,
      stop: stop.signal,
      onComplete: () => {
        answered++;
        if (answered === 200) stop.abort();
      },
    });
    const result = await load;
    expect(result.requests).toBeGreaterThanOrEqual(200);
    expect(result.durationS).toBeLessThan(30);
    expect(result.errors).toBe(0);
    expect(result.statusCounts['200']).toBe(result.requests);
  });
});
