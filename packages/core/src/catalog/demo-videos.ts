// Deterministic, realistic demo videos for `npm run seed`, benchmarks and tests: the same index
// always gives the same video. Titles mix several topics with everyday words, short words
// ("AI", "vs"), stopwords ("how", "to"), accents, emoji and characters that are unsafe in HTML,
// and index 0 is always "How to make tea?". Publish times spread evenly over a span ending at a
// fixed instant, with occasional exact ties.
import type { VideoInput } from './video.js';

export const DEMO_ANCHOR = new Date('2026-11-01T00:00:00Z');

export interface DemoTopic {
  readonly query: string;
  readonly titles: readonly string[];
  readonly fillers: readonly string[];
}

export const DEMO_TOPICS: readonly DemoTopic[] = [
  {
    query: 'cooking',
    titles: [
      'How to make {dish} at home',
      'Easy {dish} recipe in {n} minutes',
      '{dish} for beginners: {n} mistakes to avoid',
      'I tried {dish} from every café in town',
      'Street food tour: the best {dish} 🍜',
      'Grandma\'s secret {dish} & "perfect" sauce',
      'Crème brûlée vs {dish}: which is harder?',
      '{dish} meal prep for the week',
    ],
    fillers: ['kitchen', 'recipe', 'spicy', 'vegan', 'butter', 'garlic', 'homemade', 'quick', 'dinner', 'breakfast'],
  },
  {
    query: 'cricket highlights',
    titles: [
      '{team} vs {team2} highlights | {n}th ODI',
      'Top {n} catches of the season',
      '{team} vs {team2}: full match highlights',
      'Last over thriller! {team} need {n} runs',
      'Every six from {team} <in> the final',
      'Cricket highlights: {team} wins by {n} wickets',
      'Is this the greatest innings ever? {team} vs {team2}',
    ],
    fillers: ['wicket', 'bowler', 'stadium', 'captain', 'century', 'spinner', 'innings', 'boundary', 'umpire', 'trophy'],
  },
  {
    query: 'tech news',
    titles: [
      'AI news today: {gadget} changes everything',
      '{gadget} review after {n} months',
      'Is the {gadget} worth it in 2026?',
      'Tech news roundup #{n}: chips, AI & apps',
      '{gadget} teardown: what\'s inside?',
      'I switched to {gadget} for {n} days',
      'UK launch of {gadget} <live> reaction',
    ],
    fillers: ['battery', 'camera', 'software', 'update', 'performance', 'benchmark', 'display', 'privacy', 'chipset', 'cloud'],
  },
];

const DISHES = ['tea', 'masala chai', 'pasta', 'ramen', 'biryani', 'pad thai', 'dosa', 'pho', 'pizza', 'jalebi', 'tacos', 'paella'];
const TEAMS = ['India', 'Australia', 'England', 'Pakistan', 'New Zealand', 'South Africa', 'Sri Lanka', 'West Indies'];
const GADGETS = ['Pixel 11', 'iPhone 18', 'Galaxy S27', 'Vision Pro 3', 'Steam Deck 2', 'ThinkPad X9', 'Kindle Colorsoft', 'Quest 4'];
const DESCRIPTION_WORDS = [
  'today', 'we', 'look', 'at', 'the', 'new', 'best', 'way', 'to', 'do', 'it', 'with', 'friends', 'and', 'family',
  'subscribe', 'for', 'more', 'videos', 'like', 'share', 'comment', 'below', 'what', 'you', 'think', 'about', 'this',
  'episode', 'part', 'series', 'full', 'guide', 'tips', 'tricks', 'live', 'stream', 'shorts', 'music', 'news',
];
const CHANNEL_NAMES = [
  'Kitchen Stories', 'Chai & Chatter', 'Cricket Central', 'Tech Today', 'The Gadget Lab', 'Boundary Line',
  'Home Chef Hub', 'Byte Size', 'Spin & Swing', 'Foodie Trails', 'Silicon Daily', 'Over The Wicket',
  'Café Olé', 'Tom & Jerry Fans', 'Review <Corner>', 'Quick Bites', 'Net Session', 'Future Tech', 'Tea Time TV',
  'Stumps & Bails',
];
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** SplitMix32-style mixing: a well-spread 32-bit value from (seed, index, salt). */
function mix(index: number, salt: number): number {
  let h = (index * 0x9e3779b1 + salt * 0x85ebca77) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x21f0aaad) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x735a2d97) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

