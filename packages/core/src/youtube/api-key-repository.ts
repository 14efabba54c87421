// The api_keys table: YouTube API keys the service may use. Keys are imported from
// YOUTUBE_API_KEYS at boot and managed at run time through the admin API. Reads for the pool
// return the key itself; everything shown to people uses the fingerprint and masked form. The
// table also keeps what YouTube said about each key (out of quota until, rejected because), so
// the key pool's state survives a Redis that lost it.
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { ApiKeyRow, Database } from '../db/schema.js';
import { keyFingerprint, maskKey } from './key-mask.js';

export type KeyTarget = 'youtube' | 'simulator';

export type ApiKeyRepository = ReturnType<typeof createApiKeyRepository>;

/** A key as shown: never the key itself. */
export interface ApiKeyView {
  readonly id: number;
  readonly fingerprint: string;
  readonly masked: string;
  readonly label: string;
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

  /** Adds the keys that are not stored yet (enabled); known keys keep their state. */
  async function importConfigured(keys: readonly string[], target: KeyTarget): Promise<number> {
    if (keys.length === 0) return 0;
    const now = clock.now();
    const result = await carryingKeys(
      db
        .insertInto('api_keys')
        .ignore()
        .values(
          keys.map((key) => ({
            fingerprint: keyFingerprint(key),
            api_key: key,
            label: maskKey(key),
            target,
            origin: 'config',
            enabled: 1,
            added_at: now,
          })),
        )
        .executeTakeFirst(),
    );
    return Number(result.numInsertedOrUpdatedRows ?? 0n);
  }

  /** Stores a new key; undefined when it is already stored. */
  async function add(key: string, label: string, target: KeyTarget): Promise<ApiKeyRow | undefined> {
    const result = await carryingKeys(
      db
        .insertInto('api_keys')
        .ignore()
        .values({ fingerprint: keyFingerprint(key), api_key: key, label, target, origin: 'admin', enabled: 1, added_at: clock.now() })
        .executeTakeFirst(),
    );
    if (Number(result.numInsertedOrUpdatedRows ?? 0n) === 0) return undefined;
    return findByKey(key);
  }

  async function update(id: number, changes: { enabled?: boolean; label?: string }): Promise<ApiKeyRow | undefined> {
    const set: { enabled?: number; label?: string } = {};
    if (changes.enabled !== undefined) set.enabled = changes.enabled ? 1 : 0;
    if (changes.label !== undefined) set.label = changes.label;
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

  /** The key is out of quota until `until` (the next Pacific midnight). */
  async function markExhausted(fingerprint: string, until: Date): Promise<void> {
    await db.updateTable('api_keys').set({ exhausted_until: until }).where('fingerprint', '=', fingerprint).execute();
  }

  /** YouTube refused the key: unusable until an operator enables it. */
  async function markRejected(fingerprint: string, reason: string, at: Date): Promise<void> {
    await db
      .updateTable('api_keys')
      .set({ rejected_reason: reason.slice(0, 200), rejected_at: at })
      .where('fingerprint', '=', fingerprint)
      .execute();
  }

  /** An operator enabled the key: whatever YouTube said before no longer holds. */
  async function clearState(fingerprint: string): Promise<void> {
    await db
      .updateTable('api_keys')
      .set({ exhausted_until: null, rejected_reason: null, rejected_at: null })
      .where('fingerprint', '=', fingerprint)
      .execute();
  }

  /** Forgets exhaustion that ended (the quota day turned); returns how many keys it cleared. */
  async function clearEndedExhaustion(now: Date): Promise<number> {
    const result = await db.updateTable('api_keys').set({ exhausted_until: null }).where('exhausted_until', '<=', now).executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  return { list, findById, findByKey, importConfigured, add, update, remove, markExhausted, markRejected, clearState, clearEndedExhaustion };
}
