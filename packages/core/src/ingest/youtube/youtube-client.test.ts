// The YouTube client against a server that answers 200 with something that is no search result
// list (a proxy's page, a truncated body): that must not read as "no results, no next page",
// which would end a search that never ran.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createYoutubeClient } from './youtube-client.js';

let server: Server;
let answer: { type: string; body: string } = { type: 'text/html', body: '<html>Sign in to continue</html>' };
let root = '';

beforeAll(async () => {
  server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': answer.type });
    response.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  root = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('search answered 200 without a search result list', () => {
  it.each([
    ['an HTML page', 'text/html', '<html>Sign in to continue</html>'],
    ['JSON of another kind', 'application/json', '{"kind":"youtube#videoListResponse","items":[]}'],
    ['a list without items', 'application/json', '{"kind":"youtube#searchListResponse","pageInfo":{"totalResults":0}}'],
  ])('%s is an unexplained answer, not an empty last page', async (_name, type, body) => {
    answer = { type, body };
    const client = createYoutubeClient({ rootUrl: root, timeoutMs: 2000 });
    await expect(client.search('test-key-0000000', { q: 'tea', maxResults: 50 })).rejects.toMatchObject({
      kind: 'unknown',
      status: 200,
      reason: 'unexpectedBody',
    });
  });

  it('an empty result list is a real empty last page', async () => {
    answer = { type: 'application/json', body: '{"kind":"youtube#searchListResponse","items":[],"pageInfo":{"totalResults":0,"resultsPerPage":0}}' };
    const client = createYoutubeClient({ rootUrl: root, timeoutMs: 2000 });
    expect(await client.search('test-key-0000000', { q: 'tea', maxResults: 50 })).toEqual({ videos: [], itemCount: 0, nextPageToken: null, totalResults: 0 });
  });
});
