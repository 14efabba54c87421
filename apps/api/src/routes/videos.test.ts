import { createHash, createHmac } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, createSearchQueryRepository, createVideoRepository, poolOptionsFromUrl, type VideoInput } from '@tubefeed/core';
import { createTestDatabase, fakeVideoId, videoInput, type TestDatabase } from '@tubefeed/core/testing';
import { buildTestApi, type TestApi } from '../testing/test-api.js';

const clock = new ManualClock('2024-06-01T00:00:00Z');
let db: TestDatabase;
let api: TestApi;
// The same database through each search plan alone: every case must answer the same either way.
const plans: Record<string, TestApi> = {};

// A small corpus whose every search result below is known exactly.
const corpus: Record<string, Partial<VideoInput>> = {
  tea: { title: 'How to make tea?', description: 'Boil water, steep the leaves.' },
  ai: { title: 'AI news today', description: 'The latest in artificial intelligence.' },
  tom: { title: 'Tom & Jerry', description: 'Classic cartoon chase.' },
  cafe: { title: 'Café olé', description: 'Crème brûlée recipe.' },
  matcha: { title: 'Green tea 🍵 ceremony', description: 'A Japanese tradition.' },
  who: { title: 'The Who live', description: 'what when where who with' },
  quirky: { title: 'O\'Brien\'s 100% "quoted" (test) <b>', description: "Robert'); DROP TABLE videos;-- and 50% off" },
  makers: { title: 'Makers gonna make', description: 'This one mentions tea only in its description.' },
  teatime: { title: 'Tea time stories', description: 'Stories for the afternoon.' },
  japanese: { title: '日本語のタイトル', description: 'Unicode only.' },
  air: { title: 'AIR conditioning explained', description: 'Cooling basics.' },
  govs: { title: 'Go vs Rust', description: 'Two languages compared.' },
};
const ids: Record<string, string> = {};

beforeAll(async () => {
  db = await createTestDatabase();
  api = await buildTestApi({ clock, databaseUrl: db.url });
  plans.window = await buildTestApi({ clock, databaseUrl: db.url, env: { SEARCH_WINDOW_ROWS: '1000000' } });
  plans.index = await buildTestApi({ clock, databaseUrl: db.url, env: { SEARCH_WINDOW_ROWS: '0' } });
  plans.small = await buildTestApi({ clock, databaseUrl: db.url, env: { SEARCH_WINDOW_ROWS: '3' } });
  const videos = createVideoRepository({ db: db.kysely, clock });
  let minute = 0;
  for (const [name, fields] of Object.entries(corpus)) {
    // One hour apart, so a small search window splits the corpus between the two plans.
    const video = videoInput({ videoId: fakeVideoId(9000 + minute), ...fields, publishedAt: new Date(Date.UTC(2024, 4, 1, minute++)) });
    ids[name] = video.videoId;
    await videos.upsertBatch([video]);
  }
});

afterAll(async () => {
  await api.close();
  for (const plan of Object.values(plans)) await plan.close();
  await db.drop();
});

interface Page {
  items: Array<{ video_id: string; title: string; channel_id: string; published_at: string }>;
  nextCursor: string | null;
}

/** The cursor secret the deployment made for itself (no CURSOR_SECRET in these tests). */
async function deploymentSecret(): Promise<string> {
  const row = await db.kysely.selectFrom('service_secrets').select('value').where('name', '=', 'cursor').executeTakeFirstOrThrow();
  return row.value;
}

async function get(url: string, through: TestApi = api): Promise<{ status: number; body: Page & { isError?: boolean; message?: string } }> {
  const response = await through.app.inject({ method: 'GET', url });
  return { status: response.statusCode, body: response.json() };
}

/** Searches through the default API, and checks that each plan alone answers the same. */
async function search(q: string, extra = '') {
  const url = `/videos/search?q=${encodeURIComponent(q)}&limit=100${extra}`;
  const answer = await get(url);
  for (const [name, plan] of Object.entries(plans)) expect(await get(url, plan), `${name} plan: ${q}`).toEqual(answer);
  return answer;
}
const names = (page: Page) =>
  page.items.map((item) => Object.keys(ids).find((name) => ids[name] === item.video_id) ?? item.video_id).sort();

