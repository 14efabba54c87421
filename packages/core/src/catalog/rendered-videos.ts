// Reading videos as their stored JSON (`videos.json`, rendered when the row was written).
//
// A listing selects only the keyset columns and the rendered bytes. A row whose bytes are
// missing or from another renderer version (stored before the column existed, or written by a
// process of another version during a rolling deploy) is rendered here from its columns, in
// one extra statement for the whole page; the rows themselves are rendered again in the
// background (video-rendering.ts), so this is the exception, not the path.
import type { Kysely } from 'kysely';
import type { Database } from '../platform/db/schema.js';
import { VIDEO_JSON_VERSION, serializeVideo } from './video-json.js';

/** What a listing reads of each row: its keyset position and its rendered JSON. */
export interface RenderedRow {
  readonly id: number;
  readonly published_at: Date;
  readonly json: Buffer | null;
  readonly json_version: number | null;
}

/** The columns behind RenderedRow, on the `videos` table aliased as `v`. */
export const RENDERED_COLUMNS = ['v.id', 'v.published_at', 'v.json', 'v.json_version'] as const;

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
] as const;

export const isCurrent = (row: Pick<RenderedRow, 'json' | 'json_version'>): boolean =>
  row.json !== null && row.json_version === VIDEO_JSON_VERSION;

/**
 * The rows with their JSON, in their order. Rows whose stored JSON is not current are rendered
 * from their columns (one statement for all of them); a row deleted meanwhile is left out.
 */
export async function withFragments<Row extends RenderedRow>(
  db: Kysely<Database>,
  rows: readonly Row[],
): Promise<Array<Row & { readonly fragment: Buffer }>> {
  const stale = rows.filter((row) => !isCurrent(row));
  if (stale.length === 0) return rows.map((row) => ({ ...row, fragment: row.json! }));
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
  const out: Array<Row & { readonly fragment: Buffer }> = [];
  for (const row of rows) {
    const fragment = isCurrent(row) ? row.json! : rendered.get(row.id);
    if (fragment !== undefined) out.push({ ...row, fragment });
  }
  return out;
}
