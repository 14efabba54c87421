// GET /feeds/videos.atom against the real MySQL and Redis: what a feed parser reads matches the
// stored videos for each scope, stored text of any kind stays well-formed XML, validators and
// 304s, parameter errors, the self link behind a trusted proxy, and the OpenAPI document.
import { parseFeed } from '@rowanmanning/feed-parser';
import { XMLValidator } from 'fast-xml-parser';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, createSearchQueryRepository, createVideoRepository, type VideoInput, type VideoRepository } from '@tubefeed/core';
import { fakeVideoId, videoInput } from '@tubefeed/core/testing';
import { useTestApis, type TestApi } from '../testing/test-api.js';

const clock = new ManualClock('2024-06-01T00:00:00Z');
const apis = useTestApis({ clock });
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/; // eslint-disable-line no-control-regex
const HOSTILE_TITLE = 'Tom & Jerry <b>]]> "q" \'s\' 🍵 \u0000\u0001\u0008\u000B\u000C\u001F\uFFFE end';
const HOSTILE_DESCRIPTION = 'a <script>x</script> & b\nsecond line\u0007 ]]> done';

let api: TestApi;
let videos: VideoRepository;
/** Every stored video, newest first. */
const stored: VideoInput[] = [];
let football: VideoInput[];
let hostile: VideoInput;

const at = (hour: number) => new Date(Date.UTC(2024, 4, 1, hour));

beforeAll(async () => {
  api = await apis.start();
  videos = createVideoRepository({ db: api.db.kysely, clock });
  const query = await createSearchQueryRepository({ db: api.db.kysely, clock }).follow('football');
  const batch = Array.from({ length: 6 }, (_, i) =>
    videoInput({
      videoId: fakeVideoId(7100 + i),
      publishedAt: at(i),
      channelId: i % 2 === 0 ? 'UCalpha' : 'UCbeta',
      channelTitle: i % 2 === 0 ? 'Alpha & Co' : 'Beta',
    }),
  );
  await videos.upsertBatch(batch.slice(0, 3), { queryId: query.id });
  await videos.upsertBatch(batch.slice(3));
  football = batch.slice(0, 3).reverse();
  hostile = batch[5]!;
  stored.push(...[...batch].reverse());
  // Text no ingest path would store, written straight into MySQL; the stored JSON is dropped so
  // the listing renders the row again from these columns.
  await sql`UPDATE videos SET title = ${HOSTILE_TITLE}, description = ${HOSTILE_DESCRIPTION}, json = NULL WHERE video_id = ${hostile.videoId}`.execute(
    api.db.kysely,
  );
});

async function atom(url: string, headers: Record<string, string> = {}, through: TestApi = api) {
  return through.app.inject({ method: 'GET', url, headers });
}

function parsed(body: string) {
  expect(XMLValidator.validate(body)).toBe(true);
  expect(body).not.toMatch(FORBIDDEN);
  return parseFeed(body);
}

