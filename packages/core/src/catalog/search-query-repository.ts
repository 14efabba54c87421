// The search queries the service follows. A query is never deleted while it has videos:
// dropping it disables it, so its videos stay filterable and come back if it is followed again.
import type { Kysely } from 'kysely';
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
    return db.selectFrom('search_queries').selectAll().where('text', '=', normaliseQueryText(text)).executeTakeFirst();
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

  async function recordOutcome(id: number, outcome: string, error: string | null, newVideos: number): Promise<void> {
    await db
      .updateTable('search_queries')
      .set({ last_fetch_at: clock.now(), last_outcome: outcome, last_error: error?.slice(0, 500) ?? null, last_new_videos: newVideos })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Saves the ranges still to fetch and, when given, where the next head starts and how far each
   * sweep delay's look is done (fetch-service.ts): one statement, so a crash leaves either the
   * old state or the new one.
   */
  async function saveFetchState(id: number, state: { pendingRanges: string | null; headMark?: Date | null; sweepMarks?: string | null }): Promise<void> {
    await db
      .updateTable('search_queries')
      .set({
        pending_ranges: state.pendingRanges,
        ...(state.headMark === undefined ? {} : { head_mark: state.headMark }),
        ...(state.sweepMarks === undefined ? {} : { sweep_marks: state.sweepMarks }),
      })
      .where('id', '=', id)
      .execute();
  }

  return { list, findByText, findById, follow, syncConfigured, ensureKnown, unfollow, recordOutcome, saveFetchState };
}
