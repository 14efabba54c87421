// What the store holds, checked for the promises the fault suite proves: every fault scenario
// ends by auditing the store and comparing the query's videos with the simulator's ground
// truth. Besides the ids, the audit recomputes every count the service maintains (feed totals,
// per-bucket counts and their running `below`, search rows, feed_json's copy of the listed
// videos' JSON) from the rows themselves, so a video
// stored twice, or counted twice, shows up as a problem even where a unique key would hide it.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../platform/db/schema.js';
import { ALL_VIDEOS_SCOPE, BUCKET_MS } from '../catalog/feed-buckets.js';

export interface StoreAudit {
  /** Video ids linked to the query, sorted. */
  readonly ids: string[];
  /** Disagreements between the store's rows and its maintained counts (empty when consistent). */
  readonly problems: string[];
}

interface ScopeRows {
  readonly total: number;
  readonly perBucket: Map<number, number>;
}

async function actualScope(db: Kysely<Database>, scope: number): Promise<ScopeRows> {
  const bucket = sql<number>`FLOOR(UNIX_TIMESTAMP(published_at) * 1000 / ${BUCKET_MS}) * ${BUCKET_MS}`;
  const rows =
    scope === ALL_VIDEOS_SCOPE
      ? await db.selectFrom('videos').select([bucket.as('bucket'), (eb) => eb.fn.countAll<number>().as('n')]).groupBy('bucket').execute()
      : await db
          .selectFrom('video_queries')
          .where('query_id', '=', scope)
          .select([bucket.as('bucket'), (eb) => eb.fn.countAll<number>().as('n')])
          .groupBy('bucket')
          .execute();
  const perBucket = new Map(rows.map((row) => [Number(row.bucket), Number(row.n)]));
  return { total: [...perBucket.values()].reduce((a, b) => a + b, 0), perBucket };
}

async function scopeProblems(db: Kysely<Database>, scope: number): Promise<string[]> {
  const problems: string[] = [];
  const actual = await actualScope(db, scope);
  const kept = await db.selectFrom('feed_scopes').select('total').where('scope', '=', scope).executeTakeFirst();
  if ((kept?.total ?? 0) !== actual.total) problems.push(`scope ${scope}: total ${kept?.total ?? 0}, rows ${actual.total}`);
  const buckets = await db.selectFrom('feed_buckets').selectAll().where('scope', '=', scope).orderBy('bucket_start').execute();
  let below = 0;
  const seen = new Set<number>();
  for (const bucket of buckets) {
    const start = bucket.bucket_start.getTime();
    seen.add(start);
    const rows = actual.perBucket.get(start) ?? 0;
    if (bucket.n !== rows) problems.push(`scope ${scope}: bucket ${bucket.bucket_start.toISOString()} n ${bucket.n}, rows ${rows}`);
    if (bucket.below !== below) problems.push(`scope ${scope}: bucket ${bucket.bucket_start.toISOString()} below ${bucket.below}, rows ${below}`);
    below += rows;
  }
  for (const [start, rows] of actual.perBucket) {
    if (!seen.has(start)) problems.push(`scope ${scope}: ${rows} rows in ${new Date(start).toISOString()} with no bucket`);
  }
  return problems;
}

/** Audits the whole store and returns the query's video ids. */
export async function auditStore(db: Kysely<Database>, queryId: number): Promise<StoreAudit> {
  const problems = [...(await scopeProblems(db, ALL_VIDEOS_SCOPE)), ...(await scopeProblems(db, queryId))];
  const duplicateIds = await db
    .selectFrom('videos')
    .select(['video_id', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('video_id')
    .having((eb) => eb.fn.countAll(), '>', 1)
    .execute();
  for (const row of duplicateIds) problems.push(`video ${row.video_id} stored ${row.n} times`);
  // feed_json holds exactly the listed videos, each with its current JSON (kept by triggers).
  const copies = await sql<{ missing: number; extra: number }>`
    SELECT (SELECT COUNT(*) FROM videos v LEFT JOIN feed_json f
              ON f.published_at = v.published_at AND f.id = v.id AND f.json <=> v.json AND f.json_hash <=> v.json_hash AND f.json_version <=> v.json_version
            WHERE v.available = 1 AND f.id IS NULL) AS missing,
           (SELECT COUNT(*) FROM feed_json f LEFT JOIN videos v ON v.id = f.id AND v.published_at = f.published_at AND v.available = 1
            WHERE v.id IS NULL) AS extra`.execute(db);
  const copy = copies.rows[0];
  if (copy !== undefined && Number(copy.missing) + Number(copy.extra) > 0) {
    problems.push(`feed_json: ${copy.missing} listed videos missing or out of date, ${copy.extra} rows that are no listed video`);
  }
  const searchRows = await db.selectFrom('video_search').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const videoRows = await db.selectFrom('videos').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  if (Number(searchRows.n) !== Number(videoRows.n)) problems.push(`${videoRows.n} videos but ${searchRows.n} search rows`);
  const linked = await db
    .selectFrom('video_queries')
    .innerJoin('videos', 'videos.id', 'video_queries.video_pk')
    .select(['videos.video_id', 'videos.published_at', 'video_queries.published_at as linked_published_at'])
    .where('video_queries.query_id', '=', queryId)
    .execute();
  for (const row of linked) {
    if (row.published_at.getTime() !== row.linked_published_at.getTime()) problems.push(`video ${row.video_id}: link has another publish time`);
  }
  const ids = linked.map((row) => row.video_id).sort();
  for (let i = 1; i < ids.length; i++) if (ids[i] === ids[i - 1]) problems.push(`video ${ids[i]!} linked to the query twice`);
  return { ids, problems };
}
