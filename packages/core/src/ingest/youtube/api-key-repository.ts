// The api_keys table: YouTube API keys the service may use. Keys are imported from
// YOUTUBE_API_KEYS at boot and managed at run time through the admin API. Reads for the pool
// return the key itself; everything shown to people uses the fingerprint and masked form. The
// table also keeps what YouTube said about each key (out of quota until, rejected because), so
// the key pool's state survives a Redis that lost it.
import type { Kysely } from 'kysely';
import type { Clock } from '../../platform/clock.js';
import type { ApiKeyRow, Database } from '../../platform/db/schema.js';
import { keyFingerprint, maskKey } from '../../platform/key-mask.js';
import type { QuotaBucket } from './quota-buckets.js';

export type KeyTarget = 'youtube' | 'simulator';

export type ApiKeyRepository = ReturnType<typeof createApiKeyRepository>;

/** A key as shown: never the key itself. */
export interface ApiKeyView {
  readonly id: number;
  readonly fingerprint: string;
  readonly masked: string;
  readonly label: string;
  /** The Google Cloud project whose quota the key shares; null: a project of its own. */
  readonly project: string | null;
  readonly enabled: boolean;
  readonly origin: string;
  readonly addedAt: Date;
}

export function toApiKeyView(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    fingerprint: row.fingerprint,
    masked: maskKey(row.api_key),
    label: row.label,
    project: row.project,
    enabled: row.enabled === 1,
    origin: row.origin,
    addedAt: row.added_at,
  };
}

/**
 * Runs a statement that carries a key. mysql2 puts the failed statement, values and all, in the
 * error's `sql`, and a process that dies of the error at boot prints it: that is dropped, the
 * rest (message, code, SQL state) says what went wrong.
 */
async function carryingKeys<T>(statement: Promise<T>): Promise<T> {
  try {
    return await statement;
  } catch (error) {
    if (typeof error === 'object' && error !== null && 'sql' in error) delete (error as { sql?: unknown }).sql;
    throw error;
  }
}

