// The videos of a scope (all, a followed query, a channel) as an Atom 1.0 document (RFC 4287),
// for feed readers that poll, and the validators that let them poll cheaply.
//
// The XML is written here rather than by a generator library: the `feed` package neither drops
// the characters XML 1.0 forbids (a stored title holding U+0001 would make the whole document
// unreadable) nor writes Media RSS thumbnails in Atom, and the document is small and fixed in
// shape. Every text and attribute goes through `xmlEscape`, which is the one place that decides
// what may reach the output.
//
// The entries come from the videos' public JSON (the bytes `/videos` serves), so the feed says
// exactly what the listing says; its ETag is a digest of those bytes, its scope and its limit.
import { createHash } from 'node:crypto';
import type { VideoJson } from '../catalog/video-schemas.js';

/**
 * Characters XML 1.0 does not allow anywhere (C0 controls but tab, LF and CR; U+FFFE, U+FFFF;
 * lone surrogates). Dropped: a reader cannot be handed them even as character references.
 */
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text fit for XML content and attribute values alike: forbidden characters dropped, markup escaped. */
export function xmlEscape(text: string): string {
  return text.replace(NOT_XML, '').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** What the feed is of: every stored video, a followed query's, or a channel's. */
export type AtomScope = { readonly kind: 'all' } | { readonly kind: 'query'; readonly query: string } | { readonly kind: 'channel'; readonly channel: string };

export interface AtomFeedInput {
  readonly scope: AtomScope;
  /** Newest first, as `/videos` lists them. */
  readonly videos: readonly VideoJson[];
  /** The URL the client addressed, for rel="self". */
  readonly selfUrl: string;
  /** The dashboard, for rel="alternate". */
  readonly alternateUrl: string;
}

/**
 * The `updated` of a feed without entries. A fixed instant rather than "now": an empty feed
 * does not change from one request to the next, and its validators must not either.
 */
export const EMPTY_FEED_UPDATED = new Date(0);

/**
 * The feed's id: one URN per scope, never the request URL (which carries `limit` and whatever
 * host or proxy the client came through), so a reader sees the same feed however it asks.
 */
export function atomFeedId(scope: AtomScope): string {
  switch (scope.kind) {
    case 'all':
      return 'urn:tubefeed:videos';
    case 'query':
      return `urn:tubefeed:videos:query:${encodeURIComponent(scope.query)}`;
    case 'channel':
      return `urn:tubefeed:videos:channel:${scope.channel}`;
  }
}

export function atomFeedTitle(scope: AtomScope): string {
  switch (scope.kind) {
    case 'all':
      return 'tubefeed: newest videos';
    case 'query':
      return `tubefeed: newest videos for “${scope.query}”`;
    case 'channel':
      return `tubefeed: newest videos of channel ${scope.channel}`;
  }
}

/** The feed's `updated`: its newest entry's (entries are newest first), or the fixed epoch. */
export function atomFeedUpdated(videos: readonly Pick<VideoJson, 'published_at'>[]): Date {
  const first = videos[0];
  return first === undefined ? EMPTY_FEED_UPDATED : new Date(first.published_at);
}

const element = (name: string, text: string) => `<${name}>${xmlEscape(text)}</${name}>`;

function renderEntry(video: VideoJson): string {
  const channelUrl = `https://www.youtube.com/channel/${video.channel_id}`;
  const thumbnail = video.thumbnail_high ?? video.thumbnail_medium ?? video.thumbnail_default;
  return [
    '<entry>',
    element('id', `yt:video:${video.video_id}`),
    element('yt:videoId', video.video_id),
    element('yt:channelId', video.channel_id),
    element('title', video.title),
    `<link rel="alternate" type="text/html" href="${xmlEscape(video.url)}"/>`,
    `<author>${element('name', video.channel_title)}${element('uri', channelUrl)}</author>`,
    // The store keeps no edit time of its own in the public JSON: a video's `updated` is its
    // publish time, as YouTube's own feeds report for unedited videos.
    element('published', video.published_at),
    element('updated', video.published_at),
    `<summary type="text">${xmlEscape(video.description)}</summary>`,
    // As in YouTube's own feeds: the video as media content, its thumbnail and text beside it.
    '<media:group>',
    element('media:title', video.title),
    `<media:content url="${xmlEscape(video.url)}" type="text/html" medium="video"/>`,
    thumbnail === null ? '' : `<media:thumbnail url="${xmlEscape(thumbnail)}"/>`,
    `<media:description>${xmlEscape(video.description)}</media:description>`,
    '</media:group>',
    '</entry>',
  ].join('');
}

/** The whole document, UTF-8 text. */
export function renderAtomFeed(input: AtomFeedInput): string {
  return [
    '<?xml version="1.0" encoding="utf-8"?>\n',
    '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/" xmlns:yt="http://www.youtube.com/xml/schemas/2015">',
    element('id', atomFeedId(input.scope)),
    element('title', atomFeedTitle(input.scope)),
    element('updated', atomFeedUpdated(input.videos).toISOString()),
    `<link rel="self" type="application/atom+xml" href="${xmlEscape(input.selfUrl)}"/>`,
    `<link rel="alternate" type="text/html" href="${xmlEscape(input.alternateUrl)}"/>`,
    // RFC 4287 wants an author on the feed or on every entry; entries have theirs, this covers
    // the empty feed.
    '<author><name>tubefeed</name></author>',
    '<generator>tubefeed</generator>',
    ...input.videos.map(renderEntry),
    '</feed>\n',
  ].join('');
}

/**
 * A strong ETag from what the document is made of: the scope, the limit and the videos' JSON
 * bytes (the self and alternate links are left out: they name the same feed). The same rows
 * give the same tag in every API process.
 */
export function atomFeedEtag(scope: AtomScope, limit: number, videosJson: Buffer | string): string {
  const hash = createHash('sha256').update(JSON.stringify([atomFeedId(scope), limit])).update('\n').update(videosJson);
  return `"atom-${hash.digest('base64url').slice(0, 27)}"`;
}

/** An entity tag without its weakness prefix, for the weak comparison If-None-Match uses. */
const opaque = (tag: string) => tag.trim().replace(/^W\//, '');

/**
 * Whether a GET with these request headers may be answered 304 (RFC 9110 section 13.2.2):
 * If-None-Match decides when present (weak comparison, a list or `*`), and If-Modified-Since
 * is looked at only without it, and only when the feed has a Last-Modified.
 */
export function notModified(
  headers: { readonly ifNoneMatch?: string | undefined; readonly ifModifiedSince?: string | undefined },
  current: { readonly etag: string; readonly lastModified: Date | null },
): boolean {
  if (headers.ifNoneMatch !== undefined) {
    const given = headers.ifNoneMatch.trim();
    if (given === '*') return true;
    return given.split(',').some((tag) => opaque(tag) === opaque(current.etag));
  }
  if (headers.ifModifiedSince !== undefined && current.lastModified !== null) {
    const since = Date.parse(headers.ifModifiedSince);
    // HTTP dates have whole seconds: compare the feed's time at that precision.
    return !Number.isNaN(since) && Math.floor(current.lastModified.getTime() / 1000) * 1000 <= since;
  }
  return false;
}