describe('GET /videos/search', () => {
  it.each([
    ['tea how', ['tea']],
    ['mak tea', ['makers', 'tea']],
    ['ai news', ['ai']],
    ['ai', ['ai', 'air']],
    ['tom & jerry', ['tom']],
    ['TOM and JERRY', []],
    ['JERRY TOM', ['tom']],
    ['cafe', ['cafe']],
    ['CRÈME brulee', ['cafe']],
    ['🍵', ['matcha']],
    ['green 🍵', ['matcha']],
    ['the who', ['who']],
    ['what when where who with', ['who']],
    ['how to', ['tea']],
    ["o'brien", ['quirky']],
    ['100%', ['quirky']],
    ['"quoted"', ['quirky']],
    ['(test)', ['quirky']],
    ["Robert'); DROP TABLE videos;--", ['quirky']],
    ['50% off', ['quirky']],
    ['go vs', ['govs']],
    ['日本語', ['japanese']],
    ['tea', ['makers', 'matcha', 'tea', 'teatime']],
    ['nothing matches this', []],
  ])('%s', async (q, expected) => {
    const { status, body } = await search(q);
    expect(status).toBe(200);
    expect(names(body)).toEqual(expected);
  });

  it.each(['+', '-', '*', '"', '(', ')', '<', '>', '~', '@', "'", '%'])(
    'searches %s as plain text, never as a boolean-mode operator',
    async (char) => {
      for (const q of [`tea${char}`, `${char}tea`, `${char}tea ${char}how${char}`]) {
        const { status, body } = await search(q);
        expect(status, q).toBe(200);
        expect(names(body), q).toEqual(q.includes('how') ? ['tea'] : ['makers', 'matcha', 'tea', 'teatime']);
      }
    },
  );

  it.each([
    ['', 'q must be text of 1 to 200 characters (got "")'],
    ['+-*"()<>~@\'%', 'q must contain at least one letter, digit or emoji'],
    ['   ', 'q must contain at least one letter, digit or emoji'],
    ['x'.repeat(201), `q must be text of 1 to 200 characters (got "${'x'.repeat(40)}…")`],
  ])('rejects %j with 400 naming q', async (q, message) => {
    const { status, body } = await search(q);
    expect(status).toBe(400);
    expect(body).toEqual({ isError: true, message });
  });

  it('requires q', async () => {
    const { status, body } = await get('/videos/search');
    expect(status).toBe(400);
    expect(body.message).toMatch(/^q is required/);
  });

  it('ranks a title match above a description-only match', async () => {
    const { body } = await search('tea');
    const order = body.items.map((item) => item.video_id);
    expect(order.indexOf(ids.makers!)).toBe(order.length - 1);
    expect(names(body)).toEqual(['makers', 'matcha', 'tea', 'teatime']);
  });

  it('orders by newest and oldest when asked', async () => {
    const newest = (await search('tea', '&sort=newest')).body.items.map((i) => i.video_id);
    const oldest = (await search('tea', '&sort=oldest')).body.items.map((i) => i.video_id);
    expect(newest).toEqual([ids.teatime, ids.makers, ids.matcha, ids.tea]);
    expect(oldest).toEqual([...newest].reverse());
  });

  it('finds the same with a date range through every plan, the window starting where the range does', async () => {
    const corpusHours = Object.keys(corpus).length;
    const at = (hour: number) => new Date(Date.UTC(2024, 4, 1, hour)).toISOString();
    const ranges = [
      `&publishedBefore=${at(corpusHours - 4)}`,
      `&publishedAfter=${at(3)}`,
      `&publishedAfter=${at(2)}&publishedBefore=${at(corpusHours - 3)}`,
      `&publishedBefore=${at(1)}`,
      `&publishedAfter=${at(corpusHours + 5)}`,
    ];
    let found = 0;
    for (const range of ranges) {
      for (const sort of ['relevance', 'newest', 'oldest']) {
        // search() checks that every plan answers the same.
        for (const q of ['tea', 'a', 'the']) found += (await search(q, `&sort=${sort}${range}`)).body.items.length;
      }
    }
    expect(found).toBeGreaterThan(20);
  });

  it('pages search results with a cursor, every result once, across both plans', async () => {
    for (const [name, through] of Object.entries({ default: api, ...plans })) {
      for (const sort of ['relevance', 'newest', 'oldest']) {
        for (const q of ['tea', 'a']) {
          const seen: string[] = [];
          let cursor: string | null = null;
          do {
            const { body }: { body: Page } = await get(`/videos/search?q=${q}&limit=1&sort=${sort}${cursor ? `&cursor=${cursor}` : ''}`, through);
            seen.push(...body.items.map((i) => i.video_id));
            cursor = body.nextCursor;
          } while (cursor !== null);
          expect(seen, `${name} ${sort} ${q}`).toEqual((await search(q, `&sort=${sort}`)).body.items.map((i) => i.video_id));
        }
      }
    }
  });

  it('still finds stopwords after the table is rebuilt, and the check notices when a rebuild brings them back', async () => {
    const throughIndex = async (q: string) => names((await get(`/videos/search?q=${encodeURIComponent(q)}&limit=100`, plans.index)).body);
    // Every connection of the service turns stopwords off, so its rebuilds keep them out.
    await sql`ALTER TABLE video_search FORCE`.execute(db.kysely);
    expect(await throughIndex('how to')).toEqual(['tea']);
    // The trap this guards against: a rebuild from a session with the server default (stopwords
    // on) silently rebuilds the index with them, and "how" finds nothing.
    const other = await createConnection({ ...poolOptionsFromUrl(db.url) });
    try {
      await other.query('SET SESSION innodb_ft_enable_stopword = ON');
      await other.query('ALTER TABLE video_search FORCE');
      expect(await throughIndex('how to')).toEqual([]);
    } finally {
      await other.end();
      await sql`ALTER TABLE video_search FORCE`.execute(db.kysely);
    }
    expect(await throughIndex('how to')).toEqual(['tea']);
  });
});

