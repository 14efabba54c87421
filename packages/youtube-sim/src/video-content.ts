// What a simulated video looks like: ids, channels, titles and descriptions, all pure functions
// of (seed, stream, index). The text deliberately carries the characters YouTube sends
// HTML-encoded (' " & < >), non-Latin scripts and emoji, long descriptions that search results
// truncate, and a small share of live and upcoming broadcasts, so client code meets the same
// awkward data it meets in production.
import { pick, randomChars, randomFor, randomInt, type Random } from './seeded-random.js';
import type { QueryTerm } from './search-query.js';

export type LiveBroadcastContent = 'none' | 'live' | 'upcoming';

export interface Channel {
  readonly id: string;
  readonly title: string;
}

export interface VideoContent {
  readonly id: string;
  readonly channel: Channel;
  readonly title: string;
  /** The full description; search results show only its start. */
  readonly description: string;
  readonly liveBroadcastContent: LiveBroadcastContent;
  /** Whether this video's timestamps are written with `.000` milliseconds. */
  readonly timestampsWithMillis: boolean;
  readonly viewCount: number;
  readonly likeCount: number;
  readonly commentCount: number;
  /** Stable per-video score used by the non-date orders. */
  readonly relevance: number;
  /** Share of the publish interval added to the nominal publish time, in [0, 1). */
  readonly publishJitter: number;
  /** Uniform draw in [0, 1) placing this video in the indexing-lag distribution (its quantile). */
  readonly indexDelayShare: number;
  /** Uniform draw in [0, 1): once old, the video fades out of search when this is below `fadeShare`. */
  readonly fadeDraw: number;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
// A real video id encodes 64 bits in 11 base64 characters, so its last character only uses
// 16 of the 64 symbols; ids that break this rule would look fake to a strict validator.
const ID_LAST_CHAR = 'AEIMQUYcgkosw048';
// Channel ids are "UC" + 22 characters encoding 128 bits: the last one uses 4 symbols.
const CHANNEL_LAST_CHAR = 'AQgw';

export const FILLER_WORDS: readonly string[] = [
  'review', 'tutorial', 'highlights', 'explained', 'reaction', 'guide', 'tips', 'vlog', 'update',
  'official', 'episode', 'best', 'new', 'top', 'first', 'look', 'unboxing', 'challenge', 'shorts',
  'interview', 'podcast', 'deep', 'dive', 'beginners', 'advanced', 'daily', 'weekly', 'recap',
  'breaking', 'trailer', 'music', 'mix', 'session', 'morning', 'night', 'city', 'home', 'road',
  'trip', 'world', 'story', 'secrets', 'mistakes', 'ideas', 'hacks', 'budget', 'easy', 'quick',
  'ultimate', 'honest', 'thoughts', 'community', 'moments', 'compilation', 'analysis', 'breakdown',
  'comparison', 'history', 'future', 'science', 'design', 'setup', 'tour', 'summer', 'winter',
  'weekend', 'journey', 'lesson', 'stories', 'edition', 'special', 'premiere', 'behind', 'scenes',
  'café', 'niño', 'straße', 'смотреть', '日本', '한국어', 'música', 'über',
];

const EMOJI: readonly string[] = ['🎉', '🔥', '✨', '🤔', '😂', '🚀', '❤️', '👀', '🍵', '🎶'];

const CHANNEL_NAMES: readonly string[] = [
  "Mia's Kitchen", 'Tom & Jerry Fans', 'The <Daily> Byte', 'Café Lumière', '"Quoted" Studio',
  'Żaneta Vlogs', '日本チャンネル', 'Rock & Roll TV', "Dad's Garage", 'Night Owl Media',
  'Pixel Forge', 'Open Road', 'Blue Hour', 'Nordic Notes', 'Lo-fi & Chill', 'Studio 42',
  'Ana García', 'The Curious Cat', 'Maker <Lab>', 'Ünder Ground',
];

const CHANNEL_SUFFIXES: readonly string[] = ['', ' Official', ' TV', ' HD', ' Clips', ' Live', ' 2'];

function randomId(random: Random, length: number, lastAlphabet: string): string {
  return randomChars(random, ID_ALPHABET, length - 1) + randomChars(random, lastAlphabet, 1);
}

/** The 3 to 8 channels that upload to one stream. */
export function streamChannels(seed: number, streamKey: string): Channel[] {
  const random = randomFor(seed, `channels\u0000${streamKey}`);
  const count = randomInt(random, 3, 8);
  const channels: Channel[] = [];
  for (let i = 0; i < count; i++) {
    channels.push({
      id: `UC${randomId(random, 22, CHANNEL_LAST_CHAR)}`,
      title: pick(random, CHANNEL_NAMES) + pick(random, CHANNEL_SUFFIXES),
    });
  }
  return channels;
}

function styled(random: Random, text: string): string {
  const roll = random();
  // Case changes must not change the words (e.g. German ß upper-cases to SS).
  const safe = (changed: string) => (changed.toLowerCase() === text.toLowerCase() ? changed : text);
  if (roll < 0.2) return safe(text.toUpperCase());
  if (roll < 0.6) return safe(text.replace(/(^|\s)(\p{L})/gu, (_m, space: string, letter: string) => space + letter.toUpperCase()));
  return text;
}

export interface StreamShape {
  readonly key: string;
  /** One entry per query group: a video shows one alternative of each. */
  readonly groups: readonly (readonly QueryTerm[])[];
  /** Words kept out of the stream's filler text (from `-word` in its query). */
  readonly excludedTokens: ReadonlySet<string>;
  readonly channels: readonly Channel[];
}

/** The filler vocabulary minus the words the stream's query excludes. */
export function streamFillers(excludedTokens: ReadonlySet<string>): string[] {
  return FILLER_WORDS.filter((word) => !excludedTokens.has(word.toLowerCase()));
}

function titleFor(random: Random, subject: string, fillers: readonly string[], channel: Channel, k: number): string {
  const f1 = pick(random, fillers);
  const f2 = pick(random, fillers);
  const f3 = pick(random, fillers);
  const emoji = pick(random, EMOJI);
  const n = k % 97;
  switch (randomInt(random, 0, 9)) {
    case 0:
      return `${subject} ${f1} ${f2} #${n}`;
    case 1:
      return `${styled(random, f1)}: ${subject} – ${f2} & ${f3}`;
    case 2:
      return `Why "${subject}" ${f1}? ${emoji}`;
    case 3:
      return `${subject} ${f1} (part ${n}) | ${channel.title}`;
    case 4:
      return `Don't miss: ${subject} <${f1}> ${f2}`;
    case 5:
      return `${subject} ${f1} ${emoji} ${f2} ${f3}`;
    case 6:
      return `${styled(random, f1)} ${subject} — l'${f2} ${f3}`;
    case 7:
      return `${subject}!!! ${f1} & ${f2}'s ${f3} ${emoji}${emoji}`;
    case 8:
      return `[${styled(random, f1)}] ${subject} ${f2} ${n}`;
    default:
      return `${subject} ${f1} ${f2}`;
  }
}

function descriptionFor(random: Random, subject: string, fillers: readonly string[], channel: Channel): string {
  const sentences = [
    `In today's video we look at ${subject} and the ${pick(random, fillers)} ${pick(random, fillers)} everyone asks about.`,
    `Subscribe to ${channel.title} for more ${pick(random, fillers)} & ${pick(random, fillers)}!`,
    `Timestamps: 00:00 intro, 01:23 "${pick(random, fillers)}", 04:56 <${pick(random, fillers)}>.`,
    `Thanks for watching ${pick(random, EMOJI)} Don't forget to like & comment.`,
    `Links: https://example.com/${pick(random, fillers)}?a=1&b=2`,
    `#${subject.replace(/[^\p{L}\p{N}]+/gu, '')} #${pick(random, fillers)} #${pick(random, fillers)}`,
  ];
  const count = randomInt(random, 1, sentences.length);
  const chosen: string[] = [];
  const start = randomInt(random, 0, sentences.length - 1);
  for (let i = 0; i < count; i++) chosen.push(sentences[(start + i) % sentences.length]!);
  return chosen.join(random() < 0.5 ? '\n\n' : ' ');
}

/** Video number `k` of a stream. */
export function videoContent(seed: number, stream: StreamShape, fillers: readonly string[], k: number): VideoContent {
  const random = randomFor(seed, `video\u0000${stream.key}\u0000${k}`);
  const id = randomId(random, 11, ID_LAST_CHAR);
  const channel = pick(random, stream.channels);
  const subject = stream.groups
    .map((group) => styled(random, group[k % group.length]!.display))
    .join(' ');
  const title = titleFor(random, subject, fillers, channel, k);
  const description = random() < 0.05 ? '' : descriptionFor(random, subject, fillers, channel);
  const liveRoll = random();
  const viewCount = Math.floor(Math.exp(random() * 14));
  return {
    id,
    channel,
    title,
    description,
    liveBroadcastContent: liveRoll < 0.02 ? 'live' : liveRoll < 0.04 ? 'upcoming' : 'none',
    timestampsWithMillis: random() < 0.3,
    viewCount,
    likeCount: Math.floor(viewCount * random() * 0.08),
    commentCount: Math.floor(viewCount * random() * 0.01),
    relevance: random(),
    publishJitter: random(),
    // Uniform: the lag model (index-lag.ts) shapes it into mostly short delays with a long tail.
    indexDelayShare: random(),
    // Drawn last so the draws before it (and so every older field) keep their values.
    fadeDraw: random(),
  };
}
