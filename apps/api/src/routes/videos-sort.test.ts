// /videos and /videos/search sorted by publish time, views, likes and duration, both ways, with
// the detail filters: every page walked with its cursor gives every matching video once, in
// order (NULLs last, ties by internal id), also while videos are stored and updated between
// pages; bad values answer 400 naming the parameter. Real MySQL: the expected answers come
// from the rows themselves, ordered and filtered here in plain code.
import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, createSearchQueryRepository, createVideoRepository } from '@tubefeed/core';
import { createTestDatabase, fakeVideoId, videoInput, type TestDatabase } from '@tubefeed/core/testing';
import { buildTestApi, type TestApi } from '../testing/test-api.js';

const clock = new ManualClock('2024-06-01T00:00:00Z');
let db: TestDatabase;
let api: TestApi;
// The same database through each search plan (search-finder.ts): the window alone, the
// FULLTEXT index alone, a 3-row window (both in turn on every page).
const plans: Record<string, TestApi> = {};
let queryId = 0;

type Key = 'published' | 'views' | 'likes' | 'duration';
const COLUMN = { views: 'view_count', likes: 'like_count', duration: 'duration_s' } as const;

interface Row {
  id: number;
  video_id: string;
  title: string;
  channel_id: string;
  published_at: Date;
  view_count: number | null;
  like_count: number | null;
  duration_s: number | null;
  live_state: string | null;
  default_language: string | null;
  available: number;
  in_query: number;
}

const CHANNELS = ['UCsortA', 'UCsortB', 'UCsortC'];
const LIVE = ['none', 'live', 'upcoming', 'completed', null];
const LANGUAGES = ['en', 'en-GB', 'de', null, 'en'];
let serial = 0;

/** Details with many ties and NULLs, as enrichment would leave them. */
function details(i: number) {
  return {
    view_count: i % 4 === 0 ? null : ((i * 37) % 7) * 100,
    like_count: i % 3 === 0 ? null : i % 5,
    duration_s: i % 5 === 0 ? null : [30, 60, 600, 3600][i % 4]!,
    live_state: LIVE[i % LIVE.length]!,
    default_language: LANGUAGES[i % LANGUAGES.length]!,
    available: i % 11 === 0 ? 0 : 1,
  };
}

/** Stores `count` videos (titles with "clip" unless `other`), some found by the query, with details. */
async function store(count: number, options: { other?: boolean } = {}): Promise<string[]> {
  const videos = createVideoRepository({ db: db.kysely, clock });
  const stored: string[] = [];
  for (let n = 0; n < count; n++) {
    const i = serial++;
    const video = videoInput({
      videoId: fakeVideoId(70_000 + i),
      title: options.other === true ? `Other ${i}` : `Clip ${i}`,
      channelId: CHANNELS[i % CHANNELS.length]!,
      // Ten publish times in all: many ties.
      publishedAt: new Date(Date.UTC(2024, 4, 1 + (i % 10))),
    });
    await videos.upsertBatch([video], i % 2 === 0 ? { queryId } : {});
    await db.kysely.updateTable('videos').set(details(i)).where('video_id', '=', video.videoId).execute();
    stored.push(video.videoId);
  }
  return stored;
}

async function rows(): Promise<Row[]> {
  const result = await sql<Row>`
    SELECT v.id, v.video_id, v.title, v.channel_id, v.published_at, v.view_count, v.like_count, v.duration_s, v.live_state,
           v.default_language, v.available, EXISTS(SELECT 1 FROM video_queries q WHERE q.video_pk = v.id AND q.query_id = ${queryId}) AS in_query
    FROM videos v`.execute(db.kysely);
  return result.rows.map((row) => ({ ...row, id: Number(row.id), in_query: Number(row.in_query) }));
}

const valueOf = (row: Row, key: Key): number | null => (key === 'published' ? row.published_at.getTime() : row[COLUMN[key]]);

