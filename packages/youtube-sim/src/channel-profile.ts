// What channels.list tells about a channel that uploads to the simulated world: its @handle
// (found by forHandle with or without the @), when it was created, its subscribers, and its
// uploads playlist, whose id YouTube derives from the channel id ("UC…" → "UU…"). Pure
// functions of the seed and the channel, like everything the world generates.
import { randomFor } from './seeded-random.js';
import type { Channel } from './video-content.js';

export interface ChannelProfile {
  /** Lower-case, without the @ (customUrl is "@" + handle). */
  readonly handle: string;
  readonly publishedAtMs: number;
  readonly description: string;
  /** Before YouTube's rounding to three significant figures. */
  readonly subscribers: number;
  readonly hiddenSubscriberCount: boolean;
  readonly country: string | undefined;
}

const COUNTRIES = ['US', 'GB', 'IN', 'DE', 'FR', 'JP', 'KR', 'BR', 'ES', 'PL'];
// Channels were created between 2006 and 2022; a fixed range so the profile does not depend on
// when the simulator started.
const EARLIEST_MS = Date.UTC(2006, 0, 1);
const LATEST_MS = Date.UTC(2022, 11, 31);

/** The uploads playlist of a channel: "UU" + the channel id without its "UC". */
export function uploadsPlaylistId(channelId: string): string {
  return `UU${channelId.slice(2)}`;
}

/** The channel whose uploads a playlist id names, or undefined for any other playlist id. */
export function channelIdOfUploads(playlistId: string): string | undefined {
  return /^UU[A-Za-z0-9_-]{22}$/.test(playlistId) ? `UC${playlistId.slice(2)}` : undefined;
}

/** What a handle is compared as: without the @, case-insensitive. */
export function normalizeHandle(text: string): string {
  return text.trim().replace(/^@/, '').toLowerCase();
}

function slug(title: string): string {
  const ascii = title
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
  return (ascii === '' ? 'channel' : ascii).slice(0, 20);
}

export function channelProfile(seed: number, channel: Channel): ChannelProfile {
  const random = randomFor(seed, `channel\u0000${channel.id}`);
  // Titles repeat across channels: part of the id keeps each handle unique.
  const handle = `${slug(channel.title)}-${channel.id.slice(2, 6).toLowerCase()}`;
  const publishedAtMs = Math.floor((EARLIEST_MS + random() * (LATEST_MS - EARLIEST_MS)) / 1000) * 1000;
  return {
    handle,
    publishedAtMs,
    description: random() < 0.2 ? '' : `Welcome to ${channel.title}! New videos every week & live streams on weekends.`,
    subscribers: Math.floor(Math.exp(random() * 15)),
    hiddenSubscriberCount: random() < 0.1,
    country: random() < 0.7 ? COUNTRIES[Math.floor(random() * COUNTRIES.length)] : undefined,
  };
}

/** YouTube shows subscriber counts rounded down to three significant figures. */
export function roundSubscribers(count: number): number {
  if (count < 1000) return count;
  const unit = 10 ** (Math.floor(Math.log10(count)) - 2);
  return Math.floor(count / unit) * unit;
}
