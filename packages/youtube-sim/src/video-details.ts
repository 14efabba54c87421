// What videos.list tells about a video beyond its title: length, definition, captions, tags,
// languages, the owner's choices (likes hidden, comments off, embedding, made for kids), the
// life of a live broadcast, and statistics that grow with the simulator's clock. Everything is a
// pure function of the seed, the video and the instant asked about, so two simulators with the
// same seed agree and a count read twice at the same instant is the same; counts follow a curve
// that is steep in a video's first hours and flattens later, and they never go down. The draws
// use a generator of their own (named after the video id), so adding them changed none of the
// values video-content.ts draws for search.
import { pick, randomFor, randomInt } from './seeded-random.js';
import type { LiveBroadcastContent } from './video-content.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** The part of a video the details depend on (a SimVideo has all of it). */
export interface DetailedVideo {
  readonly id: string;
  readonly title: string;
  readonly liveBroadcastContent: LiveBroadcastContent;
  readonly publishedAtMs: number;
  /** Where its counts level off (also what search's viewCount and rating orders use). */
  readonly viewCount: number;
  readonly likeCount: number;
  readonly commentCount: number;
}

/** A live or scheduled broadcast: scheduled, then live from its actual start until its end. */
export interface Broadcast {
  readonly scheduledStartMs: number;
  readonly actualStartMs: number;
  readonly actualEndMs: number;
  /** Viewers while live, before the per-minute wobble. */
  readonly peakViewers: number;
}

export interface VideoDetails {
  /** Length of a finished video in seconds (a broadcast's is its actual length once over). */
  readonly durationSeconds: number;
  readonly definition: 'hd' | 'sd';
  readonly caption: boolean;
  readonly licensedContent: boolean;
  readonly projection: 'rectangular' | '360';
  /** Empty: the resource has no `tags` at all, as YouTube omits them. */
  readonly tags: readonly string[];
  readonly categoryId: string;
  readonly defaultLanguage: string | undefined;
  readonly defaultAudioLanguage: string | undefined;
  /** The owner hides the like count: `statistics.likeCount` is absent. */
  readonly likesHidden: boolean;
  /** Comments are off: `statistics.commentCount` is absent. */
  readonly commentsDisabled: boolean;
  readonly embeddable: boolean;
  readonly madeForKids: boolean;
  readonly publicStatsViewable: boolean;
  readonly license: 'youtube' | 'creativeCommon';
  /** Views rise with time constant `growthMs` at first, then keep creeping up. */
  readonly growthMs: number;
  readonly broadcast: Broadcast | undefined;
}

// YouTube's category ids (the ones the US region lists as assignable).
const CATEGORY_IDS = ['1', '2', '10', '15', '17', '19', '20', '22', '23', '24', '25', '26', '27', '28'];
const LANGUAGES = ['en', 'en-US', 'en-GB', 'es', 'de', 'fr', 'ja', 'ko', 'pt-BR', 'ru', 'hi'];

const cache = new WeakMap<DetailedVideo, VideoDetails>();

function uniform(random: () => number, min: number, max: number): number {
  return min + random() * (max - min);
}

function broadcastOf(random: () => number, video: DetailedVideo): Broadcast | undefined {
  if (video.liveBroadcastContent === 'none') return undefined;
  const seconds = (ms: number) => Math.floor(ms / 1000) * 1000;
  // A broadcast that is live when published started then; an upcoming one is scheduled for a
  // later time and starts a few minutes after it, as streams usually do.
  const scheduledStartMs =
    video.liveBroadcastContent === 'live'
      ? seconds(video.publishedAtMs - uniform(random, 0, 10 * MINUTE_MS))
      : Math.ceil((video.publishedAtMs + uniform(random, 15 * MINUTE_MS, 36 * HOUR_MS)) / MINUTE_MS) * MINUTE_MS;
  const actualStartMs = video.liveBroadcastContent === 'live' ? video.publishedAtMs : seconds(scheduledStartMs + uniform(random, 0, 5 * MINUTE_MS));
  const actualEndMs = seconds(actualStartMs + uniform(random, 20 * MINUTE_MS, 6 * HOUR_MS));
  return { scheduledStartMs, actualStartMs, actualEndMs, peakViewers: Math.floor(Math.exp(random() * 10)) + 1 };
}

function durationSecondsOf(random: () => number): number {
  const roll = random();
  if (roll < 0.15) return randomInt(random, 5, 60); // shorts
  if (roll < 0.9) return randomInt(random, 61, 20 * 60);
  return randomInt(random, 20 * 60 + 1, 3 * 3600 + 59);
}

function tagsOf(random: () => number, video: DetailedVideo): string[] {
  if (random() < 0.3) return [];
  const words = video.title
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 2);
  const count = randomInt(random, 1, Math.min(8, Math.max(1, words.length)));
  const tags = new Set<string>();
  for (let i = 0; i < count && words.length > 0; i++) tags.add(pick(random, words));
  if (words.length > 1 && random() < 0.5) tags.add(words.slice(0, 2).join(' '));
  return [...tags];
}

