import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, createSearchQueryRepository, createVideoRepository, type VideoInput } from '@tubefeed/core';
import { createTestDatabase, fakeVideoId, videoInput, type TestDatabase } from '@tubefeed/core/testing';
import { buildTestApi, type TestApi } from '../testing/test-api.js';

const clock = new ManualClock('2024-06-01T00:00:00Z');
let db: TestDatabase;
let api: TestApi;
const stored: VideoInput[] = [];
let teaQueryVideos: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  api = await buildTestApi({ databaseUrl: db.url, clock });
  const videos = createVideoRepository({ db: db.kysely, clock });
  const tea = await createSearchQueryRepository({ db: db.kysely, clock }).follow('tea');
  // 23 videos one hour apart; two share a publish time. Every third belongs to the "tea" query.
  for (let i = 0; i < 23; i++) {
    const video = videoInput({
      videoId: fakeVideoId(500 + i),
      title: i === 5 ? 'Tom & Jerry <live> "quoted" it\'s' : `Video number ${i}`,
      publishedAt: new Date(Date.UTC(2024, 4, 1) + (i === 10 ? 9 : i) * 3_600_000 + 123),
    });
    stored.push(video);
    await videos.upsertBatch([video], i % 3 === 0 ? { queryId: tea.id } : {});
  }
  teaQueryVideos = stored.filter((_, i) => i % 3 === 0).map((v) => v.videoId).reverse();
});

afterAll(async () => {
  await api.close();
  await db.drop();
});

interface FeedBody {
  isError: boolean;
  pageNo: number;
  limit: number;
  totalCount: number;
  totalPages: number;
  videos: Array<Record<string, unknown>>;
}

async function getData(query: string): Promise<{ status: number; body: FeedBody & { message?: string } }> {
  const response = await api.app.inject({ method: 'GET', url: `/getData${query}` });
  return { status: response.statusCode, body: response.json() };
}

/** Ids newest first, ties broken by insertion order (later insert = higher id = first). */
function expectedOrder(): string[] {
  return stored
    .map((video, index) => ({ video, index }))
    .sort((a, b) => b.video.publishedAt.getTime() - a.video.publishedAt.getTime() || b.index - a.index)
    .map(({ video }) => video.videoId);
}

