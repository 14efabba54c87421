// Reading videos as their stored JSON (`videos.json`, rendered when the row was written).
//
// A listing selects only the keyset columns and the rendered bytes. A row whose bytes are
// missing or from another renderer version (stored before the column existed, or written by a
// process of another version during a rolling deploy) is rendered here from its columns, in
// one extra statement for the whole page; the rows themselves are rendered again in the
// background (video-repository.ts renderStaleJson), so this is the exception, not the path.
// Writers render through renderJson and storeJson below, from the stored columns.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../platform/db/schema.js';
import { VIDEO_JSON_VERSION, fragmentHash, serializeVideo, type VideoJsonSource } from './video-json.js';

/** What a listing reads of each row: its keyset position and its rendered JSON. */
export interface RenderedRow {
  readonly id: number;
  readonly published_at: Date;
  readonly json: Buffer | null;
  readonly json_hash: Buffer | null;
  readonly json_version: number | null;
}

/** The columns behind RenderedRow, on the `videos` table aliased as `v`. */
export const RENDERED_COLUMNS = ['v.id', 'v.published_at', 'v.json', 'v.json_hash', 'v.json_version'] as const;

/** The columns a videos.list answer writes (video-details-repository.ts), in its order. */
export const DETAIL_COLUMNS = [
  'description_full',
  'tags',
  'category_id',
  'default_language',
  'duration_s',
  'definition',
  'has_captions',
  'made_for_kids',
  'view_count',
  'like_count',
  'comment_count',
  'live_state',
  'scheduled_start_at',
  'actual_start_at',
  'actual_end_at',
] as const;

/** The columns the JSON is rendered from (video-json.ts VideoJsonSource). */
export const SOURCE_COLUMNS = [
  'id',
  'video_id',
  'title',
  'description',
  'published_at',
  'thumbnail_default',
  'thumbnail_medium',
  'thumbnail_high',
  'channel_id',
  'channel_title',
  ...DETAIL_COLUMNS,
  'available',
  'unavailable_since',
  'details_at',
] as const satisfies ReadonlyArray<keyof VideoJsonSource | 'id'>;

/** A row as SOURCE_COLUMNS read it. */
export type SourceRow = VideoJsonSource & { readonly id: number };

/** A row's JSON rendered from its columns, and the hash stored with it. */
export interface RenderedJson {
  readonly id: number;
  readonly json: string;
  readonly hash: Buffer;
}

export const renderJson = (rows: readonly SourceRow[]): RenderedJson[] =>
  rows.map((row) => {
    const json = serializeVideo(row);
    return { id: row.id, json, hash: fragmentHash(json) };
  });

/**
 * Stores rendered JSON in one statement, whatever the number of rows. Run it in the
 * transaction that read (and locked) the rows' columns, so no newer write is overwritten.
 */
export async function storeJson(db: Kysely<Database>, renders: readonly RenderedJson[]): Promise<void> {
  if (renders.length === 0) return;
  const json = renders.map((row) => sql`WHEN ${row.id} THEN ${row.json}`);
  const hashes = renders.map((row) => sql`WHEN ${row.id} THEN ${row.hash}`);
  await sql`
    UPDATE videos SET json = CASE id ${sql.join(json, sql` `)} END, json_hash = CASE id ${sql.join(hashes, sql` `)} END,
      json_version = ${VIDEO_JSON_VERSION}
    WHERE id IN (${sql.join(renders.map((row) => row.id))})`.execute(db);
}

export const isCurrent = (row: Pick<RenderedRow, 'json' | 'json_hash' | 'json_version'>): boolean =>
  row.json !== null && row.json_hash !== null && row.json_version === VIDEO_JSON_VERSION;

/** A listed row whose `json` is current: the bytes to serve. */
export type ListedRow<Row extends RenderedRow = RenderedRow> = Row & { readonly json: Buffer; readonly json_hash: Buffer };

/**
 * The rows, in their order, each with its current JSON. Rows whose stored JSON is not current
 * are rendered from their columns (one statement for all of them) and their `json` replaced in
 * place; a row deleted meanwhile is left out. Rows are not copied: on the common path this is
 * one pass that allocates nothing.
 */
export async function withFragments<Row extends RenderedRow>(db: Kysely<Database>, rows: Row[]): Promise<Array<ListedRow<Row>>> {
  let stale: Row[] | null = null;
  for (const row of rows) if (!isCurrent(row)) (stale ??= []).push(row);
  if (stale === null) return rows as Array<ListedRow<Row>>;
  const sources = await db
    .selectFrom('videos')
    .select(SOURCE_COLUMNS)
    .where(
      'id',
      'in',
      stale.map((row) => row.id),
    )
    .execute();
  const rendered = new Map(sources.map((source) => [source.id, Buffer.from(serializeVideo(source))]));
  const out: Array<ListedRow<Row>> = [];
  for (const row of rows) {
    if (!isCurrent(row)) {
      const json = rendered.get(row.id);
      if (json === undefined) continue;
      // The rows are this read's own objects.
      Object.assign(row, { json, json_hash: fragmentHash(json), json_version: VIDEO_JSON_VERSION });
    }
    out.push(row as ListedRow<Row>);
  }
  return out;
}