describe('GET /videos', () => {
  it('pages newest first with a cursor while newer videos arrive: none twice, none skipped', async () => {
    const start = await get('/videos?limit=100');
    const before = start.body.items.map((i) => i.video_id);
    const videos = createVideoRepository({ db: db.kysely, clock });
    const seen: string[] = [];
    let cursor: string | null = null;
    let round = 0;
    do {
      const { body }: { body: Page } = await get(`/videos?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...body.items.map((i) => i.video_id));
      cursor = body.nextCursor;
      // The worker stores newer videos, one with the publish time of a row already served.
      await videos.upsertBatch([
        videoInput({ publishedAt: new Date(Date.UTC(2024, 5, 1, 0, round)) }),
        videoInput({ publishedAt: new Date(body.items[0]!.published_at) }),
      ]);
      round++;
    } while (cursor !== null);
    expect(seen).toEqual(before);
  });

  it('pages oldest first and picks up what arrived meanwhile at the end', async () => {
    const all = (await get('/videos?limit=100&sort=oldest')).body.items.map((i) => i.video_id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let added: string | undefined;
    do {
      const { body }: { body: Page } = await get(`/videos?limit=4&sort=oldest${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...body.items.map((i) => i.video_id));
      cursor = body.nextCursor;
      if (added === undefined) {
        const late = videoInput({ publishedAt: '2030-01-01T00:00:00Z' });
        added = late.videoId;
        await createVideoRepository({ db: db.kysely, clock }).upsertBatch([late]);
      }
    } while (cursor !== null);
    expect(seen).toEqual([...all, added]);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('combines the query, channel and date filters', async () => {
    const videos = createVideoRepository({ db: db.kysely, clock });
    const football = await createSearchQueryRepository({ db: db.kysely, clock }).follow('football');
    const make = (channelId: string, day: number, hour = 12) =>
      videoInput({ channelId, title: `Match day ${day}`, publishedAt: new Date(Date.UTC(2025, 0, day, hour)) });
    const batch = [make('UCalpha', 1), make('UCalpha', 5), make('UCalpha', 9), make('UCbeta', 5, 13), make('UCbeta', 6)];
    await videos.upsertBatch(batch.slice(0, 4), { queryId: football.id });
    await videos.upsertBatch(batch.slice(4));
    const range = '&publishedAfter=2025-01-02T00:00:00Z&publishedBefore=2025-01-06T12:00:00Z';
    const cases: Array<[string, VideoInput[]]> = [
      ['query=football', [batch[2]!, batch[3]!, batch[1]!, batch[0]!]],
      ['query=football&channel=UCalpha', [batch[2]!, batch[1]!, batch[0]!]],
      [`query=football${range}`, [batch[3]!, batch[1]!]],
      [`query=football&channel=UCbeta${range}`, [batch[3]!]],
      [`channel=UCbeta${range}`, [batch[4]!, batch[3]!]],
    ];
    for (const [params, expected] of cases) {
      const listed = await get(`/videos?limit=100&${params}`);
      expect(listed.body.items.map((i) => i.video_id), params).toEqual(expected.map((v) => v.videoId));
      const searched = await get(`/videos/search?q=match&sort=newest&limit=100&${params}`);
      expect(searched.body.items.map((i) => i.video_id), params).toEqual(expected.map((v) => v.videoId));
    }
  });

  it('signs cursors with a secret the deployment made once and keeps in MySQL: every API process accepts them, none derived from settings', async () => {
    expect(api.config.cursorSecret).toBeNull();
    const first = await get('/videos?limit=2');
    const cursor = first.body.nextCursor!;
    // Another API process of the deployment (same database, no CURSOR_SECRET) continues it.
    const onOther = await get(`/videos?limit=2&cursor=${encodeURIComponent(cursor)}`, plans.window);
    expect(onOther.status).toBe(200);
    expect(onOther.body).toEqual((await get(`/videos?limit=2&cursor=${encodeURIComponent(cursor)}`)).body);
    const secret = await deploymentSecret();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // What older versions derived from MYSQL_URL and REDIS_PREFIX (both published by the
    // compose file) no longer signs anything.
    const derived = createHash('sha256').update(`tubefeed-cursor\n${api.config.mysql.url}\n${api.config.redis.prefix}`).digest('base64url');
    expect(secret).not.toBe(derived);
    const [payload] = cursor.split('.');
    const forged = `${payload}.${createHmac('sha256', derived).update(payload!).digest('base64url').slice(0, 16)}`;
    expect((await get(`/videos?limit=2&cursor=${forged}`)).status).toBe(400);
  });

  it('answers 400 naming cursor for a tampered, foreign or stale cursor', async () => {
    const { body } = await get('/videos?limit=2');
    const cursor = body.nextCursor!;
    const [payload, check] = cursor.split('.');
    const decoded = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${Buffer.from(JSON.stringify({ ...decoded, p: [0, 1] })).toString('base64url')}.${check}`;
    // Well-signed (with the deployment's secret) but not a cursor object: still a 400.
    const secret = await deploymentSecret();
    const signed = (json: string) => {
      const body = Buffer.from(json).toString('base64url');
      return `${body}.${createHmac('sha256', secret).update(body).digest('base64url').slice(0, 16)}`;
    };
    const cases: Array<[string, string]> = [
      // The check's last character changed (to another one: it is x one time in 64).
      [`/videos?limit=2&cursor=${cursor.slice(0, -1)}${cursor.endsWith('x') ? 'y' : 'x'}`, 'cursor is not valid; start again without it'],
      [`/videos?limit=2&cursor=${forged}`, 'cursor is not valid; start again without it'],
      ['/videos?limit=2&cursor=garbage', 'cursor is not valid; start again without it'],
      [`/videos?limit=2&cursor=${signed('null')}`, 'cursor is not valid; start again without it'],
      [`/videos?limit=2&cursor=${signed('[1,2]')}`, 'cursor is not valid; start again without it'],
      [`/videos?limit=2&cursor=${signed(JSON.stringify({ ...decoded, p: ['x', 1] }))}`, 'cursor is not valid; start again without it'],
      [`/videos?limit=2&sort=oldest&cursor=${cursor}`, 'cursor belongs to other parameters (sort, filters or q); start again without it'],
      [`/videos/search?q=tea&cursor=${cursor}`, 'cursor belongs to other parameters (sort, filters or q); start again without it'],
    ];
    for (const [url, message] of cases) {
      const response = await get(url);
      expect(response.status, url).toBe(400);
      expect(response.body, url).toEqual({ isError: true, message });
    }
  });

  it.each([
    ['/videos?sort=relevance', 'sort must be one of newest, oldest, published, views, likes, duration (got "relevance")'],
    ['/videos?channel=no%20spaces', 'channel must be a YouTube channel id (letters, digits, _ and -) (got "no spaces")'],
    ['/videos?publishedAfter=yesterday', 'publishedAfter must be an ISO 8601 date-time such as 2024-01-31T00:00:00Z (got "yesterday")'],
    [
      '/videos?publishedAfter=2025-02-01T00:00:00Z&publishedBefore=2025-01-01T00:00:00Z',
      'publishedAfter must not be later than publishedBefore',
    ],
    ['/videos?limit=0', 'limit must be an integer from 1 to 100 (got "0")'],
    [
      '/videos?publishedAfter=9999-12-31T23:59:59-23:59',
      'publishedAfter must be an ISO 8601 date-time from year 1000 to 9999, such as 2024-01-31T00:00:00Z',
    ],
    ['/videos/search?q=a%20b%20c%20d%20e%20f%20g%20h%20i%20j%20k%20l%20zzzz', 'q must have at most 12 words'],
    ['/videos?query=unknown', 'query "unknown" is not a followed search query'],
  ])('rejects %s', async (url, message) => {
    const { status, body } = await get(url);
    expect(status).toBe(400);
    expect(body).toEqual({ isError: true, message });
  });
});
