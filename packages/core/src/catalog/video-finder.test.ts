// The listing's sorts and filters on a few thousand rows: every statement a page runs is
// EXPLAINed; each sort reads an index in its order (no filesort, no table scan), and a filter
// that narrows the rows may sort what it found, never the whole table; a rare live state or
// language on a value sort is read through its own index, a common one walks the sort index.
// The same for search sorted by a value: its window walks the sort index; the FULLTEXT index
// sorts only its matches, and is not used when the window says the page is a short read away.
import { CompiledQuery, Kysely, MysqlDialect, sql } from 'kysely';
import { createPool } from 'mysql2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poolOptionsFromUrl } from '../platform/db/create-db.js';
import type { Database } from '../platform/db/schema.js';
import { createTestDatabase, type TestDatabase } from '../testing/index.js';
import { createSearchFinder } from './search-finder.js';
import { parseSearch } from './search-text.js';
import { createVideoFinder, narrowFilterIndex, type FindRequest, type SortKey, type ValueSortKey, type VideoFilters } from './video-finder.js';

const ROWS = 4000;
let db: TestDatabase;
let logged: Kysely<Database>;
const statements: CompiledQuery[] = [];
let queryId = 0;
let smallQueryId = 0;

/** A deterministic spread of values: many ties, about a fifth NULL. */
function spread(i: number, mod: number, nullEvery: number): number | null {
  return i % nullEvery === 0 ? null : (i * 7919) % mod;
}

beforeAll(async () => {
  db = await createTestDatabase();
  logged = new Kysely<Database>({
    dialect: new MysqlDialect({
      pool: createPool({ ...poolOptionsFromUrl(db.url), connectionLimit: 1, timezone: 'Z', supportBigNumbers: true, bigNumberStrings: false }),
      onCreateConnection: async (connection) => {
        await connection.executeQuery(CompiledQuery.raw("SET SESSION time_zone = '+00:00'"));
      },
    }),
    log: (event) => {
      if (event.level === 'query') statements.push(event.query);
    },
  });
  const now = new Date('2024-06-01T00:00:00Z');
  const languages = ['en', 'en', 'en-GB', 'de', 'fr', 'ja', null];
  const live = ['none', 'none', 'none', 'none', 'completed', 'none', 'none', 'none', null, 'none'];
  for (let start = 0; start < ROWS; start += 500) {
    const rows = Array.from({ length: 500 }, (_, k) => {
      const i = start + k;
      return {
        video_id: `x${i.toString().padStart(10, '0')}`,
        title: `Video ${i}`,
        description: 'd',
        channel_id: `UCchannel${i % 40}`,
        channel_title: 'c',
        published_at: new Date(now.getTime() - (i % 1000) * 3_600_000),
        first_seen_at: now,
        updated_at: now,
        view_count: spread(i, 100_000, 5),
        like_count: spread(i, 1000, 6),
        duration_s: spread(i, 3600, 7),
        default_language: languages[i % languages.length]!,
        live_state: i % 97 === 0 ? 'live' : live[i % live.length]!,
        available: i % 50 === 0 ? 0 : 1,
        live_broadcast_content: 'none',
      };
    });
    await db.kysely.insertInto('videos').values(rows).execute();
  }
  // A query holding a third of the videos (its pages walk the sort index) and one holding 20
  // (its videos are read and sorted), with the kept counts the video repository maintains.
  await sql`INSERT INTO search_queries (text, enabled, created_at) VALUES ('big', 1, NOW(3)), ('small', 1, NOW(3))`.execute(db.kysely);
  const ids = (await sql<{ id: number }>`SELECT id FROM search_queries ORDER BY id`.execute(db.kysely)).rows.map((r) => Number(r.id));
  [queryId, smallQueryId] = [ids[0]!, ids[1]!];
  await sql`INSERT INTO video_queries (query_id, video_pk, published_at, first_seen_at)
            SELECT ${queryId}, id, published_at, first_seen_at FROM videos WHERE id % 3 = 0
            UNION ALL SELECT ${smallQueryId}, id, published_at, first_seen_at FROM videos WHERE id % 200 = 1`.execute(db.kysely);
  await sql`UPDATE feed_scopes SET total = ${ROWS} WHERE scope = 0`.execute(db.kysely);
  // Search text as search-text.ts stores it: every video says "common", one in 500 "rareword".
  await sql`INSERT INTO video_search (published_at, video_pk, title_text, body_text)
            SELECT published_at, id, CONCAT(' video ', id, IF(id % 500 = 0, ' rareword', ''), ' common '), ' d '
            FROM videos`.execute(db.kysely);
  await sql`INSERT INTO feed_scopes (scope, total) SELECT query_id, COUNT(*) FROM video_queries GROUP BY query_id`.execute(db.kysely);
  await sql`ANALYZE TABLE videos, video_queries, video_search`.execute(db.kysely);
});