describe('GET /getData', () => {
  it('answers with the established contract, newest first, defaults limit=10 pageNo=1', async () => {
    const { status, body } = await getData('');
    expect(status).toBe(200);
    expect(body).toMatchObject({ isError: false, pageNo: 1, limit: 10, totalCount: 23, totalPages: 3 });
    expect(body.videos.map((v) => v.video_id)).toEqual(expectedOrder().slice(0, 10));
    const newest = stored[22]!;
    expect(body.videos[0]).toEqual({
      video_id: newest.videoId,
      title: newest.title,
      description: newest.description,
      published_at: newest.publishedAt.toISOString(),
      thumbnail_default: newest.thumbnails.default,
      thumbnail_medium: newest.thumbnails.medium,
      thumbnail_high: newest.thumbnails.high,
      channel_id: newest.channelId,
      channel_title: newest.channelTitle,
      url: `https://www.youtube.com/watch?v=${newest.videoId}`,
      // Added by the enrichment (videos.list), after the fields above: null until it has told.
      duration_seconds: null,
      view_count: null,
      like_count: null,
      comment_count: null,
      live_state: null,
      scheduled_start_at: null,
      actual_start_at: null,
      actual_end_at: null,
      tags: null,
      category_id: null,
      default_language: null,
      definition: null,
      has_captions: null,
      made_for_kids: null,
      available: true,
      unavailable_since: null,
      details_updated_at: null,
    });
    // The established fields first, in their order.
    expect(Object.keys(body.videos[0]!).slice(0, 10)).toEqual(['video_id', 'title', 'description', 'published_at', 'thumbnail_default', 'thumbnail_medium', 'thumbnail_high', 'channel_id', 'channel_title', 'url']);
    expect(body.videos[0]!.published_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('keeps characters that are unsafe in HTML intact in JSON', async () => {
    const { body } = await getData('?limit=100');
    expect(body.videos.map((v) => v.title)).toContain('Tom & Jerry <live> "quoted" it\'s');
  });

  it('pages: partial last page, totals, and an empty page past the end', async () => {
    const order = expectedOrder();
    const last = await getData('?limit=10&pageNo=3');
    expect(last.body).toMatchObject({ pageNo: 3, limit: 10, totalCount: 23, totalPages: 3 });
    expect(last.body.videos.map((v) => v.video_id)).toEqual(order.slice(20));
    const beyond = await getData('?limit=10&pageNo=4');
    expect(beyond.status).toBe(200);
    expect(beyond.body).toMatchObject({ pageNo: 4, totalCount: 23, totalPages: 3, videos: [] });
    const far = await getData('?limit=7&pageNo=999999');
    expect(far.body).toMatchObject({ pageNo: 999999, limit: 7, totalCount: 23, totalPages: 4, videos: [] });
  });

  it('accepts every limit from 1 to 100 and pages consistently with it', async () => {
    const order = expectedOrder();
    for (let limit = 1; limit <= 100; limit++) {
      const pageNo = limit <= 23 ? 2 : 1;
      const { status, body } = await getData(`?limit=${limit}&pageNo=${pageNo}`);
      expect(status).toBe(200);
      expect(body.totalPages).toBe(Math.ceil(23 / limit));
      expect(body.videos.map((v) => v.video_id)).toEqual(order.slice((pageNo - 1) * limit, pageNo * limit));
    }
  });

  it('narrows to a followed query', async () => {
    const { body } = await getData('?query=tea&limit=100');
    expect(body.totalCount).toBe(8);
    expect(body.videos.map((v) => v.video_id)).toEqual(teaQueryVideos);
  });

  it.each([
    ['?limit=abc', 'limit must be an integer from 1 to 100 (got "abc")'],
    ['?limit=0', 'limit must be an integer from 1 to 100 (got "0")'],
    ['?limit=-5', 'limit must be an integer from 1 to 100 (got "-5")'],
    ['?limit=2.5', 'limit must be an integer from 1 to 100 (got "2.5")'],
    ['?limit=101', 'limit must be an integer from 1 to 100 (got "101")'],
    ['?limit=', 'limit must be an integer from 1 to 100 (got "")'],
    [`?limit=${'9'.repeat(400)}`, `limit must be an integer from 1 to 100 (got "${'9'.repeat(40)}…")`],
    ['?limit=0x10', 'limit must be an integer from 1 to 100 (got "0x10")'],
    ['?limit=1e2', 'limit must be an integer from 1 to 100 (got "1e2")'],
    ['?limit=Infinity', 'limit must be an integer from 1 to 100 (got "Infinity")'],
    ['?limit=%205', 'limit must be an integer from 1 to 100 (got " 5")'],
    ['?limit=10&limit=20', 'limit must be given once, as an integer from 1 to 100'],
    ['?pageNo=0', 'pageNo must be an integer from 1 to 1000000000 (got "0")'],
    ['?pageNo=-1', 'pageNo must be an integer from 1 to 1000000000 (got "-1")'],
    ['?pageNo=1.5', 'pageNo must be an integer from 1 to 1000000000 (got "1.5")'],
    ['?pageNo=two', 'pageNo must be an integer from 1 to 1000000000 (got "two")'],
    ['?pageNo=10000000000', 'pageNo must be an integer from 1 to 1000000000 (got "10000000000")'],
    ['?pageNo=1&pageNo=2', 'pageNo must be given once, as an integer from 1 to 1000000000'],
    ['?query=', 'query must be text of 1 to 200 characters (got "")'],
    ['?query=nope', 'query "nope" is not a followed search query'],
    ['?limt=5', 'unknown parameter limt; allowed: limit, pageNo, query, channel'],
    ['?limit=5&__=1', 'unknown parameter __; allowed: limit, pageNo, query, channel'],
  ])('rejects %s with 400 naming the parameter', async (query, message) => {
    const { status, body } = await getData(query);
    expect(status).toBe(400);
    expect(body).toEqual({ isError: true, message });
  });

  it('ignores the cache-busting _ parameter browser libraries append', async () => {
    for (const pageNo of [1, 2]) {
      const plain = await getData(`?limit=5&pageNo=${pageNo}`);
      for (const bust of ['1733550000000', '', 'x', '1&_=2']) {
        const busted = await getData(`?limit=5&pageNo=${pageNo}&_=${bust}`);
        expect(busted.status, bust).toBe(200);
        expect(busted.body, bust).toEqual(plain.body);
      }
    }
  });
});

describe('validators', () => {
  it('answers 304 to a repeat client, on page 1 and on deeper pages, until the page changes', async () => {
    for (const url of ['/getData?limit=5', '/getData?limit=5&pageNo=3']) {
      const first = await api.app.inject({ method: 'GET', url });
      const etag = first.headers.etag as string;
      expect(etag).toMatch(/^"[^"]+"$/);
      const again = await api.app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } });
      expect(again.statusCode, url).toBe(304);
      expect(again.body).toBe('');
    }
    const deep = await api.app.inject({ method: 'GET', url: '/getData?limit=5&pageNo=3' });
    const row = (deep.json<FeedBody>().videos[0]!);
    const changed = stored.find((v) => v.videoId === row.video_id)!;
    // An edit in the same millisecond as the first write: the validator must still change.
    await createVideoRepository({ db: db.kysely, clock }).upsertBatch([{ ...changed, title: `${changed.title} (edited)` }]);
    const after = await api.app.inject({ method: 'GET', url: '/getData?limit=5&pageNo=3', headers: { 'if-none-match': deep.headers.etag as string } });
    expect(after.statusCode).toBe(200);
    expect(after.headers.etag).not.toBe(deep.headers.etag);
  });
});

describe('errors', () => {
  it('answers unknown routes with a JSON 404', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/nope?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ isError: true, message: 'Route GET /nope not found' });
  });
});