/** The order the API promises: by value (NULLs last either way), ties by internal id, same direction. */
function ordered(all: Row[], key: Key, direction: 'asc' | 'desc'): Row[] {
  const sign = direction === 'asc' ? 1 : -1;
  return [...all].sort((a, b) => {
    const [x, y] = [valueOf(a, key), valueOf(b, key)];
    if (x === null && y !== null) return 1;
    if (y === null && x !== null) return -1;
    if (x !== null && y !== null && x !== y) return sign * (x - y);
    return sign * (a.id - b.id);
  });
}

type Filters = Record<string, string>;
function matches(row: Row, filters: Filters, q: string | null): boolean {
  if (q !== null && !row.title.toLowerCase().split(' ').some((word) => word.startsWith(q))) return false;
  if (filters.includeUnavailable !== 'true' && row.available === 0) return false;
  if (filters.channel !== undefined && row.channel_id !== filters.channel) return false;
  if (filters.query !== undefined && row.in_query !== 1) return false;
  const atLeast = (value: number | null, bound: string | undefined) => bound === undefined || (value !== null && value >= Number(bound));
  const atMost = (value: number | null, bound: string | undefined) => bound === undefined || (value !== null && value <= Number(bound));
  if (!atLeast(row.view_count, filters.minViews)) return false;
  if (!atLeast(row.duration_s, filters.minDuration) || !atMost(row.duration_s, filters.maxDuration)) return false;
  if (filters.live !== undefined && row.live_state !== filters.live) return false;
  if (filters.language !== undefined) {
    const lang = row.default_language;
    if (lang === null || (lang !== filters.language && !lang.startsWith(`${filters.language}-`))) return false;
  }
  return true;
}

interface Page {
  items: Array<{ video_id: string }>;
  nextCursor: string | null;
}

async function get(url: string, through: TestApi = api): Promise<{ status: number; body: Page & { message?: string } }> {
  const response = await through.app.inject({ method: 'GET', url });
  return { status: response.statusCode, body: response.json() };
}

/** Every page from the first, following nextCursor; `between` runs after each page. */
async function walk(url: string, through: TestApi = api, between?: (page: Page) => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const response = await get(`${url}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`, through);
    expect(response.status, `${url}: ${response.body.message ?? ''}`).toBe(200);
    seen.push(...response.body.items.map((item) => item.video_id));
    cursor = response.body.nextCursor;
    if (between !== undefined) await between(response.body);
    expect(++pages).toBeLessThan(200);
  } while (cursor !== null);
  return seen;
}

const query = (params: Filters) => new URLSearchParams(params).toString();

beforeAll(async () => {
  db = await createTestDatabase();
  api = await buildTestApi({ clock, databaseUrl: db.url });
  plans.window = await buildTestApi({ clock, databaseUrl: db.url, env: { SEARCH_WINDOW_ROWS: '1000000' } });
  plans.index = await buildTestApi({ clock, databaseUrl: db.url, env: { SEARCH_WINDOW_ROWS: '0' } });
  plans.small = await buildTestApi({ clock, databaseUrl: db.url, env: { SEARCH_WINDOW_ROWS: '3' } });
  queryId = (await createSearchQueryRepository({ db: db.kysely, clock }).follow('clips')).id;
  await store(70);
  await store(12, { other: true });
});

afterAll(async () => {
  await api.close();
  for (const plan of Object.values(plans)) await plan.close();
  await db.drop();
});

const KEYS: Key[] = ['published', 'views', 'likes', 'duration'];
const FILTERS: Filters[] = [
  {},
  { channel: 'UCsortB' },
  { query: 'clips' },
  { minViews: '200' },
  { minDuration: '60', maxDuration: '600' },
  { live: 'live' },
  { language: 'en' },
  { language: 'EN-gb' },
  { includeUnavailable: 'true' },
  { query: 'clips', channel: 'UCsortA', minDuration: '31', language: 'en', includeUnavailable: 'true' },
];

