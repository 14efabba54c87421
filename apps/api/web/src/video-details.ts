// What enrichment tells of a video (duration, views, likes, live state), read from a listed
// video and written for people: "12:03", "1.2M views", "LIVE", "Upcoming". Every field may be
// missing (a server from before the fields existed) or null (a video not enriched yet, a
// hidden like count): then it reads as unknown and the card shows nothing for it.
import type { Video } from './api-client.js';

/** A video's broadcast state, as the listing's `live_state` and its `live` filter name it. */
export type BroadcastState = 'none' | 'upcoming' | 'live' | 'completed';

/** The listing's detail fields, as the dashboard reads them (each optional: see above). */
interface DetailFields {
  readonly duration_seconds?: unknown;
  readonly view_count?: unknown;
  readonly like_count?: unknown;
  readonly live_state?: unknown;
  readonly scheduled_start_at?: unknown;
}

export interface VideoDetails {
  readonly durationSeconds: number | null;
  readonly viewCount: number | null;
  readonly likeCount: number | null;
  readonly liveState: BroadcastState | null;
  readonly scheduledStartAt: Date | null;
}

export const BROADCAST_STATES: readonly BroadcastState[] = ['none', 'upcoming', 'live', 'completed'];

const count = (value: unknown): number | null => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null);

function instant(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function videoDetails(video: Video): VideoDetails {
  const fields = video as Video & DetailFields;
  return {
    durationSeconds: count(fields.duration_seconds),
    viewCount: count(fields.view_count),
    likeCount: count(fields.like_count),
    liveState: BROADCAST_STATES.find((state) => state === fields.live_state) ?? null,
    scheduledStartAt: instant(fields.scheduled_start_at),
  };
}

/** "0:42", "12:03", "1:02:03": how YouTube writes a duration on a thumbnail. */
export function clockDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** "1 hour 2 minutes 3 seconds": the same duration for a screen reader. */
export function spokenDuration(seconds: number): string {
  const parts: Array<[number, string]> = [
    [Math.floor(seconds / 3600), 'hour'],
    [Math.floor((seconds % 3600) / 60), 'minute'],
    [seconds % 60, 'second'],
  ];
  const said = parts.filter(([n]) => n > 0).map(([n, unit]) => `${n} ${unit}${n === 1 ? '' : 's'}`);
  return said.length === 0 ? '0 seconds' : said.join(' ');
}

// English, as the page is: "1.2M", "35K". The full number goes in the title.
const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const full = new Intl.NumberFormat('en');

/** "1.2M views" and "1,234,567 views" (the exact count, for a tooltip). */
export function countText(n: number, one: string, many: string): { short: string; exact: string } {
  const unit = n === 1 ? one : many;
  return { short: `${compact.format(n)} ${unit}`, exact: `${full.format(n)} ${unit}` };
}