afterAll(async () => {
  await logged.destroy();
  await db.drop();
});

interface PlanRow {
  table: string | null;
  type: string | null;
  key: string | null;
  rows: number | null;
  Extra: string | null;
}

/** Every statement one page runs, with its plan. */
async function plans(request: FindRequest): Promise<Array<{ sql: string; plan: PlanRow[] }>> {
  statements.length = 0;
  await createVideoFinder(logged).find(request);
  return explained();
}

async function explained(): Promise<Array<{ sql: string; plan: PlanRow[] }>> {
  const out = [];
  for (const statement of [...statements]) {
    const result = await db.kysely.executeQuery<PlanRow>(CompiledQuery.raw(`EXPLAIN ${statement.sql}`, [...statement.parameters]));
    out.push({ sql: statement.sql, plan: result.rows });
  }
  return out;
}

const sorts: SortKey[] = ['published', 'views', 'likes', 'duration'];
/** The index each sort reads over all videos, and over one channel. */
const indexes: Record<SortKey, [string, string]> = {
  published: ['videos_feed_idx', 'videos_channel_feed_idx'],
  views: ['videos_views_idx', 'videos_channel_views_idx'],
  likes: ['videos_likes_idx', 'videos_channel_likes_idx'],
  duration: ['videos_duration_idx', 'videos_channel_duration_idx'],
};
/** The index expected, or its variant leading with `available` that listing only available videos may read instead. */
const LISTED_VARIANT: Record<string, string> = { videos_feed_idx: 'videos_listed_feed_idx', videos_channel_feed_idx: 'videos_channel_listed_idx' };
const oneOf = (index: string): string[] => [index, ...(LISTED_VARIANT[index] === undefined ? [] : [LISTED_VARIANT[index]])];

const cases: Array<[string, VideoFilters]> = [
  ['all videos', {}],
  ['a channel', { channelId: 'UCchannel7' }],
  ['a query', { queryId: -1 }],
  ['a small query', { queryId: -2 }],
  ['minViews', { minViews: 50_000 }],
  ['minDuration and maxDuration', { minDuration: 60, maxDuration: 1200 }],
  ['language', { language: 'de' }],
  ['live', { live: 'live' }],
  ['includeUnavailable', { includeUnavailable: true }],
];

describe('listing plans', () => {
  it.each(sorts.flatMap((key) => cases.map(([name, filters]) => [key, name, filters] as const)))(
    'sort=%s over %s reads an index in order or sorts only a narrowed range',
    async (key, name, filters) => {
      const scoped = { ...filters, queryId: filters.queryId === -1 ? queryId : filters.queryId === -2 ? smallQueryId : undefined };
      for (const direction of ['desc', 'asc'] as const) {
        // The first page, and a page within the videos without a value (the second range).
        const pages: FindRequest[] = [{ filters: scoped, sort: { key, direction }, limit: 21 }];
        if (key !== 'published') pages.push({ ...pages[0]!, after: { value: null, id: direction === 'desc' ? ROWS * 2 : 0 } });
        for (const request of pages) {
          const found = (await plans(request)).filter((statement) => /order by/i.test(statement.sql));
          // (minViews leaves no video without views: that range is not read at all.)
          if (request.after === undefined) expect(found.length, `${direction} ${name}`).toBeGreaterThan(0);
          for (const { plan } of found) {
            const shown = `${direction} ${name} after ${JSON.stringify(request.after ?? null)}: ${JSON.stringify(plan)}`;
            for (const row of plan) {
              // Every table is read through an index, never scanned whole.
              expect(row.type, shown).not.toBe('ALL');
              expect(row.key, shown).not.toBeNull();
              // A sort, if any, is of a narrowed range, never of the table.
              if (row.Extra?.includes('filesort') === true) expect(Number(row.rows), shown).toBeLessThanOrEqual(ROWS / 20);
            }
            const unfiltered = name === 'all videos' || name === 'includeUnavailable' || name === 'a channel';
            if (unfiltered) {
              expect(plan.map((row) => row.Extra ?? '').join(';'), shown).not.toMatch(/filesort|temporary/);
              if (key === 'published' && name === 'all videos') {
                // Every listed video by publish time: feed_json's clustered index, in order.
                expect(plan[0], shown).toMatchObject({ table: 'feed_json', key: 'PRIMARY' });
              } else {
                expect(oneOf(indexes[key][name === 'a channel' ? 1 : 0]), shown).toContain(plan[0]!.key);
              }
            }
          }
        }
      }
    },
  );
});

