// The listing's sorts and filters on a few thousand rows: every statement a page runs is
// EXPLAINed; each sort reads an index in its order (no filesort, no table scan), and a filter
// that narrows the rows may sort what it found, never the whole table. The same for search
// sorted by a value: its window walks the sort index; the FULLTEXT index sorts only its matches.
import { CompiledQuery, Kysely, MysqlDialect, sql } from 'kysely';
import { createPool } from 'mysql2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poolOptionsFromUrl } from '../platform/db/create-db.js';
import type { Database } from '../platform/db/schema.js';
import { createTestDatabase, type TestDatabase } from '../testing/index.js';
import { createSearchFinder } from './search-finder.js';
import { parseSearch } from './search-text.js';
import { createVideoFinder, type FindRequest, type SortKey, type ValueSortKey, type VideoFilters } from './video-finder.js';

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
              expect(plan[0]!.key, shown).toBe(indexes[key][name === 'a channel' ? 1 : 0]);
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
              // A third of the videos against a 500-row window: the query's videos are read and
              // sorted (walkSortIndex), never the table.
              for (const row of plan) if (row.Extra?.includes('filesort') === true) expect(Number(row.rows), shown).toBeLessThanOrEqual(ROWS / 2);
            } else {
              // The window's end and the window itself: the sort index, in order.
              expect(v?.key, shown).toBe(indexes[key][name === 'a channel' ? 1 : 0]);
              expect(plan.map((row) => row.Extra ?? '').join(';'), shown).not.toMatch(/filesort|temporary/);
            }
          }
        }
      }
    },
  );
});
