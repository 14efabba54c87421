// One video as a card: thumbnail (with a drawn placeholder when it cannot load), title linking
// to YouTube, the channel as a button that filters by it, and the publish time.
import type { Video } from './api-client.js';
import { el } from './element.js';
import { timeElement } from './relative-time.js';

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

export function videoCard(video: Video, onChannel: (channelId: string, channelTitle: string) => void): HTMLLIElement {
  const channel = el(
    'button',
    { type: 'button', class: 'channel', title: `Show only videos from ${video.channel_title}`, 'aria-label': `Filter by channel ${video.channel_title}` },
    video.channel_title,
  );
  channel.addEventListener('click', () => onChannel(video.channel_id, video.channel_title));
  return el(
    'li',
    { class: 'card', 'data-video-id': video.video_id, 'data-channel-id': video.channel_id },
    thumbnail(video),
    el(
      'div',
      { class: 'card-body' },
      el('h3', { class: 'card-title' }, el('a', { href: video.url, target: '_blank', rel: 'noopener' }, video.title)),
      el('p', { class: 'card-meta' }, channel, el('span', { class: 'sep', 'aria-hidden': 'true' }, '·'), timeElement(video.published_at)),
    ),
  );
}
