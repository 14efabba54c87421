// The search queries the service follows. A query is never deleted while it has videos:
// dropping it disables it, so its videos stay filterable and come back if it is followed again.
import { sql, type Kysely, type UpdateResult } from 'kysely';
import type { Clock } from '../platform/clock.js';
import type { Database, SearchQueryRow } from '../platform/db/schema.js';

export type SearchQueryRepository = ReturnType<typeof createSearchQueryRepository>;

/** Trimmed, inner whitespace collapsed: "  Tea   time " and "Tea time" are the same query. */
export function normaliseQueryText(text: string): string {
  return text.trim().replace(/\s+/g, ' ');
}

export function createSearchQueryRepository({ db, clock }: { db: Kysely<Database>; clock: Clock }) {
  async function list(options: { enabledOnly?: boolean } = {}): Promise<SearchQueryRow[]> {
    let query = db.selectFrom('search_queries').selectAll().orderBy('id');
    if (options.enabledOnly === true) query = query.where('enabled', '=', 1);
    return query.execute();
  }

  async function findByText(text: string): Promise<SearchQueryRow | undefined> {
    // The oldest of an equal group (text_variant 0, see migration 20261209090000) is the one a text names.
    return db
      .selectFrom('search_queries')
      .selectAll()
      .where('text', '=', normaliseQueryText(text))
      .orderBy('text_variant')
      .executeTakeFirst();
  }

  async function findById(id: number): Promise<SearchQueryRow | undefined> {
    return db.selectFrom('search_queries').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * Follows a query (creating or re-enabling it) and returns its row. `origin` says who asked:
   * 'config' (SEARCH_QUERIES) or 'admin' (the admin API); an operator's follow is never turned
   * back into a config one.
   */
  async function follow(text: string, origin: 'config' | 'admin' = 'config'): Promise<SearchQueryRow> {
    const normalised = normaliseQueryText(text);
    await db
      .insertInto('search_queries')
      .values({ text: normalised, enabled: 1, created_at: clock.now(), origin })
      .onDuplicateKeyUpdate(origin === 'admin' ? { enabled: 1, origin } : { enabled: 1 })
      .execute();
    const row = await findByText(normalised);
    if (row === undefined) throw new Error(`search query "${normalised}" vanished after insert`);
    await db
      .insertInto('feed_scopes')
      .values({ scope: row.id, total: 0 })
      .onDuplicateKeyUpdate({ scope: row.id })
      .execute();
    return row;
  }

  /** Makes sure a query row exists (disabled when new) without changing a followed one. */
  async function ensureKnown(text: string): Promise<SearchQueryRow> {
    const normalised = normaliseQueryText(text);
    await db
      .insertInto('search_queries')
      .values({ text: normalised, enabled: 0, created_at: clock.now() })
      .onDuplicateKeyUpdate({ text: normalised })
      .execute();
    const row = await findByText(normalised);
    if (row === undefined) throw new Error(`search query "${normalised}" vanished after insert`);
    return row;
  }

  /**
   * Makes the followed queries match SEARCH_QUERIES at boot: configured ones are followed;
   * queries that came from an earlier configuration and are no longer in it stop being
   * followed; queries an operator added at run time are left alone.
   */
  async function syncConfigured(texts: readonly string[]): Promise<{ followed: SearchQueryRow[]; dropped: SearchQueryRow[] }> {
    const followed: SearchQueryRow[] = [];
    for (const text of texts) followed.push(await follow(text, 'config'));
    const keep = new Set(followed.map((q) => q.id));
    const dropped = (await list({ enabledOnly: true })).filter((q) => q.origin === 'config' && !keep.has(q.id));
    for (const query of dropped) await unfollow(query.id);
    return { followed, dropped };
  }

  /** Stops following a query; its videos and links stay. */
  async function unfollow(id: number): Promise<boolean> {
    const result = await db.updateTable('search_queries').set({ enabled: 0 }).where('id', '=', id).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Claims the next fetch epoch of a query for a fetch run starting now, and returns it
   * (undefined: no such query). Every later claim is higher, whatever Redis holds, so a write
   * conditioned on it (`epoch` below) fails once a newer run has started: the fence of the
   * fetch lease (ingest/fetch-lease.ts), checked by MySQL itself.
   */
  async function claimFetchEpoch(id: number): Promise<number | undefined> {
    return db.transaction().execute(async (trx) => {
      const claimed = await trx.updateTable('search_queries').set({ fetch_epoch: sql<number>`fetch_epoch + 1` }).where('id', '=', id).executeTakeFirst();
      if (Number(claimed.numUpdatedRows) === 0) return undefined;
      const row = await trx.selectFrom('search_queries').select('fetch_epoch').where('id', '=', id).executeTakeFirstOrThrow();
      return Number(row.fetch_epoch);
    });
  }

  /**
   * Whether a conditioned write of the query's fetch state found its epoch current. No row
   * counted can also mean that the write set the values already there (the pool reports rows
   * changed, not rows found): the epoch only grows, so it is still ours now only if it was then.
   */
  async function wroteUnder(id: number, epoch: number | undefined, result: UpdateResult): Promise<boolean> {
    if (epoch === undefined || Number(result.numUpdatedRows) > 0) return true;
    const row = await db.selectFrom('search_queries').select('fetch_epoch').where('id', '=', id).executeTakeFirst();
    return row !== undefined && Number(row.fetch_epoch) === epoch;
  }

  /**
   * Records how a fetch run ended. With `epoch`, only while it is the query's current fetch
   * epoch: false when a newer run has claimed one (nothing written).
   */
  async function recordOutcome(id: number, outcome: string, error: string | null, newVideos: number, epoch?: number): Promise<boolean> {
    let update = db
      .updateTable('search_queries')
      .set({ last_fetch_at: clock.now(), last_outcome: outcome, last_error: error?.slice(0, 500) ?? null, last_new_videos: newVideos })
      .where('id', '=', id);
    if (epoch !== undefined) update = update.where('fetch_epoch', '=', epoch);
    return wroteUnder(id, epoch, await update.executeTakeFirst());
  }

  /**
   * Saves the ranges still to fetch and, when given, where the next head starts and how far each
   * sweep delay's look is done (fetch-service.ts): one statement, so a crash leaves either the
   * old state or the new one. With `epoch`, only while it is the query's current fetch epoch:
   * false when a newer run has claimed one (nothing written).
   */
  async function saveFetchState(
    id: number,
    state: { pendingRanges: string | null; headMark?: Date | null; sweepMarks?: string | null },
    epoch?: number,
  ): Promise<boolean> {
    let update = db
      .updateTable('search_queries')
      .set({
        pending_ranges: state.pendingRanges,
        ...(state.headMark === undefined ? {} : { head_mark: state.headMark }),
        ...(state.sweepMarks === undefined ? {} : { sweep_marks: state.sweepMarks }),
      })
      .where('id', '=', id);
    if (epoch !== undefined) update = update.where('fetch_epoch', '=', epoch);
    return wroteUnder(id, epoch, await update.executeTakeFirst());
  }

  return { list, findByText, findById, follow, syncConfigured, ensureKnown, unfollow, claimFetchEpoch, recordOutcome, saveFetchState };
}