describe('sorted listings walked page by page', () => {
  it.each(KEYS.flatMap((key) => (['desc', 'asc'] as const).map((direction) => [key, direction] as const)))(
    'sort=%s order=%s: /videos and /videos/search give every matching video once, in order, with every filter set',
    async (key, direction) => {
      const all = await rows();
      const sorted = ordered(all, key, direction);
      for (const filters of FILTERS) {
        const normal = { ...filters, ...(filters.language === 'EN-gb' ? { language: 'en-GB' } : {}) };
        const expected = sorted.filter((row) => matches(row, normal, null)).map((row) => row.video_id);
        const params = query({ ...filters, sort: key, order: direction, limit: '4' });
        expect(await walk(`/videos?${params}`), params).toEqual(expected);

        const found = sorted.filter((row) => matches(row, normal, 'clip')).map((row) => row.video_id);
        for (const [name, plan] of [['default', api] as const, ...Object.entries(plans)]) {
          expect(await walk(`/videos/search?q=clip&${params}`, plan), `${name} plan: ${params}`).toEqual(found);
        }
      }
    },
  );

  it('keeps newest and oldest as publish time descending and ascending; their cursors are the same', async () => {
    const newest = await get('/videos?limit=5&sort=newest');
    const published = await get('/videos?limit=5&sort=published');
    expect(published.body).toEqual(newest.body);
    const next = await get(`/videos?limit=5&sort=published&order=desc&cursor=${encodeURIComponent(newest.body.nextCursor!)}`);
    expect(next.status).toBe(200);
    expect(next.body).toEqual((await get(`/videos?limit=5&sort=newest&cursor=${encodeURIComponent(newest.body.nextCursor!)}`)).body);
    const oldest = await get('/videos?limit=5&sort=oldest');
    expect((await get('/videos?limit=5&sort=published&order=asc')).body).toEqual(oldest.body);
  });

  it('hides unavailable videos unless includeUnavailable=true', async () => {
    const all = await rows();
    const gone = all.filter((row) => row.available === 0).map((row) => row.video_id);
    expect(gone.length).toBeGreaterThan(0);
    const hidden = await walk('/videos?limit=100');
    expect(hidden.filter((id) => gone.includes(id))).toEqual([]);
    const shown = await walk('/videos?limit=100&includeUnavailable=true');
    expect(shown).toEqual(expect.arrayContaining(gone));
    expect(shown).toHaveLength(all.length);
    const search = await walk('/videos/search?q=clip&limit=100&includeUnavailable=false');
    expect(search.filter((id) => gone.includes(id))).toEqual([]);
  });
});

describe('sorted listings while videos are stored and updated between pages', () => {
  it.each(KEYS.flatMap((key) => (['desc', 'asc'] as const).map((direction) => [key, direction] as const)))(
    'sort=%s order=%s: every video whose sort value did not change is listed once, in order',
    async (key, direction) => {
      const start = await rows();
      const changed = new Set<number>();
      let walkTurn = 0;
      // After a page: two new videos (with values tied to listed ones, or none), one video's
      // sort value moved, another's other statistics changed.
      // Only on the first pages, so that the walks (and the table) stay short.
      let turn = 0;
      const between = async () => {
        if (++walkTurn > 5) return;
        turn++;
        await store(2);
        const pick = start[(turn * 17) % start.length]!;
        // (A publish time does not change on YouTube: the published sort sees inserts only.)
        if (key !== 'published') {
          await db.kysely
            .updateTable('videos')
            .set({ [COLUMN[key]]: turn % 3 === 0 ? null : turn * 50 })
            .where('id', '=', pick.id)
            .execute();
        }
        if (key !== 'published') changed.add(pick.id);
        const other = start[(turn * 29 + 5) % start.length]!;
        const otherColumn = key === 'views' ? 'like_count' : 'view_count';
        await db.kysely.updateTable('videos').set({ [otherColumn]: turn }).where('id', '=', other.id).execute();
      };
      for (const [endpoint, through] of [
        ['/videos?', api],
        ['/videos/search?q=clip&', api],
        ['/videos/search?q=clip&', plans.small!],
      ] as const) {
        const before = await rows();
        walkTurn = 0;
        const seen = await walk(`${endpoint}${query({ sort: key, order: direction, limit: '6' })}`, through, between);
        const kept = ordered(before, key, direction).filter(
          (row) => !changed.has(row.id) && matches(row, {}, endpoint.includes('q=') ? 'clip' : null),
        );
        const keptIds = new Set(kept.map((row) => row.video_id));
        // Each unchanged video exactly once, and in the order it had all along.
        expect(
          seen.filter((id) => keptIds.has(id)),
          `${endpoint} ${key} ${direction}`,
        ).toEqual(kept.map((row) => row.video_id));
        // Nothing twice but a video whose sort value moved behind the reader.
        const movedIds = new Set((await rows()).filter((row) => changed.has(row.id)).map((row) => row.video_id));
        const twice = seen.filter((id, i) => seen.indexOf(id) !== i);
        expect(twice.filter((id) => !movedIds.has(id))).toEqual([]);
      }
    },
  );
});

