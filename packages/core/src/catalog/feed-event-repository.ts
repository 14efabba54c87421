// The `feed_events` outbox (feed/feed-events.ts): read what is not relayed yet, mark it
// relayed, prune what is relayed and old. The rows are written by video-repository.ts in the
// transaction that stores their videos.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../platform/db/schema.js';
import type { FeedKey } from './feed-keys.js';
import { RENDERED_COLUMNS, withFragments, type RenderedRow } from './rendered-videos.js';

/** An outbox row with its video as listings serve it. */
export interface PendingFeedEvent {
  readonly seq: number;
  readonly feed: FeedKey;
  readonly videoId: string;
  /** The video's current JSON (`/videos` item). */
  readonly video: string;
  readonly storedAt: Date;
}

export type FeedEventRepository = ReturnType<typeof createFeedEventRepository>;

export function createFeedEventRepository({ db }: { readonly db: Kysely<Database> }) {
  /**
   * The oldest `limit` rows not relayed yet, in the order they were written. Rows whose video
   * no longer exists come back in `orphans` (to be marked relayed: there is nothing to tell).
   */
  async function pending(limit: number): Promise<{ events: PendingFeedEvent[]; orphans: number[] }> {
    const rows = await db
      .selectFrom('feed_events as e')
      .leftJoin('videos as v', 'v.id', 'e.video_pk')
      .select(['e.seq', 'e.feed', 'e.created_at', 'e.video_pk', 'v.video_id', ...RENDERED_COLUMNS])
      .where('e.relayed_at', 'is', null)
      .orderBy('e.seq')
      .limit(limit)
      .execute();
    const orphans = rows.filter((row) => row.video_id === null).map((row) => Number(row.seq));
    const found = rows.filter((row) => row.video_id !== null) as Array<(typeof rows)[number] & RenderedRow & { video_id: string }>;
    const rendered = await withFragments(db, found);
    return {
      events: rendered.map((row) => ({
        seq: Number(row.seq),
        feed: row.feed,
        videoId: row.video_id,
        video: row.json.toString('utf8'),
        storedAt: row.created_at,
      })),
      orphans,
    };
  }

  async function markRelayed(seqs: readonly number[], at: Date): Promise<void> {
    if (seqs.length === 0) return;
    await db.updateTable('feed_events').set({ relayed_at: at }).where('seq', 'in', [...seqs]).where('relayed_at', 'is', null).execute();
  }

  /** Deletes relayed rows relayed before `before`, at most `limit` per call; returns how many. */
  async function prune(before: Date, limit = 10_000): Promise<number> {
    const result = await sql`DELETE FROM feed_events WHERE relayed_at IS NOT NULL AND relayed_at < ${before} ORDER BY relayed_at LIMIT ${limit}`.execute(db);
    return Number(result.numAffectedRows ?? 0n);
  }

  /** Rows not relayed yet (a gauge: it stays near 0 while the relay keeps up). */
  async function backlog(): Promise<number> {
    const row = await db.selectFrom('feed_events').select((eb) => eb.fn.countAll<number>().as('n')).where('relayed_at', 'is', null).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  return { pending, markRelayed, prune, backlog };
}