export function createApiKeyRepository({ db, clock }: { db: Kysely<Database>; clock: Clock }) {
  async function list(target: KeyTarget, options: { enabledOnly?: boolean } = {}): Promise<ApiKeyRow[]> {
    let query = db.selectFrom('api_keys').selectAll().where('target', '=', target).orderBy('id');
    if (options.enabledOnly === true) query = query.where('enabled', '=', 1);
    return query.execute();
  }

  async function findById(id: number): Promise<ApiKeyRow | undefined> {
    return db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async function findByKey(key: string): Promise<ApiKeyRow | undefined> {
    return db.selectFrom('api_keys').selectAll().where('fingerprint', '=', keyFingerprint(key)).executeTakeFirst();
  }

  /**
   * Adds the keys that are not stored yet (enabled); known keys keep their state. A project
   * named in the configuration (`project:key`) is also set on a key stored before.
   */
  async function importConfigured(keys: ReadonlyArray<{ key: string; project: string | null }>, target: KeyTarget): Promise<number> {
    if (keys.length === 0) return 0;
    const now = clock.now();
    const result = await carryingKeys(
      db
        .insertInto('api_keys')
        .ignore()
        .values(
          keys.map(({ key, project }) => ({
            fingerprint: keyFingerprint(key),
            api_key: key,
            label: maskKey(key),
            project,
            target,
            origin: 'config',
            enabled: 1,
            added_at: now,
          })),
        )
        .executeTakeFirst(),
    );
    for (const { key, project } of keys) {
      if (project === null) continue;
      await db
        .updateTable('api_keys')
        .set({ project })
        .where('fingerprint', '=', keyFingerprint(key))
        .where((eb) => eb.or([eb('project', 'is', null), eb('project', '!=', project)]))
        .execute();
    }
    return Number(result.numInsertedOrUpdatedRows ?? 0n);
  }

  /** Stores a new key; undefined when it is already stored. */
  async function add(key: string, label: string, target: KeyTarget, project: string | null = null): Promise<ApiKeyRow | undefined> {
    const result = await carryingKeys(
      db
        .insertInto('api_keys')
        .ignore()
        .values({ fingerprint: keyFingerprint(key), api_key: key, label, project, target, origin: 'admin', enabled: 1, added_at: clock.now() })
        .executeTakeFirst(),
    );
    if (Number(result.numInsertedOrUpdatedRows ?? 0n) === 0) return undefined;
    return findByKey(key);
  }

  async function update(id: number, changes: { enabled?: boolean; label?: string; project?: string | null }): Promise<ApiKeyRow | undefined> {
    const set: { enabled?: number; label?: string; project?: string | null } = {};
    if (changes.enabled !== undefined) set.enabled = changes.enabled ? 1 : 0;
    if (changes.label !== undefined) set.label = changes.label;
    if (changes.project !== undefined) set.project = changes.project;
    if (Object.keys(set).length > 0) await db.updateTable('api_keys').set(set).where('id', '=', id).execute();
    return findById(id);
  }

  async function remove(id: number): Promise<ApiKeyRow | undefined> {
    const row = await findById(id);
    if (row !== undefined) await db.deleteFrom('api_keys').where('id', '=', id).execute();
    return row;
  }

  // What YouTube said about a key, kept durably (the key pool's copy in Redis may be lost).
  // Keys are addressed by fingerprint, the id the pool knows them by.

  /** The keys' project has spent `bucket` until `until` (the next Pacific midnight). */
  async function markExhausted(fingerprints: readonly string[], bucket: QuotaBucket, until: Date): Promise<void> {
    if (fingerprints.length === 0) return;
    const column = bucket === 'search' ? 'search_exhausted_until' : 'units_exhausted_until';
    await db.updateTable('api_keys').set({ [column]: until }).where('fingerprint', 'in', fingerprints).execute();
  }

  /** YouTube keeps answering the key with errors nothing explains: set aside until `until`. */
  async function markSuspect(fingerprint: string, reason: string, until: Date): Promise<void> {
    await db
      .updateTable('api_keys')
      .set({ suspect_reason: reason.slice(0, 200), suspect_until: until })
      .where('fingerprint', '=', fingerprint)
      .execute();
  }

  /** YouTube refused the key: unusable until an operator enables it. */
  async function markRejected(fingerprint: string, reason: string, at: Date): Promise<void> {
    await db
      .updateTable('api_keys')
      .set({ rejected_reason: reason.slice(0, 200), rejected_at: at })
      .where('fingerprint', '=', fingerprint)
      .execute();
  }

  /**
   * An operator enabled a key: whatever YouTube said of it, and of its project's buckets (the
   * first fingerprint is the key, the others its project's other keys), no longer holds.
   */
  async function clearState(fingerprints: readonly string[]): Promise<void> {
    const [key, ...others] = fingerprints;
    if (key === undefined) return;
    await db
      .updateTable('api_keys')
      .set({ search_exhausted_until: null, units_exhausted_until: null, rejected_reason: null, rejected_at: null, suspect_reason: null, suspect_until: null })
      .where('fingerprint', '=', key)
      .execute();
    if (others.length > 0) {
      await db.updateTable('api_keys').set({ search_exhausted_until: null, units_exhausted_until: null }).where('fingerprint', 'in', others).execute();
    }
  }

  /** Forgets exhaustion and suspicion that ended (the quota day turned); returns how many keys it cleared. */
  async function clearEndedExhaustion(now: Date): Promise<number> {
    let cleared = 0;
    for (const [column, also] of [
      ['search_exhausted_until', undefined],
      ['units_exhausted_until', undefined],
      ['suspect_until', 'suspect_reason'],
    ] as const) {
      const result = await db
        .updateTable('api_keys')
        .set(also === undefined ? { [column]: null } : { [column]: null, [also]: null })
        .where(column, '<=', now)
        .executeTakeFirst();
      cleared += Number(result.numUpdatedRows);
    }
    return cleared;
  }

  return {
    list,
    findById,
    findByKey,
    importConfigured,
    add,
    update,
    remove,
    markExhausted,
    markRejected,
    markSuspect,
    clearState,
    clearEndedExhaustion,
  };
}
