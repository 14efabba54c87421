// One video as a card: thumbnail (with a drawn placeholder when it cannot load) with the
// duration or a LIVE / Upcoming badge on it, title linking to YouTube, the channel as a button
// that filters by it, the publish time, and the views and likes once enrichment has read them.
// A detail not known (not enriched yet, hidden by the owner) shows nothing at all. A video
// YouTube no longer returns (listed only when asked for) is greyed, with an Unavailable badge.
import type { Video } from './api-client.js';
import { el } from './element.js';
import { exactTime, timeElement } from './relative-time.js';
import { clockDuration, countText, spokenDuration, videoDetails, type VideoDetails } from './video-details.js';

/** A stable hue per video, so placeholders differ from card to card. */
function hueOf(text: string): number {
  let hash = 0;
  for (const char of text) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) >>> 0;
  return hash % 360;
}

function thumbnail(video: Video): HTMLElement {
  const alt = `Thumbnail of “${video.title}”`;
  const frame = el('div', { class: 'thumb' });
  frame.style.setProperty('--hue', String(hueOf(video.video_id)));
  const missing = () => {
    frame.classList.add('thumb--missing');
    frame.setAttribute('role', 'img');
    frame.setAttribute('aria-label', alt);
  };
  // A video stored without thumbnails: the placeholder at once, no request.
  if (video.thumbnail_medium === null) {
    missing();
    return frame;
  }
  const image = el('img', { alt, width: '320', height: '180', loading: 'lazy', decoding: 'async' });
  // Offline, blocked or removed thumbnails: a drawn placeholder instead of a broken image. The
  // listener goes on before the src, so an error that comes at once is not missed.
  image.addEventListener(
    'error',
    () => {
      image.remove();
      missing();
    },
    { once: true },
  );
  image.src = video.thumbnail_medium;
  frame.append(image);
  return frame;
}

/** What the Unavailable badge says on hover. */
function unavailableTitle(video: Video): string {
  const since = video.unavailable_since === null ? null : new Date(video.unavailable_since);
  const when = since === null || Number.isNaN(since.getTime()) ? '' : ` since ${exactTime(since)}`;
  return `YouTube no longer returns this video (deleted or made private)${when}`;
}

/**
 * The badge on the thumbnail: Unavailable when YouTube no longer returns the video, LIVE while
 * on air, Upcoming while scheduled, else the duration (none while it is unknown, or 0 as YouTube
 * says of a broadcast that has not ended).
 */
function badge(video: Video, { liveState, durationSeconds }: VideoDetails): HTMLElement | null {
  if (video.available === false) return el('span', { class: 'badge badge--unavailable', title: unavailableTitle(video) }, 'Unavailable');
  if (liveState === 'live') return el('span', { class: 'badge badge--live' }, 'LIVE');
  if (liveState === 'upcoming') return el('span', { class: 'badge badge--upcoming' }, 'Upcoming');
  if (durationSeconds === null || durationSeconds === 0) return null;
  return el(
    'span',
    { class: 'badge badge--duration' },
    el('span', { class: 'visually-hidden' }, `Duration ${spokenDuration(durationSeconds)}`),
    el('span', { 'aria-hidden': 'true' }, clockDuration(durationSeconds)),
  );
}

/** "1.2M views · 35K likes · Starts Dec 8, 2026, 3:00 PM", each part only when known. */
function stats({ viewCount, likeCount, liveState, scheduledStartAt }: VideoDetails): HTMLElement | null {
  const parts: HTMLElement[] = [];
  for (const [value, one, many, name] of [
    [viewCount, 'view', 'views', 'views'],
    [likeCount, 'like', 'likes', 'likes'],
  ] as const) {
    if (value === null) continue;
    const text = countText(value, one, many);
    parts.push(el('span', { class: name, title: text.exact }, text.short));
  }
  if (liveState === 'upcoming' && scheduledStartAt !== null) {
    const iso = scheduledStartAt.toISOString();
    parts.push(el('span', { class: 'scheduled' }, 'Starts ', el('time', { datetime: iso }, exactTime(scheduledStartAt))));
  }
  if (parts.length === 0) return null;
  const line = el('p', { class: 'card-stats' });
  for (const [index, part] of parts.entries()) {
    if (index > 0) line.append(el('span', { class: 'sep', 'aria-hidden': 'true' }, '·'));
    line.append(part);
  }
  return line;
}

export function videoCard(video: Video, onChannel: (channelId: string, channelTitle: string) => void): HTMLLIElement {
  const details = videoDetails(video);
  const channel = el(
    'button',
    { type: 'button', class: 'channel', title: `Show only videos from ${video.channel_title}`, 'aria-label': `Filter by channel ${video.channel_title}` },
    video.channel_title,
  );
  channel.addEventListener('click', () => onChannel(video.channel_id, video.channel_title));
  return el(
    'li',
    { class: video.available === false ? 'card card--unavailable' : 'card', 'data-video-id': video.video_id, 'data-channel-id': video.channel_id },
    // The badge beside the thumbnail, not in it: a placeholder is role="img", whose content a
    // screen reader does not read.
    el('div', { class: 'media' }, thumbnail(video), badge(video, details)),
    el(
      'div',
      { class: 'card-body' },
      // The title's language, once enrichment has read it: screen readers pronounce it so.
      el('h3', { class: 'card-title', lang: video.default_language ?? undefined }, el('a', { href: video.url, target: '_blank', rel: 'noopener' }, video.title)),
      el('p', { class: 'card-meta' }, channel, el('span', { class: 'sep', 'aria-hidden': 'true' }, '·'), timeElement(video.published_at)),
      stats(details),
    ),
  );
}
