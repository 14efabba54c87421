// A `youtube#video` resource of videos.list (parts snippet, contentDetails, statistics, status,
// liveStreamingDetails) read into a VideoDetails record. YouTube's shapes (youtube-api.md):
// durations are ISO 8601 (`PT1H2M3S`, `P1DT2H`, `P0D` while a broadcast is upcoming or live),
// counts are decimal strings, `likeCount` is missing when the owner hides it and
// `commentCount` when comments are off, `liveStreamingDetails` is there for broadcasts only.
// Anything unreadable becomes null rather than a wrong number.
import type { youtube_v3 } from '@googleapis/youtube';
import type { VideoLiveState, VideoDetails } from '../../catalog/video-details.js';

const ISO_DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.\d+)?S)?)?$/;

/** Seconds in an ISO 8601 duration as YouTube writes them; null when it is no such duration. */
export function parseIsoDuration(value: string | null | undefined): number | null {
  if (value == null || value === 'P' || value.endsWith('T')) return null;
  const match = ISO_DURATION.exec(value);
  if (match === null) return null;
  const [weeks, days, hours, minutes, seconds] = match.slice(1).map((part) => (part === undefined ? 0 : Number(part))) as [number, number, number, number, number];
  return (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + seconds;
}

/** A count as YouTube sends it (a decimal string); null when absent or not a count. */
export function parseCount(value: string | number | null | undefined): number | null {
  if (value == null) return null;
  const text = String(value);
  if (!/^\d{1,18}$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

function parseTime(value: string | null | undefined): Date | null {
  if (value == null) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * The broadcast state from snippet.liveBroadcastContent (as of the call) and liveStreamingDetails
 * (broadcasts only): a broadcast that is neither upcoming nor live any more has completed.
 */
export function liveStateOf(liveBroadcastContent: string | null | undefined, live: youtube_v3.Schema$VideoLiveStreamingDetails | undefined): VideoLiveState {
  if (live?.actualEndTime) return 'completed';
  if (liveBroadcastContent === 'live') return 'live';
  if (liveBroadcastContent === 'upcoming') return 'upcoming';
  return live === undefined ? 'none' : 'completed';
}

const short = (value: string | null | undefined, max: number): string | null => (value == null || value === '' || value.length > max ? null : value);

/** Tags as stored (a JSON array in a TEXT column): YouTube caps them at 500 characters, this keeps a margin. */
const MAX_TAG_CHARS = 10_000;

function tagsOf(tags: readonly string[] | null | undefined): string[] {
  const out: string[] = [];
  let chars = 0;
  for (const tag of tags ?? []) {
    if (typeof tag !== 'string' || tag === '') continue;
    chars += tag.length;
    if (chars > MAX_TAG_CHARS) break;
    out.push(tag);
  }
  return out;
}

const bool = (value: boolean | string | null | undefined): boolean | null => (value === true || value === 'true' ? true : value === false || value === 'false' ? false : null);

/** The details of one resource; null when it has no id (nothing to store it under). */
export function toVideoDetails(item: youtube_v3.Schema$Video): VideoDetails | null {
  const videoId = item.id;
  if (!videoId) return null;
  const snippet = item.snippet ?? {};
  const content = item.contentDetails ?? {};
  const statistics = item.statistics ?? {};
  const live = item.liveStreamingDetails ?? undefined;
  const definition = content.definition === 'hd' || content.definition === 'sd' ? content.definition : null;
  return {
    videoId,
    descriptionFull: snippet.description ?? '',
    tags: tagsOf(snippet.tags),
    categoryId: short(snippet.categoryId, 8),
    defaultLanguage: short(snippet.defaultLanguage, 35) ?? short(snippet.defaultAudioLanguage, 35),
    durationS: parseIsoDuration(content.duration),
    definition,
    hasCaptions: bool(content.caption),
    madeForKids: bool(item.status?.madeForKids),
    viewCount: parseCount(statistics.viewCount),
    likeCount: parseCount(statistics.likeCount),
    commentCount: parseCount(statistics.commentCount),
    liveState: liveStateOf(snippet.liveBroadcastContent, live),
    scheduledStartAt: parseTime(live?.scheduledStartTime),
    actualStartAt: parseTime(live?.actualStartTime),
    actualEndAt: parseTime(live?.actualEndTime),
  };
}
