// The enrichment's reads and writes on real MySQL: which videos are due and in what order, a
// batch stored in one statement (details, availability and due time together), unavailable
// videos kept and marked once, and a video that comes back made available again.
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.js';
import { createTestDatabase, videoInput, type TestDatabase } from '../testing/index.js';
import { createVideoDetailsRepository } from './video-details-repository.js';
import type { VideoDetails } from './video-details.js';
import { createVideoRepository } from './video-repository.js';
import { createSearchFinder } from './search-finder.js';
import { parseSearch } from './search-text.js';

let db: TestDatabase;
const clock = new ManualClock('2024-06-01T12:00:00Z');
const T = (iso: string) => new Date(iso);

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});
beforeEach(async () => {
  for (const table of ['video_queries', 'feed_buckets', 'feed_events', 'video_search', 'videos']) await sql`DELETE FROM ${sql.table(table)}`.execute(db.kysely);
});

const repo = () => createVideoDetailsRepository({ db: db.kysely });

async function storeVideos(ids: readonly string[]): Promise<void> {
  await createVideoRepository({ db: db.kysely, clock }).upsertBatch(ids.map((videoId, i) => videoInput({ videoId, publishedAt: new Date(Date.parse('2024-06-01T00:00:00Z') + i * 1000) })));
}

function details(videoId: string, overrides: Partial<VideoDetails> = {}): VideoDetails {
  return {
    videoId,
    descriptionFull: `The whole description of ${videoId}, with “quotes” and ünïcode`,
    tags: ['tea', 'a b'],
    categoryId: '22',
    defaultLanguage: 'en-GB',
    durationS: 213,
    definition: 'hd',
    hasCaptions: true,
    madeForKids: false,
    viewCount: 12_345_678_901,
    likeCount: null,
    commentCount: 7,
    liveState: 'none',
    scheduledStartAt: null,
    actualStartAt: null,
    actualEndAt: null,
    ...overrides,
  };
}

const row = (videoId: string) => db.kysely.selectFrom('videos').selectAll().where('video_id', '=', videoId).executeTakeFirstOrThrow();

describe('due videos', () => {
  it('never-enriched videos first (most recently stored first), then the most overdue; none that is not due', async () => {
    await storeVideos(['aaaaaaaaaa1', 'aaaaaaaaaa2', 'aaaaaaaaaa3', 'aaaaaaaaaa4', 'aaaaaaaaaa5']);
    const r = repo();
    await r.store({
      at: T('2024-06-01T12:00:00Z'),
      found: [
        { details: details('aaaaaaaaaa1'), dueAt: T('2024-06-01T12:30:00Z') },
        { details: details('aaaaaaaaaa2'), dueAt: T('2024-06-01T12:10:00Z') },
        { details: details('aaaaaaaaaa3'), dueAt: T('2024-06-01T14:00:00Z') },
      ],
      missing: [],
    });
    const now = T('2024-06-01T13:00:00Z');
    expect((await r.due(now, 50)).map((v) => v.videoId)).toEqual(['aaaaaaaaaa5', 'aaaaaaaaaa4', 'aaaaaaaaaa2', 'aaaaaaaaaa1']);
    expect((await r.due(now, 3)).map((v) => v.videoId)).toEqual(['aaaaaaaaaa5', 'aaaaaaaaaa4', 'aaaaaaaaaa2']);
    expect((await r.due(now, 1)).map((v) => v.videoId)).toEqual(['aaaaaaaaaa5']);
    expect(await r.countDue(now)).toBe(4);
    expect(await r.countDue(T('2024-06-01T12:05:00Z'))).toBe(2);
  });
});