describe('search plans sorted by a value', () => {
  const keys: ValueSortKey[] = ['views', 'likes', 'duration'];
  it.each(keys.flatMap((key) => ['common', 'rareword'].map((q) => [key, q] as const)))(
    'sort=%s, q=%s: the window walks the sort index in order; the FULLTEXT index sorts only its matches',
    async (key, q) => {
      for (const [name, filters] of [
        ['all videos', {}],
        ['a channel', { channelId: 'UCchannel7' }],
        ['a query', { queryId }],
      ] as const) {
        for (const direction of ['desc', 'asc'] as const) {
          statements.length = 0;
          await createSearchFinder(logged).find({ search: parseSearch(q), filters, sort: { key, direction }, limit: 21 });
          const found = (await explained()).filter((statement) => /order by/i.test(statement.sql));
          expect(found.length).toBeGreaterThan(0);
          for (const { sql: text, plan } of found) {
            const shown = `${name} ${direction}: ${text.slice(0, 120)}… ${JSON.stringify(plan)}`;
            const v = plan.find((row) => row.table === 'v');
            expect(v?.type, shown).not.toBe('ALL');
            if (/MATCH/.test(text)) {
              // The index's matches, sorted: a handful for a rare word.
              expect(plan.map((row) => row.type), shown).toContain('fulltext');
            } else if (name === 'a query') {
              // A third of the videos against a 250-row window: the sort index is walked or the
              // query's videos are read and sorted (walkSortIndex), never the table.
              for (const row of plan) if (row.Extra?.includes('filesort') === true) expect(Number(row.rows), shown).toBeLessThanOrEqual(ROWS / 2);
            } else {
              // The window's end and the window itself: the sort index, in order.
              expect(oneOf(indexes[key][name === 'a channel' ? 1 : 0]), shown).toContain(v?.key);
              expect(plan.map((row) => row.Extra ?? '').join(';'), shown).not.toMatch(/filesort|temporary/);
            }
          }
        }
      }
    },
  );
});

describe('a value sort with a rare live state or language', () => {
  // live=live: 1 video in 97 (42 of 4,000); language=ja: 1 in 7; language=en: en, en and en-GB, 3 in 7.
  it('reads the filter\'s own index and sorts its few videos; a common filter walks the sort index', async () => {
    expect(await narrowFilterIndex(db.kysely, { live: 'live' }, 21)).toBe('videos_live_feed_idx');
    expect(await narrowFilterIndex(db.kysely, { live: 'live', language: 'en' }, 21)).toBe('videos_live_feed_idx');
    // 571 of 4,000: sorting them costs more than walking ~150 rows of the sort index.
    expect(await narrowFilterIndex(db.kysely, { language: 'ja' }, 21)).toBeNull();
    expect(await narrowFilterIndex(db.kysely, { language: 'en' }, 21)).toBeNull();
    expect(await narrowFilterIndex(db.kysely, { minViews: 10 }, 21)).toBeNull();

    for (const key of ['views', 'likes', 'duration'] as const) {
      for (const direction of ['desc', 'asc'] as const) {
        const rare = (await plans({ filters: { live: 'live' }, sort: { key, direction }, limit: 21 })).filter((s) => /order by/i.test(s.sql));
        expect(rare.length).toBeGreaterThan(0);
        for (const { sql: text, plan } of rare) {
          expect(text).toMatch(/FORCE INDEX \(videos_live_feed_idx\)/);
          expect(plan[0]!.key, JSON.stringify(plan)).toBe('videos_live_feed_idx');
          expect(Number(plan[0]!.rows)).toBeLessThanOrEqual(ROWS / 20);
        }
        const common = (await plans({ filters: { language: 'en' }, sort: { key, direction }, limit: 21 })).filter((s) => /order by/i.test(s.sql));
        for (const { sql: text, plan } of common) {
          expect(text).not.toMatch(/FORCE INDEX/);
          expect(plan[0]!.key, JSON.stringify(plan)).toBe(indexes[key][0]);
        }
      }
    }
  });

  it('lists the same videos in the same order either way', async () => {
    const all = await sql<{ id: number; like_count: number | null }>`
      SELECT id, like_count FROM videos WHERE live_state = 'live' AND available = 1`.execute(db.kysely);
    const expected = all.rows
      .map((row) => ({ id: Number(row.id), value: row.like_count }))
      .sort((a, b) => (a.value === null) !== (b.value === null) ? (a.value === null ? 1 : -1) : (b.value ?? 0) - (a.value ?? 0) || b.id - a.id)
      .map((row) => row.id);
    const seen: number[] = [];
    let after: FindRequest['after'];
    for (let page = 0; page < 20; page++) {
      const rows = await createVideoFinder(db.kysely).find({ filters: { live: 'live' }, sort: { key: 'likes', direction: 'desc' }, after, limit: 5 });
      seen.push(...rows.map((row) => row.id));
      if (rows.length < 5) break;
      after = rows.at(-1)!.position;
    }
    expect(expected.length).toBeGreaterThan(20);
    expect(seen).toEqual(expected);
  });
});