function pick<T>(items: readonly T[], index: number, salt: number): T {
  return items[mix(index, salt) % items.length]!;
}

/** An 11-character id from YouTube's alphabet, unique per index (index is spread in bijectively). */
export function demoVideoId(index: number): string {
  // The index times an odd constant (a bijection mod 2^32) in the high 32 bits keeps ids
  // unique; mixed bits in the low ones (the first characters) make them look random.
  let scrambled = BigInt(Math.imul(index, 0x9e3779b1) >>> 0) * 2n ** 32n + BigInt(mix(index, 1));
  let id = '';
  for (let i = 0; i < 11; i++) {
    id += ID_ALPHABET[Number(scrambled % 64n)];
    scrambled /= 64n;
  }
  return id;
}

function channelFor(index: number): { id: string; title: string } {
  const n = mix(index, 7) % CHANNEL_NAMES.length;
  return { id: `UC${demoVideoId(1_000_000_000 + n)}demo${String(n).padStart(7, '0')}`, title: CHANNEL_NAMES[n]! };
}

export function demoTopicIndex(index: number): number {
  return mix(index, 3) % DEMO_TOPICS.length;
}

export interface DemoOptions {
  /** How many videos the whole demo set has; publish times spread over `spanMs` before the anchor. */
  readonly count: number;
  readonly spanMs?: number;
  readonly anchor?: Date;
}

export function demoVideo(index: number, options: DemoOptions): VideoInput {
  const span = options.spanMs ?? 56 * 24 * 3_600_000;
  const anchor = (options.anchor ?? DEMO_ANCHOR).getTime();
  const topic = DEMO_TOPICS[demoTopicIndex(index)]!;
  const n = 2 + (mix(index, 11) % 29);
  let title =
    index === 0
      ? 'How to make tea?'
      : pick(topic.titles, index, 13)
          .replace('{dish}', pick(DISHES, index, 17))
          .replace('{team}', pick(TEAMS, index, 19))
          .replace('{team2}', pick(TEAMS, index + 1, 19))
          .replace('{gadget}', pick(GADGETS, index, 23))
          .replace('{n}', String(n));
  if (index !== 0 && mix(index, 29) % 4 === 0) title += ` - ${pick(topic.fillers, index, 31)}`;
  const words = Array.from({ length: 14 + (mix(index, 37) % 12) }, (_, k) =>
    k % 5 === 2 ? pick(topic.fillers, index + k, 41) : pick(DESCRIPTION_WORDS, index + k, 43),
  );
  if (mix(index, 47) % 5000 === 0) words.push('zeitgeist'); // a rare word, for search benchmarks
  const description = `${words.join(' ')}.`.replace(/^./, (c) => c.toUpperCase()).slice(0, 160);
  const step = span / Math.max(options.count, 1);
  // Every 50th video shares its predecessor's publish time: the feed must order ties by id.
  const slot = index % 50 === 49 ? index - 1 : index;
  const publishedAt = new Date(Math.floor(anchor - span + slot * step + (mix(slot, 53) % Math.max(1, Math.floor(step * 0.5)))));
  const channel = channelFor(index);
  const videoId = demoVideoId(index);
  return {
    videoId,
    title,
    description,
    channelId: channel.id,
    channelTitle: channel.title,
    publishedAt,
    thumbnails: {
      default: `https://i.ytimg.com/vi/${videoId}/default.jpg`,
      medium: `https://i.ytimg.com/vi/${videoId}/mqdefault.jpg`,
      high: `https://i.ytimg.com/vi/${videoId}/hqdefault.jpg`,
    },
    liveBroadcastContent: mix(index, 59) % 200 === 0 ? 'live' : 'none',
  };
}
