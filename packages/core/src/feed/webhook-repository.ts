// The webhooks table. Rows carry the signing secret: `list` and `find` for people never select
// it; only `forDelivery` (the worker, signing) does. Statements that carry a secret drop it
// from their errors (mysql2 puts the statement's values in `error.sql`).
import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../platform/clock.js';
import type { Database, WebhooksTable } from '../platform/db/schema.js';
import type { FeedKey } from './feed-events.js';

export type WebhookRow = Omit<Selectable<WebhooksTable>, 'secret'>;
export type WebhookRepository = ReturnType<typeof createWebhookRepository>;

const PUBLIC_COLUMNS = ['id', 'url', 'feed', 'allow_private_network', 'created_at'] as const;

async function carryingSecret<T>(statement: Promise<T>): Promise<T> {
  try {
    return await statement;
  } catch (error) {
    if (typeof error === 'object' && error !== null && 'sql' in error) delete (error as { sql?: unknown }).sql;
    throw error;
  }
}

export function createWebhookRepository({ db, clock }: { db: Kysely<Database>; clock: Clock }) {
  async function create(webhook: { url: string; feed: FeedKey; secret: string; allowPrivateNetwork: boolean }): Promise<WebhookRow> {
    const result = await carryingSecret(
      db
        .insertInto('webhooks')
        .values({
          url: webhook.url,
          feed: webhook.feed,
          secret: webhook.secret,
          allow_private_network: webhook.allowPrivateNetwork ? 1 : 0,
          created_at: clock.now(),
        })
        .executeTakeFirstOrThrow(),
    );
    const row = await find(Number(result.insertId));
    if (row === undefined) throw new Error('webhook vanished after insert');
    return row;
  }

  async function find(id: number): Promise<WebhookRow | undefined> {
    return db.selectFrom('webhooks').select(PUBLIC_COLUMNS).where('id', '=', id).executeTakeFirst();
  }

  async function list(): Promise<WebhookRow[]> {
    return db.selectFrom('webhooks').select(PUBLIC_COLUMNS).orderBy('id').execute();
  }

  /** Removes it; false when there was none. */
  async function remove(id: number): Promise<boolean> {
    const result = await db.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** The webhooks following any of these feeds: ids and feeds only. */
  async function following(feeds: readonly FeedKey[]): Promise<Array<{ id: number; feed: FeedKey }>> {
    if (feeds.length === 0) return [];
    return db.selectFrom('webhooks').select(['id', 'feed']).where('feed', 'in', [...new Set(feeds)]).orderBy('id').execute();
  }

  /** What a delivery needs, the secret included (the worker signs with it); undefined once deleted. */
  async function forDelivery(id: number): Promise<{ url: string; secret: string; allowPrivateNetwork: boolean } | undefined> {
    const row = await db.selectFrom('webhooks').select(['url', 'secret', 'allow_private_network']).where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : { url: row.url, secret: row.secret, allowPrivateNetwork: row.allow_private_network === 1 };
  }

  return { create, find, list, remove, following, forDelivery };
}