describe('search sorted by a value, a frequent word with a filter that keeps few videos', () => {
  it('reads on in the sort\'s order past the window instead of asking the FULLTEXT index for every video with the word', async () => {
    // Every video says "common"; minViews=97000 keeps ~2.4 %: ~6 in the 250-row window, the
    // rest of a page of 21 within the next few hundred rows.
    const filters: VideoFilters = { minViews: 97_000 };
    for (const direction of ['desc', 'asc'] as const) {
      statements.length = 0;
      const hits = await createSearchFinder(logged).find({ search: parseSearch('common'), filters, sort: { key: 'duration', direction }, limit: 21 });
      const texts = statements.map((statement) => statement.sql);
      expect(texts.some((text) => /MATCH/.test(text)), texts.join('\n')).toBe(false);
      const expected = await sql<{ id: number }>`
        SELECT id FROM videos WHERE available = 1 AND view_count >= 97000 AND duration_s IS NOT NULL
        ORDER BY duration_s ${sql.raw(direction)}, id ${sql.raw(direction)} LIMIT 21`.execute(db.kysely);
      expect(hits.map((hit) => hit.id)).toEqual(expected.rows.map((row) => Number(row.id)));
    }
  });
});

describe('search sorted by a value with a rare live state', () => {
  it('tests the filter\'s few videos and sorts them: no window over the sort index, no FULLTEXT index', async () => {
    for (const direction of ['desc', 'asc'] as const) {
      statements.length = 0;
      const hits = await createSearchFinder(logged).find({ search: parseSearch('common'), filters: { live: 'live' }, sort: { key: 'views', direction }, limit: 21 });
      const found = (await explained()).filter((statement) => /order by/i.test(statement.sql));
      expect(found.length).toBeGreaterThan(0);
      for (const { sql: text, plan } of found) {
        expect(text).not.toMatch(/MATCH/);
        expect(plan.find((row) => row.table === 'v')?.key, JSON.stringify(plan)).toBe('videos_live_feed_idx');
      }
      const expected = await sql<{ id: number }>`
        SELECT id FROM videos WHERE available = 1 AND live_state = 'live' AND view_count IS NOT NULL
        ORDER BY view_count ${sql.raw(direction)}, id ${sql.raw(direction)} LIMIT 21`.execute(db.kysely);
      expect(hits.map((hit) => hit.id)).toEqual(expected.rows.map((row) => Number(row.id)));
    }
  });
});

describe('a deep page by publish time', () => {
  it('seeks the cursor on (published_at, id), never scanning the available-first feed index down to it', async () => {
    const middle = await sql<{ id: number; published_at: Date }>`
      SELECT id, published_at FROM videos WHERE available = 1 ORDER BY published_at DESC, id DESC LIMIT 1 OFFSET ${ROWS / 2}`.execute(db.kysely);
    const at = middle.rows[0]!;
    for (const [filters, table, index] of [
      [{}, 'feed_json', 'PRIMARY'],
      [{ includeUnavailable: true }, 'v', 'videos_feed_idx'],
      [{ channelId: 'UCchannel7' }, 'v', 'videos_channel_feed_idx'],
    ] as const) {
      for (const direction of ['desc', 'asc'] as const) {
        const found = await plans({ filters, sort: { key: 'published', direction }, after: { value: at.published_at.getTime(), id: Number(at.id) }, limit: 21 });
        expect(found.filter((statement) => /order by/i.test(statement.sql))).toHaveLength(1);
        for (const { plan } of found.filter((statement) => /order by/i.test(statement.sql))) {
          expect(plan[0], JSON.stringify(plan)).toMatchObject({ table, key: index, type: 'range' });
        }
      }
    }
  });
});