describe('storing a batch', () => {
  it('writes every detail, moves the due time and marks the time of the answer', async () => {
    await storeVideos(['bbbbbbbbbb1']);
    const at = T('2024-06-01T12:00:00Z');
    const result = await repo().store({
      at,
      found: [
        {
          details: details('bbbbbbbbbb1', { liveState: 'completed', scheduledStartAt: T('2024-06-01T09:55:00Z'), actualStartAt: T('2024-06-01T10:00:00.250Z'), actualEndAt: T('2024-06-01T11:00:00Z') }),
          dueAt: T('2024-06-01T18:00:00Z'),
        },
      ],
      missing: [],
    });
    expect(result.matched).toBe(1);
    expect(await row('bbbbbbbbbb1')).toMatchObject({
      description: 'Description of bbbbbbbbbb1',
      description_full: 'The whole description of bbbbbbbbbb1, with “quotes” and ünïcode',
      tags: '["tea","a b"]',
      category_id: '22',
      default_language: 'en-GB',
      duration_s: 213,
      definition: 'hd',
      has_captions: 1,
      made_for_kids: 0,
      view_count: 12_345_678_901,
      like_count: null,
      comment_count: 7,
      live_state: 'completed',
      scheduled_start_at: T('2024-06-01T09:55:00Z'),
      actual_start_at: T('2024-06-01T10:00:00.250Z'),
      actual_end_at: T('2024-06-01T11:00:00Z'),
      available: 1,
      unavailable_since: null,
      details_at: at,
      details_due_at: T('2024-06-01T18:00:00Z'),
    });
  });

  it('a video left out is kept with what it had, marked unavailable once, and available again when it comes back', async () => {
    await storeVideos(['ccccccccccc', 'ddddddddddd']);
    const r = repo();
    await r.store({ at: T('2024-06-01T12:00:00Z'), found: [{ details: details('ccccccccccc'), dueAt: T('2024-06-01T13:00:00Z') }, { details: details('ddddddddddd'), dueAt: T('2024-06-01T13:00:00Z') }], missing: [] });
    await r.store({ at: T('2024-06-01T13:00:00Z'), found: [{ details: details('ddddddddddd', { viewCount: 99 }), dueAt: T('2024-06-01T14:00:00Z') }], missing: [{ videoId: 'ccccccccccc', dueAt: T('2024-06-02T13:00:00Z') }] });
    expect(await row('ccccccccccc')).toMatchObject({
      available: 0,
      unavailable_since: T('2024-06-01T13:00:00Z'),
      details_at: T('2024-06-01T12:00:00Z'),
      view_count: 12_345_678_901,
      description_full: 'The whole description of ccccccccccc, with “quotes” and ünïcode',
      details_due_at: T('2024-06-02T13:00:00Z'),
    });
    expect(await row('ddddddddddd')).toMatchObject({ available: 1, view_count: 99 });
    // Still missing a day later: the first time it was found missing stays.
    await r.store({ at: T('2024-06-02T13:00:00Z'), found: [], missing: [{ videoId: 'ccccccccccc', dueAt: T('2024-06-03T13:00:00Z') }] });
    expect(await row('ccccccccccc')).toMatchObject({ available: 0, unavailable_since: T('2024-06-01T13:00:00Z'), details_due_at: T('2024-06-03T13:00:00Z') });
    // Public again.
    await r.store({ at: T('2024-06-03T13:00:00Z'), found: [{ details: details('ccccccccccc', { viewCount: 5 }), dueAt: T('2024-06-04T13:00:00Z') }], missing: [] });
    expect(await row('ccccccccccc')).toMatchObject({ available: 1, unavailable_since: null, view_count: 5, details_at: T('2024-06-03T13:00:00Z') });
    expect(await db.kysely.selectFrom('videos').select('video_id').execute()).toHaveLength(2);
  });

  it('storing the same answer twice leaves the same rows; ids never stored are ignored', async () => {
    await storeVideos(['eeeeeeeeeee']);
    const r = repo();
    const batch = { at: T('2024-06-01T12:00:00Z'), found: [{ details: details('eeeeeeeeeee'), dueAt: T('2024-06-01T13:00:00Z') }, { details: details('neverstored'), dueAt: T('2024-06-01T13:00:00Z') }], missing: [{ videoId: 'nostoredtoo', dueAt: T('2024-06-02T12:00:00Z') }] };
    await r.store(batch);
    const first = await row('eeeeeeeeeee');
    await r.store(batch);
    expect(await row('eeeeeeeeeee')).toEqual(first);
    expect(await db.kysely.selectFrom('videos').select('video_id').execute()).toEqual([{ video_id: 'eeeeeeeeeee' }]);
  });
});

describe('search over the whole description', () => {
  const hits = async (q: string) =>
    (await createSearchFinder(db.kysely).find({ search: parseSearch(q), filters: {}, sort: { key: 'published', direction: 'desc' }, limit: 10 })).length;

  it('finds a word of the whole description once it is read, and still after a search stores the snippet again', async () => {
    const videos = createVideoRepository({ db: db.kysely, clock });
    const video = videoInput({ videoId: 'fulltext001', description: 'A short snippet that stops…' });
    await videos.upsertBatch([video]);
    expect(await hits('snippet')).toBe(1);
    expect(await hits('zanzibar')).toBe(0);

    await repo().store({
      at: clock.now(),
      found: [{ details: details(video.videoId, { descriptionFull: 'A short snippet that stops here; further down: recipes from Zanzibar.' }), dueAt: T('2024-06-02T00:00:00Z') }],
      missing: [],
    });
    expect(await hits('zanzibar')).toBe(1);

    // The next fetch stores the snippet again: the whole description stays searched.
    await videos.upsertBatch([{ ...video, title: `${video.title} (edited)` }]);
    expect(await hits('zanzibar')).toBe(1);
    expect(await hits('edited')).toBe(1);
    // And a search row written again from scratch says the same.
    await sql`DELETE FROM video_search`.execute(db.kysely);
    expect(await videos.fillMissingSearchRows()).toBe(1);
    expect(await hits('zanzibar')).toBe(1);
  });
});