describe('GET /feeds/videos.atom', () => {
  it('serves the newest stored videos as Atom, each entry as stored', async () => {
    const response = await atom('/feeds/videos.atom');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/atom+xml; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-cache');
    // When the entries were last stored (the clock at the upserts), not when they were published.
    expect(response.headers['last-modified']).toBe(clock.now().toUTCString());
    const feed = parsed(response.body);
    expect(feed.meta.type).toBe('atom');
    expect(feed.updated?.toISOString()).toBe(at(5).toISOString());
    expect(feed.self).toBe('http://localhost:80/feeds/videos.atom');
    expect(feed.items.map((item) => item.id)).toEqual(stored.map((video) => `yt:video:${video.videoId}`));
    for (const [i, item] of feed.items.entries()) {
      const video = stored[i]!;
      if (video === hostile) continue;
      expect(item.title).toBe(video.title);
      expect(item.description).toBe(video.description);
      expect(item.url).toBe(`https://www.youtube.com/watch?v=${video.videoId}`);
      expect(item.published?.toISOString()).toBe(video.publishedAt.toISOString());
      expect(item.updated?.toISOString()).toBe(video.publishedAt.toISOString());
      expect(item.authors).toEqual([{ name: video.channelTitle, url: `https://www.youtube.com/channel/${video.channelId}`, email: null }]);
      expect(item.media[0]?.image).toBe(video.thumbnails.high);
    }
  });

  it('keeps hostile stored text well-formed: markup escaped, forbidden characters dropped', async () => {
    const response = await atom('/feeds/videos.atom?limit=1');
    const [item] = parsed(response.body).items;
    expect(item!.id).toBe(`yt:video:${hostile.videoId}`);
    expect(item!.title).toBe('Tom & Jerry <b>]]> "q" \'s\' 🍵  end');
    expect(item!.description).toBe('a <script>x</script> & b\nsecond line ]]> done');
    expect(response.body).not.toContain('<script>');
  });

  it('serves a followed query or a channel, and honours limit', async () => {
    const byQuery = parsed((await atom('/feeds/videos.atom?query=football')).body);
    expect(byQuery.items.map((item) => item.id)).toEqual(football.map((video) => `yt:video:${video.videoId}`));
    expect(byQuery.title).toContain('football');
    const byChannel = parsed((await atom('/feeds/videos.atom?channel=UCbeta&limit=2')).body);
    expect(byChannel.items.map((item) => item.id)).toEqual(
      stored
        .filter((video) => video.channelId === 'UCbeta')
        .slice(0, 2)
        .map((video) => `yt:video:${video.videoId}`),
    );
    const [all, query, channel] = await Promise.all(
      ['/feeds/videos.atom?limit=3', '/feeds/videos.atom?query=football', '/feeds/videos.atom?channel=UCbeta'].map(async (url) => (await atom(url)).body),
    );
    // Each scope has its own stable id, whatever else the URL carries.
    expect(new Set([all, query, channel].map((body) => /<id>([^<]*)<\/id>/.exec(body!)![1])).size).toBe(3);
    expect(/<id>([^<]*)<\/id>/.exec(all!)![1]).toBe(/<id>([^<]*)<\/id>/.exec((await atom('/feeds/videos.atom?limit=1')).body)![1]);
  });

  it('serves an empty scope as a valid feed with the fixed epoch and no Last-Modified', async () => {
    const response = await atom('/feeds/videos.atom?channel=UCnobody');
    expect(response.statusCode).toBe(200);
    expect(response.headers['last-modified']).toBeUndefined();
    const feed = parsed(response.body);
    expect(feed.items).toEqual([]);
    expect(feed.updated?.toISOString()).toBe('1970-01-01T00:00:00.000Z');
  });

  it('answers 304 to If-None-Match or If-Modified-Since while unchanged, If-None-Match deciding when both are sent', async () => {
    const first = await atom('/feeds/videos.atom?channel=UCalpha');
    const etag = String(first.headers.etag);
    const lastModified = String(first.headers['last-modified']);
    expect(etag).toMatch(/^"atom-/);
    const again = await atom('/feeds/videos.atom?channel=UCalpha');
    expect(again.headers.etag).toBe(etag);
    expect((await atom('/feeds/videos.atom?channel=UCbeta')).headers.etag).not.toBe(etag);
    expect((await atom('/feeds/videos.atom?channel=UCalpha&limit=2')).headers.etag).not.toBe(etag);

    const byTag = await atom('/feeds/videos.atom?channel=UCalpha', { 'if-none-match': `"x", ${etag}` });
    expect(byTag.statusCode).toBe(304);
    expect(byTag.body).toBe('');
    expect(byTag.headers.etag).toBe(etag);
    expect(byTag.headers['last-modified']).toBe(lastModified);
    expect((await atom('/feeds/videos.atom?channel=UCalpha', { 'if-modified-since': lastModified })).statusCode).toBe(304);
    const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString();
    expect((await atom('/feeds/videos.atom?channel=UCalpha', { 'if-modified-since': earlier })).statusCode).toBe(200);
    // A stale tag wins over a date that alone would say "not modified", and a matching tag over an old date.
    expect((await atom('/feeds/videos.atom?channel=UCalpha', { 'if-none-match': '"stale"', 'if-modified-since': lastModified })).statusCode).toBe(200);
    expect((await atom('/feeds/videos.atom?channel=UCalpha', { 'if-none-match': etag, 'if-modified-since': earlier })).statusCode).toBe(304);

    // A video found late, published below the newest entry, changes both validators: Last-Modified
    // is when an entry was last stored, not the newest publish time.
    clock.advance(60_000);
    await videos.upsertBatch([videoInput({ videoId: fakeVideoId(7201), publishedAt: at(3), channelId: 'UCalpha', channelTitle: 'Alpha & Co' })]);
    const late = await atom('/feeds/videos.atom?channel=UCalpha', { 'if-modified-since': lastModified });
    expect(late.statusCode).toBe(200);
    expect(late.headers.etag).not.toBe(etag);
    expect(late.headers['last-modified']).toBe(clock.now().toUTCString());

    // So does a new video on top.
    clock.advance(60_000);
    await videos.upsertBatch([videoInput({ videoId: fakeVideoId(7200), publishedAt: at(9), channelId: 'UCalpha', channelTitle: 'Alpha & Co' })]);
    const changed = await atom('/feeds/videos.atom?channel=UCalpha', { 'if-none-match': String(late.headers.etag) });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers['last-modified']).toBe(clock.now().toUTCString());
    expect((await atom('/feeds/videos.atom?channel=UCalpha', { 'if-modified-since': String(late.headers['last-modified']) })).statusCode).toBe(200);
  });

  it('answers 400 naming the parameter at fault', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/feeds/videos.atom?query=football&channel=UCalpha', /query and channel/],
      ['/feeds/videos.atom?query=unknown', /query "unknown" is not a followed search query/],
      ['/feeds/videos.atom?channel=bad%20id', /channel/],
      ['/feeds/videos.atom?limit=0', /limit/],
      ['/feeds/videos.atom?limit=101', /limit/],
      ['/feeds/videos.atom?cursor=abc', /cursor/],
    ];
    for (const [url, message] of cases) {
      const response = await atom(url);
      expect(response.statusCode, url).toBe(400);
      expect(response.json(), url).toMatchObject({ isError: true, message: expect.stringMatching(message) as string });
    }
  });

  it('names itself by the address the client used, behind a trusted proxy', async () => {
    const proxied = await apis.start({ TRUST_PROXY: 'true' });
    const response = await atom(
      '/feeds/videos.atom?limit=2&query=football',
      { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'feeds.example.org', 'x-forwarded-for': '203.0.113.9' },
      proxied,
    );
    const feed = parsed(response.body);
    expect(feed.self).toBe('https://feeds.example.org/feeds/videos.atom?limit=2&query=football');
    expect(feed.url).toBe('https://feeds.example.org/');
    // Untrusted, the same headers name nothing.
    const direct = parsed((await atom('/feeds/videos.atom?limit=2', { 'x-forwarded-host': 'feeds.example.org' })).body);
    expect(direct.self).toBe('http://localhost:80/feeds/videos.atom?limit=2');
  });

  it('is documented in the OpenAPI document with its parameters and responses', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, { get?: { parameters?: Array<{ name: string }>; responses: Record<string, { content?: Record<string, unknown> }> } }>;
    }>();
    const get = doc.paths['/feeds/videos.atom']?.get;
    expect(get).toBeDefined();
    expect((get!.parameters ?? []).map((p) => p.name).sort()).toEqual(['channel', 'limit', 'query']);
    expect(Object.keys(get!.responses).sort()).toEqual(['200', '304', '400', '500', '503']);
    expect(Object.keys(get!.responses['200']!.content ?? {})).toEqual(['application/atom+xml']);
  });
});