describe('every listed video by publish time (feed_json)', () => {
  /** The listed ids in feed order (or reversed), as the table holds them: ties broken by id. */
  async function expectedOrder(direction: 'desc' | 'asc'): Promise<number[]> {
    const rows = await sql<{ id: number }>`
      SELECT id FROM videos WHERE available = 1
      ORDER BY published_at ${sql.raw(direction)}, id ${sql.raw(direction)}`.execute(db.kysely);
    return rows.rows.map((row) => Number(row.id));
  }

  it('walks every page with its keyset, ties on publish time included, in either order', async () => {
    const finder = createVideoFinder(db.kysely);
    for (const direction of ['desc', 'asc'] as const) {
      const seen: number[] = [];
      let after: FindRequest['after'];
      for (;;) {
        const page = await finder.find({ filters: {}, sort: { key: 'published', direction }, after, limit: 7 });
        seen.push(...page.map((row) => Number(row.id)));
        if (page.length < 7) break;
        after = page.at(-1)!.position;
      }
      expect(seen).toEqual(await expectedOrder(direction));
    }
  });

  it('seeks a keyset page as one range of publish time, the id tie-break checked on its rows', async () => {
    // The optimiser's trace of the page statement: only published_at's range is considered,
    // never ranges of (published_at, id) besides it, which MariaDB would estimate (index
    // dives) for every page.
    const middle = await sql<{ id: number; published_at: Date }>`
      SELECT id, published_at FROM videos WHERE available = 1 ORDER BY published_at DESC, id DESC LIMIT 1 OFFSET ${ROWS / 2}`.execute(db.kysely);
    const at = middle.rows[0]!;
    for (const direction of ['desc', 'asc'] as const) {
      statements.length = 0;
      const page = await createVideoFinder(logged).find({
        filters: {},
        sort: { key: 'published', direction },
        after: { value: at.published_at.getTime(), id: Number(at.id) },
        limit: 21,
      });
      expect(page).toHaveLength(21);
      const statement = statements.find((compiled) => /FROM feed_json/.test(compiled.sql))!;
      const alternatives = await db.kysely.connection().execute(async (connection) => {
        await sql`SET SESSION optimizer_trace = 'enabled=on'`.execute(connection);
        await connection.executeQuery(CompiledQuery.raw(statement.sql, [...statement.parameters]));
        const trace = await sql<{ found: unknown }>`
          SELECT JSON_EXTRACT(trace, '$**.range_scan_alternatives') AS found FROM information_schema.OPTIMIZER_TRACE`.execute(connection);
        await sql`SET SESSION optimizer_trace = 'enabled=off'`.execute(connection);
        // The driver may hand JSON over parsed or as text.
        const found = trace.rows[0]?.found ?? [];
        return JSON.stringify(typeof found === 'string' ? JSON.parse(found) : found);
      });
      const considered = (JSON.parse(alternatives) as Array<Array<{ index: string; ranges: string[] }>>).flat();
      expect(considered.length, alternatives).toBeGreaterThan(0);
      for (const alternative of considered) {
        expect(alternative.index).toBe('PRIMARY');
        expect(alternative.ranges, alternatives).toHaveLength(1);
        expect(alternative.ranges[0], alternatives).not.toMatch(/\bid\b/);
      }
    }
  });
});

describe('search sorted by a value, reading on page after page', () => {
  it('fills every page of a frequent word with a thin filter in order, never turning to the FULLTEXT index for a page\'s last rows', async () => {
    const filters: VideoFilters = { minViews: 97_000 };
    const expected = await sql<{ id: number }>`
      SELECT id FROM videos WHERE available = 1 AND view_count >= 97000 ORDER BY duration_s IS NULL, duration_s, id`.execute(db.kysely);
    const seen: number[] = [];
    let after: Parameters<ReturnType<typeof createSearchFinder>['find']>[0]['after'];
    statements.length = 0;
    for (let page = 0; page < 50 && seen.length < expected.rows.length; page++) {
      const hits = await createSearchFinder(logged).find({ search: parseSearch('common'), filters, sort: { key: 'duration', direction: 'asc' }, after, limit: 6 });
      seen.push(...hits.slice(0, 5).map((hit) => hit.id));
      if (hits.length < 6) break;
      after = { ...hits[4]!.position, tier: hits[4]!.tier };
    }
    expect(seen).toEqual(expected.rows.map((row) => Number(row.id)));
    expect(statements.filter((statement) => /MATCH/.test(statement.sql)).length).toBe(0);
  });
});