describe('parameters', () => {
  it.each([
    ['/videos?sort=popular', 'sort must be one of newest, oldest, published, views, likes, duration (got "popular")'],
    ['/videos/search?q=clip&sort=top', 'sort must be one of relevance, newest, oldest, published, views, likes, duration (got "top")'],
    ['/videos?sort=views&order=up', 'order must be one of desc, asc (got "up")'],
    ['/videos?sort=newest&order=asc', 'order applies to sort=published, views, likes or duration; sort=newest has its own order'],
    ['/videos/search?q=clip&order=desc', 'order applies to sort=published, views, likes or duration; sort=relevance has its own order'],
    ['/videos?minViews=-1', 'minViews must be an integer from 0 to 9007199254740991 (got "-1")'],
    ['/videos?minViews=lots', 'minViews must be an integer from 0 to 9007199254740991 (got "lots")'],
    ['/videos?minDuration=1.5', 'minDuration must be an integer from 0 to 4294967295 (got "1.5")'],
    ['/videos?maxDuration=99999999999', 'maxDuration must be an integer from 0 to 4294967295 (got "99999999999")'],
    ['/videos?minDuration=600&maxDuration=60', 'minDuration must not be more than maxDuration'],
    ['/videos?live=maybe', 'live must be one of none, upcoming, live, completed (got "maybe")'],
    [
      '/videos/search?q=clip&language=english%3B',
      'language must be a BCP 47 language tag such as en or pt-BR; a bare language also matches its regional variants (got "english;")',
    ],
    ['/videos?includeUnavailable=yes', 'includeUnavailable must be true or false (got "yes")'],
    ['/videos?sort=views&sort=likes', 'sort must be given once, as one of newest, oldest, published, views, likes, duration'],
  ])('rejects %s', async (url, message) => {
    const { status, body } = await get(url);
    expect(status).toBe(400);
    expect(body).toEqual({ isError: true, message });
  });

  it('answers 400 naming cursor for a cursor of another sort, order or filter, or a null value where the sort has none', async () => {
    const first = await get('/videos?limit=2&sort=views');
    const cursor = encodeURIComponent(first.body.nextCursor!);
    const foreign = 'cursor belongs to other parameters (sort, filters or q); start again without it';
    for (const url of [
      `/videos?limit=2&sort=views&order=asc&cursor=${cursor}`,
      `/videos?limit=2&sort=likes&cursor=${cursor}`,
      `/videos?limit=2&sort=views&minViews=1&cursor=${cursor}`,
      `/videos?limit=2&sort=views&includeUnavailable=true&cursor=${cursor}`,
      `/videos/search?q=clip&limit=2&sort=views&cursor=${cursor}`,
    ]) {
      expect(await get(url), url).toEqual({ status: 400, body: { isError: true, message: foreign } });
    }
    const secret = (await db.kysely.selectFrom('service_secrets').select('value').where('name', '=', 'cursor').executeTakeFirstOrThrow()).value;
    const signed = (payload: object) => {
      const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${body}.${createHmac('sha256', secret).update(body).digest('base64url').slice(0, 16)}`;
    };
    const newest = JSON.parse(Buffer.from((await get('/videos?limit=2')).body.nextCursor!.split('.')[0]!, 'base64url').toString()) as object;
    const invalid = await get(`/videos?limit=2&cursor=${signed({ ...newest, p: [null, 5] })}`);
    expect(invalid).toEqual({ status: 400, body: { isError: true, message: 'cursor is not valid; start again without it' } });
  });
});