/** The video's details (computed once per video). */
export function videoDetails(seed: number, video: DetailedVideo): VideoDetails {
  const cached = cache.get(video);
  if (cached !== undefined) return cached;
  const random = randomFor(seed, `details\u0000${video.id}`);
  const broadcast = broadcastOf(random, video);
  const durationSeconds = broadcast === undefined ? durationSecondsOf(random) : Math.round((broadcast.actualEndMs - broadcast.actualStartMs) / 1000);
  const definition = random() < 0.85 ? 'hd' : 'sd';
  const language = random() < 0.4 ? pick(random, LANGUAGES) : undefined;
  const audioLanguage = random() < 0.7 ? (language ?? pick(random, LANGUAGES)) : undefined;
  const details: VideoDetails = {
    durationSeconds,
    definition,
    caption: random() < 0.25,
    licensedContent: random() < 0.6,
    projection: random() < 0.01 ? '360' : 'rectangular',
    tags: tagsOf(random, video),
    categoryId: pick(random, CATEGORY_IDS),
    defaultLanguage: language,
    defaultAudioLanguage: audioLanguage,
    likesHidden: random() < 0.05,
    commentsDisabled: random() < 0.08,
    embeddable: random() < 0.95,
    madeForKids: random() < 0.05,
    publicStatsViewable: random() < 0.97,
    license: random() < 0.05 ? 'creativeCommon' : 'youtube',
    growthMs: uniform(random, 2 * HOUR_MS, 3 * DAY_MS),
    broadcast,
  };
  cache.set(video, details);
  return details;
}

/** What a broadcast is at an instant: snippet.liveBroadcastContent as videos.list reports it. */
export function broadcastState(details: VideoDetails, nowMs: number): LiveBroadcastContent {
  const { broadcast } = details;
  if (broadcast === undefined || nowMs >= broadcast.actualEndMs) return 'none';
  return nowMs >= broadcast.actualStartMs ? 'live' : 'upcoming';
}

/** Viewers of a live broadcast at an instant (it wobbles minute by minute around its peak). */
export function concurrentViewers(seed: number, video: DetailedVideo, details: VideoDetails, nowMs: number): number {
  const peak = details.broadcast?.peakViewers ?? 0;
  const wobble = randomFor(seed, `viewers\u0000${video.id}\u0000${Math.floor(nowMs / MINUTE_MS)}`)();
  return Math.max(1, Math.floor(peak * (0.7 + 0.3 * wobble)));
}

export interface Statistics {
  views: number;
  likes: number;
  comments: number;
}

// Share of the final count reached after `age`: a saturating rise (most views come in the first
// hours or days) plus a slow tail that keeps growing for months. Both terms only increase.
function reached(ageMs: number, growthMs: number): number {
  if (ageMs <= 0) return 0;
  return 0.85 * (1 - Math.exp(-ageMs / growthMs)) + 0.15 * (ageMs / (ageMs + 30 * DAY_MS));
}

/** The counts at an instant: zero before the video (or its broadcast) starts, never falling. */
export function statisticsAt(video: DetailedVideo, details: VideoDetails, nowMs: number): Statistics {
  const startMs = details.broadcast?.actualStartMs ?? video.publishedAtMs;
  const finalViews = Math.max(video.viewCount, 1);
  const views = Math.floor(finalViews * reached(nowMs - startMs, details.growthMs));
  // Likes and comments are fixed shares of the views, so they rise (and stop) with them.
  return {
    views,
    likes: Math.floor((views * video.likeCount) / finalViews),
    comments: Math.floor((views * video.commentCount) / finalViews),
  };
}

/** ISO 8601 duration the way YouTube writes it: PT1H2M3S, PT15M, PT45S, P1DT2H, and P0D for none. */
export function isoDuration(totalSeconds: number): string {
  if (totalSeconds <= 0) return 'P0D';
  const days = Math.floor(totalSeconds / 86_400);
  const hours = Math.floor((totalSeconds % 86_400) / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const time = `${hours > 0 ? `${hours}H` : ''}${minutes > 0 ? `${minutes}M` : ''}${seconds > 0 ? `${seconds}S` : ''}`;
  return `P${days > 0 ? `${days}D` : ''}${time === '' ? '' : `T${time}`}`;
}

/** How a video leaves public view. */
export type Removal = 'deleted' | 'private';

/**
 * Share of videos that leave public view after search has listed them, by default. Real uploads
 * do: owners delete videos or make them private, and YouTube takes some down (its Community
 * Guidelines report counts millions of removals a quarter against hundreds of millions of
 * uploads, a few percent, most of them within minutes and before search lists them). What a
 * client sees is the rest, gone hours to days after it was public; 1 % is a small, conservative
 * figure for that, and enough that a simulated day has some (of a day's 4,320 uploads about 43
 * go, about 6 of them before the day ends), so a client that assumes videos stay public fails
 * against the simulator as it would against YouTube. Tests that need a world where nothing
 * disappears pass `removalShare: 0`.
 */
export const DEFAULT_REMOVAL_SHARE = 0.01;

export interface RemovalFate {
  readonly as: Removal;
  readonly atMs: number;
}

/**
 * Whether (and when) the owner deletes the video or makes it private: a `share` of videos, at a
 * time spread log-uniformly between 6 hours and 30 days after publication, half of each kind.
 * Drawn from a generator of its own so the share can change without moving other draws.
 */
export function removalFate(seed: number, videoId: string, publishedAtMs: number, share: number): RemovalFate | undefined {
  if (share <= 0) return undefined;
  const random = randomFor(seed, `removal\u0000${videoId}`);
  if (random() >= share) return undefined;
  const delayMs = Math.exp(uniform(random, Math.log(6 * HOUR_MS), Math.log(30 * DAY_MS)));
  return { as: random() < 0.5 ? 'deleted' : 'private', atMs: Math.floor((publishedAtMs + delayMs) / 1000) * 1000 };
}
