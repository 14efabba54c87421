// Listings are served from the JSON rendered when each video was stored. These tests store
// awkward videos in MySQL and check, for every read path (the /getData offset page, the
// /videos cursor page, a search page, the page-1 snapshot), that the bytes served are exactly
// what a serialiser compiled from the whole response schema produces for the same videos, and
// parse back to them field by field. The same once videos.list has told of them (hidden counts,
// tags with quotes and emoji, live times, a video gone), and after a later fetch stores their
// snippets again. Then the versioning: rows whose stored JSON is missing or from another
// renderer version are served right anyway and rendered again in place.
import fastJson from 'fast-json-stringify';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.js';
import { createTestDatabase, fakeVideoId, videoInput, type TestDatabase } from '../testing/index.js';
import { buildSnapshot } from '../feed/feed-snapshot.js';
import { ALL_VIDEOS_SCOPE } from './feed-buckets.js';
import { createSearchFinder } from './search-finder.js';
import { createSearchQueryRepository } from './search-query-repository.js';
import { parseSearch } from './search-text.js';
import type { VideoInput } from './video.js';
import { createVideoDetailsRepository } from './video-details-repository.js';
import type { VideoDetails } from './video-details.js';
import { createVideoFinder } from './video-finder.js';
import { VIDEO_JSON_VERSION, feedPageEnvelope, fragmentHash, fragmentsEtag, joinFragments, videoPageEnvelope } from './video-json.js';
import { createVideoRepository, type ListedVideo } from './video-repository.js';
import { FeedPageSchema, VideoPageSchema, VideoSchema, type VideoJson } from './video-schemas.js';

type FastJsonSchema = Parameters<typeof fastJson>[0];
// The reference: serialisers compiled from the whole response schemas, the way a route's
// response schema would serialise an object.
const refs = { schema: { Video: VideoSchema as unknown as FastJsonSchema } };
const serializeFeedPage = fastJson(FeedPageSchema as unknown as FastJsonSchema, refs);
const serializeVideoPage = fastJson(VideoPageSchema as unknown as FastJsonSchema, refs);

let db: TestDatabase;
const clock = new ManualClock('2024-06-01T00:00:00Z');
const repo = () => createVideoRepository({ db: db.kysely, clock });

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});
beforeEach(async () => {
  for (const table of ['video_queries', 'feed_buckets', 'video_search', 'videos', 'search_queries']) {
    await sql`DELETE FROM ${sql.table(table)}`.execute(db.kysely);
  }
  await sql`UPDATE feed_scopes SET total = 0`.execute(db.kysely);
});

const LONG = 'tea '.repeat(1250); // 5,000 characters
const AWKWARD: ReadonlyArray<Pick<VideoInput, 'title' | 'description' | 'channelTitle'>> = [
  // Titles come HTML-decoded from the client: the entities' characters are stored as such.
  { title: 'Tom & Jerry <live> "quoted" it\'s', description: 'tea &amp; not decoded twice', channelTitle: 'A&B' },
  { title: 'tea back\\slash \\" \\\\', description: 'tea line\nbreak\r\ttab', channelTitle: 'C\\D' },
  { title: 'tea ctrl \u0001\u0008\u000b\u001f\u007f del', description: 'tea nul \u0000 in text', channelTitle: 'ctl\u0002' },
  { title: 'tea 🍵 日本語 👩‍👩‍👧 é e\u0301', description: 'tea emoji 🎉🎉 and </script><!--', channelTitle: 'Ω 𝔘' },
  { title: 'tea separators \u2028 \u2029 \ufeff bom', description: LONG, channelTitle: 'long' },
  // A lone surrogate cannot be stored as UTF-8: it is stored (and served) as U+FFFD.
  { title: 'tea lone \ud83c surrogate', description: 'tea \udfff too', channelTitle: 'x' },
  { title: 'tea', description: '', channelTitle: '' },
];

function awkwardVideos(): VideoInput[] {
  return AWKWARD.map((text, i) =>
    videoInput({
      videoId: fakeVideoId(900 + i),
      ...text,
      publishedAt: new Date(Date.UTC(2024, 4, 1, 10, 0, 0, 7) + i * 60_000),
      // Some without thumbnails (null in the JSON).
      thumbnails:
        i % 3 === 0
          ? { default: null, medium: null, high: null }
          : { default: `https://i.ytimg.com/vi/${i}/default.jpg`, medium: null, high: `https://i.ytimg.com/vi/${i}/hq"\\.jpg` },
    }),
  );
}

const wellFormed = (text: string) => text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

/** What the API must say about a stored video: the reference object, from the input. */
function expectedJson(video: VideoInput): VideoJson {
  return {
    video_id: video.videoId,
    title: wellFormed(video.title),
    description: wellFormed(video.description),
    published_at: video.publishedAt.toISOString(),
    thumbnail_default: video.thumbnails.default,
    thumbnail_medium: video.thumbnails.medium,
    thumbnail_high: video.thumbnails.high,
    channel_id: video.channelId,
    channel_title: wellFormed(video.channelTitle),
    url: `https://www.youtube.com/watch?v=${video.videoId}`,
    ...NOT_ENRICHED_JSON,
  };
}

/** The fields videos.list fills, before it has told anything. */
const NOT_ENRICHED_JSON = {
  duration_seconds: null,
  view_count: null,
  like_count: null,
  comment_count: null,
  live_state: null,
  scheduled_start_at: null,
  actual_start_at: null,
  actual_end_at: null,
  tags: null,
  category_id: null,
  default_language: null,
  definition: null,
  has_captions: null,
  made_for_kids: null,
  available: true,
  unavailable_since: null,
  details_updated_at: null,
} as const;

/** The reference object once `details` were stored at `at` (videos.list's answer). */
function expectedEnriched(video: VideoInput, details: VideoDetails, at: Date): VideoJson {
  const iso = (date: Date | null) => (date === null ? null : date.toISOString());
  return {
    ...expectedJson(video),
    description: wellFormed(details.descriptionFull),
    duration_seconds: details.durationS,
    view_count: details.viewCount,
    like_count: details.likeCount,
    comment_count: details.commentCount,
    live_state: details.liveState,
    scheduled_start_at: iso(details.scheduledStartAt),
    actual_start_at: iso(details.actualStartAt),
    actual_end_at: iso(details.actualEndAt),
    tags: [...details.tags],
    category_id: details.categoryId,
    default_language: details.defaultLanguage,
    definition: details.definition,
    has_captions: details.hasCaptions,
    made_for_kids: details.madeForKids,
    available: true,
    unavailable_since: null,
    details_updated_at: at.toISOString(),
  };
}

function videoDetails(videoId: string, overrides: Partial<VideoDetails> = {}): VideoDetails {
  return {
    videoId,
    descriptionFull: `tea the whole description: "quotes", back\\slash, line\nbreak, 🍵 and </script> ${'long '.repeat(400)}`,
    tags: ['tea "quoted"', '🍵 emoji 👩‍👩‍👧', 'back\\slash', '\u2028 sep', ''],
    categoryId: '22',
    defaultLanguage: 'en-GB',
    durationS: 3723,
    definition: 'hd',
    hasCaptions: true,
    madeForKids: false,
    viewCount: 12_345_678_901,
    // The owner hides likes and comments are off.
    likeCount: null,
    commentCount: null,
    liveState: 'none',
    scheduledStartAt: null,
    actualStartAt: null,
    actualEndAt: null,
    ...overrides,
  };
}

const newestFirst = (videos: readonly VideoInput[]) => [...videos].sort((a, b) => b.publishedAt.getTime() - a.publishedAt.getTime());
const fragments = (videos: readonly ListedVideo[]) => videos.map((video) => video.json);

describe('listings served from the JSON stored with each video', () => {
  it('equal what the schema serialiser produces from the videos, on every read path, for awkward text', async () => {
    const videos = awkwardVideos();
    // Older filler, so the awkward ones are on page 2 at limit 3 and page 1 holds the rest.
    await repo().upsertBatch(videos);
    const expected = newestFirst(videos).map(expectedJson);
    const total = videos.length;

    // /getData by offset: every page at limit 3.
    for (let pageNo = 1; (pageNo - 1) * 3 < total; pageNo++) {
      const slice = await repo().pageByOffset(ALL_VIDEOS_SCOPE, (pageNo - 1) * 3, 3);
      const body = joinFragments(feedPageEnvelope({ pageNo, limit: 3, totalCount: slice.total }), fragments(slice.videos));
      const object = { isError: false as const, pageNo, limit: 3, totalCount: total, totalPages: Math.ceil(total / 3), videos: expected.slice((pageNo - 1) * 3, pageNo * 3) };
      expect(body.toString('utf8')).toBe(serializeFeedPage(object));
      expect(JSON.parse(body.toString('utf8'))).toEqual(object);
    }

    // /videos by keyset.
    const listed = await createVideoFinder(db.kysely).find({ filters: {}, sort: { key: 'published', direction: 'desc' }, limit: 100 });
    const listBody = joinFragments(videoPageEnvelope('next"cursor\\'), fragments(listed)).toString('utf8');
    expect(listBody).toBe(serializeVideoPage({ items: expected, nextCursor: 'next"cursor\\' }));
    expect(JSON.parse(listBody)).toEqual({ items: expected, nextCursor: 'next"cursor\\' });

    // /videos/search: every awkward video has "tea" in its title.
    const hits = await createSearchFinder(db.kysely).find({ search: parseSearch('tea'), filters: {}, sort: { key: 'published', direction: 'desc' }, limit: 100 });
    const searchBody = joinFragments(videoPageEnvelope(null), fragments(hits)).toString('utf8');
    expect(searchBody).toBe(serializeVideoPage({ items: expected, nextCursor: null }));

    // The page-1 snapshot: one stored fragment per line, the same bytes.
    const snapshot = await buildSnapshot(repo(), ALL_VIDEOS_SCOPE, clock.now());
    expect(snapshot.videos).toEqual(expected.map((video) => serializeVideoPage({ items: [video], nextCursor: null }).slice('{"items":['.length, -'],"nextCursor":null}'.length)));
    expect(snapshot.videos.join('\n').split('\n')).toHaveLength(total);
  });

  it('renders again when a video changes, and not when the same values come again', async () => {
    const [video] = awkwardVideos();
    await repo().upsertBatch([video!]);
    const [stored] = await repo().findByVideoIds([video!.videoId]);
    expect(stored!.json_version).toBe(VIDEO_JSON_VERSION);
    expect(JSON.parse(stored!.json!.toString('utf8'))).toEqual(expectedJson(video!));

    const changed = { ...video!, title: 'a new "title" 🍵', publishedAt: new Date('2024-05-03T00:00:00Z') };
    await repo().upsertBatch([changed]);
    const [after] = await repo().findByVideoIds([video!.videoId]);
    expect(JSON.parse(after!.json!.toString('utf8'))).toEqual(expectedJson(changed));
    const page = await repo().pageByOffset(ALL_VIDEOS_SCOPE, 0, 10);
    expect(page.videos.map((v) => JSON.parse(v.json.toString('utf8')) as VideoJson)).toEqual([expectedJson(changed)]);
    expect(after!.json_hash).toEqual(fragmentHash(after!.json!));
    expect(after!.json_hash).not.toEqual(stored!.json_hash);
  });

  it("gives a page an ETag from its rows' stored hashes: the same for the same bytes, another when a row changes", async () => {
    const videos = awkwardVideos();
    await repo().upsertBatch(videos);
    const etagOf = async () => {
      const slice = await repo().pageByOffset(ALL_VIDEOS_SCOPE, 2, 3);
      const envelope = feedPageEnvelope({ pageNo: 2, limit: 3, totalCount: slice.total });
      for (const video of slice.videos) expect(video.json_hash).toEqual(fragmentHash(video.json));
      return fragmentsEtag(envelope, slice.videos.map((video) => video.json_hash));
    };
    const first = await etagOf();
    expect(first).toMatch(/^"[\w-]{27}"$/);
    await repo().upsertBatch(videos); // the same values again
    expect(await etagOf()).toBe(first);
    await repo().upsertBatch([{ ...newestFirst(videos)[3]!, description: 'changed' }]);
    expect(await etagOf()).not.toBe(first);
  });
});

describe('listings of enriched videos', () => {
  const detailsRepo = () => createVideoDetailsRepository({ db: db.kysely });
  const AT = new Date('2024-06-01T00:00:00.123Z');
  const DUE = new Date('2024-06-02T00:00:00Z');

  /** The awkward videos stored, then told of by videos.list: what each must now say, newest first. */
  async function storeEnriched(): Promise<{ videos: VideoInput[]; expected: VideoJson[] }> {
    const videos = awkwardVideos();
    await repo().upsertBatch(videos);
    const told = new Map<string, VideoDetails>([
      [videos[0]!.videoId, videoDetails(videos[0]!.videoId)],
      [
        videos[1]!.videoId,
        videoDetails(videos[1]!.videoId, {
          liveState: 'live',
          durationS: 0,
          definition: 'sd',
          hasCaptions: false,
          madeForKids: true,
          viewCount: 0,
          likeCount: 5,
          commentCount: 0,
          tags: [],
          defaultLanguage: null,
          categoryId: null,
          scheduledStartAt: new Date('2024-05-31T23:00:00Z'),
          actualStartAt: new Date('2024-05-31T23:01:02.345Z'),
        }),
      ],
      [videos[2]!.videoId, videoDetails(videos[2]!.videoId, { liveState: 'completed', actualStartAt: new Date('2024-05-01T10:00:00Z'), actualEndAt: new Date('2024-05-01T12:00:00Z') })],
    ]);
    // videos[3] is no longer returned: unavailable, never enriched before.
    const stored = await detailsRepo().store({
      at: AT,
      found: [...told.values()].map((details) => ({ details, dueAt: DUE })),
      missing: [{ videoId: videos[3]!.videoId, dueAt: DUE }],
    });
    expect(stored).toEqual({ matched: 4, rendered: 4, scopes: [ALL_VIDEOS_SCOPE] });
    const expected = newestFirst(videos).map((video) => {
      const details = told.get(video.videoId);
      if (details !== undefined) return expectedEnriched(video, details, AT);
      if (video.videoId === videos[3]!.videoId) return { ...expectedJson(video), available: false, unavailable_since: AT.toISOString() };
      return expectedJson(video);
    });
    return { videos, expected };
  }

  it('equal what the schema serialiser produces, on every read path, with every detail and an unavailable video', async () => {
    const { videos, expected } = await storeEnriched();
    // The /getData pages list the videos YouTube still returns, counted the same way.
    const listedVideos = expected.filter((video) => video.available);
    const total = listedVideos.length;
    expect(total).toBe(videos.length - 1);
    for (let pageNo = 1; (pageNo - 1) * 3 < total; pageNo++) {
      const slice = await repo().pageByOffset(ALL_VIDEOS_SCOPE, (pageNo - 1) * 3, 3);
      const body = joinFragments(feedPageEnvelope({ pageNo, limit: 3, totalCount: slice.total }), fragments(slice.videos)).toString('utf8');
      const object = { isError: false as const, pageNo, limit: 3, totalCount: total, totalPages: Math.ceil(total / 3), videos: listedVideos.slice((pageNo - 1) * 3, pageNo * 3) };
      expect(body).toBe(serializeFeedPage(object));
      expect(JSON.parse(body)).toEqual(object);
    }
    const listed = await createVideoFinder(db.kysely).find({ filters: { includeUnavailable: true }, sort: { key: 'published', direction: 'desc' }, limit: 100 });
    const listBody = joinFragments(videoPageEnvelope(null), fragments(listed)).toString('utf8');
    expect(listBody).toBe(serializeVideoPage({ items: expected, nextCursor: null }));
    expect(JSON.parse(listBody)).toEqual({ items: expected, nextCursor: null });
    // By default /videos leaves the unavailable one out; the others are the same bytes.
    const available = await createVideoFinder(db.kysely).find({ filters: {}, sort: { key: 'published', direction: 'desc' }, limit: 100 });
    expect(joinFragments(videoPageEnvelope(null), fragments(available)).toString('utf8')).toBe(
      serializeVideoPage({ items: expected.filter((video) => video.available), nextCursor: null }),
    );
    const hits = await createSearchFinder(db.kysely).find({ search: parseSearch('tea'), filters: { includeUnavailable: true }, sort: { key: 'published', direction: 'desc' }, limit: 100 });
    expect(joinFragments(videoPageEnvelope(null), fragments(hits)).toString('utf8')).toBe(serializeVideoPage({ items: expected, nextCursor: null }));
    const snapshot = await buildSnapshot(repo(), ALL_VIDEOS_SCOPE, clock.now());
    expect(snapshot.total).toBe(total);
    expect(snapshot.videos).toEqual(listedVideos.map((video) => serializeVideoPage({ items: [video], nextCursor: null }).slice('{"items":['.length, -'],"nextCursor":null}'.length)));
    // Rendered from the stored columns: a row rendered again in the background says the same.
    const before = await repo().findByVideoIds(videos.map((video) => video.videoId));
    await sql`UPDATE videos SET json_version = ${VIDEO_JSON_VERSION - 1}`.execute(db.kysely);
    expect(await repo().renderStaleJson()).toBe(videos.length);
    const after = await repo().findByVideoIds(videos.map((video) => video.videoId));
    expect(after.map((row) => row.json)).toEqual(before.map((row) => row.json));
  });

  it('keep their details when a later fetch stores their snippets again, changed or not', async () => {
    const { videos, expected } = await storeEnriched();
    const byId = (list: readonly VideoJson[]) => new Map(list.map((video) => [video.video_id, video]));
    const stored = async () => byId((await repo().findByVideoIds(videos.map((v) => v.videoId))).map((row) => JSON.parse(row.json!.toString('utf8')) as VideoJson));

    // The same snippets again: nothing changes, nothing counts as updated.
    const same = await repo().upsertBatch(videos);
    expect(same).toMatchObject({ inserted: 0, updated: 0 });
    expect(await stored()).toEqual(byId(expected));

    // A later fetch with a new title and snippet description on every video.
    clock.advance(60_000);
    const changed = videos.map((video) => ({ ...video, title: `${video.title} (new)`, description: 'a new snippet' }));
    const later = await repo().upsertBatch(changed, {});
    expect(later).toMatchObject({ inserted: 0, updated: videos.length });
    const after = await stored();
    for (const video of expected) {
      const snippetOnly = video.details_updated_at === null;
      expect(after.get(video.video_id)).toEqual({
        ...video,
        title: `${video.title} (new)`,
        // The whole description stays; one never enriched shows the new snippet.
        description: snippetOnly ? 'a new snippet' : video.description,
      });
    }
    // The served bytes are what the serialiser makes of them, and their hashes follow.
    const slice = await repo().pageByOffset(ALL_VIDEOS_SCOPE, 0, 100);
    for (const row of slice.videos) expect(row.json_hash).toEqual(fragmentHash(row.json));
    // (The feed lists the videos YouTube still returns: the unavailable one is left out.)
    const wanted = newestFirst(changed)
      .map((video) => after.get(video.videoId)!)
      .filter((video) => video.available);
    expect(wanted).toHaveLength(videos.length - 1);
    expect(joinFragments(videoPageEnvelope(null), fragments(slice.videos)).toString('utf8')).toBe(serializeVideoPage({ items: wanted, nextCursor: null }));
  });

  it('tell which feeds list a video whose JSON changed, and nothing when the same answer comes again', async () => {
    const videos = awkwardVideos().slice(0, 3);
    const queries = createSearchQueryRepository({ db: db.kysely, clock });
    const one = (await queries.follow('one')).id;
    const two = (await queries.follow('two')).id;
    await repo().upsertBatch(videos.slice(0, 2), { queryId: one });
    await repo().upsertBatch(videos.slice(2), { queryId: two });
    const answer = { at: AT, found: [{ details: videoDetails(videos[0]!.videoId), dueAt: DUE }], missing: [] };
    expect(await detailsRepo().store(answer)).toEqual({ matched: 1, rendered: 1, scopes: [ALL_VIDEOS_SCOPE, one] });
    expect(await detailsRepo().store(answer)).toMatchObject({ rendered: 0, scopes: [] });
    const views = { ...answer, found: [{ details: videoDetails(videos[0]!.videoId, { viewCount: 13_000_000_000 }), dueAt: DUE }] };
    expect(await detailsRepo().store(views)).toEqual({ matched: 1, rendered: 1, scopes: [ALL_VIDEOS_SCOPE, one] });
    const [row] = await repo().findByVideoIds([videos[0]!.videoId]);
    expect(JSON.parse(row!.json!.toString('utf8'))).toMatchObject({ view_count: 13_000_000_000 });
    expect(row!.json_hash).toEqual(fragmentHash(row!.json!));
  });
});

describe('stored JSON of another renderer version', () => {
  async function storeWithStaleRows(): Promise<VideoInput[]> {
    const videos = awkwardVideos();
    await repo().upsertBatch(videos);
    // Rows as an older version left them: one never rendered (stored before the column
    // existed), one rendered by another version of the shape.
    await sql`UPDATE videos SET json = NULL, json_hash = NULL, json_version = NULL WHERE video_id = ${videos[1]!.videoId}`.execute(db.kysely);
    await sql`UPDATE videos SET json = ${'{"old":"shape"}'}, json_version = ${VIDEO_JSON_VERSION - 1} WHERE video_id = ${videos[4]!.videoId}`.execute(db.kysely);
    // The current version without its hash: rendered again too.
    await sql`UPDATE videos SET json_hash = NULL WHERE video_id = ${videos[5]!.videoId}`.execute(db.kysely);
    // A newer version's row (a newer process during a rolling deploy): rendered on read here,
    // left as it is in the table.
    await sql`UPDATE videos SET json = ${'{"newer":"shape"}'}, json_version = ${VIDEO_JSON_VERSION + 1} WHERE video_id = ${videos[2]!.videoId}`.execute(db.kysely);
    return videos;
  }

  it('are served rendered from their columns meanwhile, on every read path', async () => {
    const videos = await storeWithStaleRows();
    const expected = newestFirst(videos).map(expectedJson);
    const slice = await repo().pageByOffset(ALL_VIDEOS_SCOPE, 0, 100);
    expect(slice.videos.map((v) => JSON.parse(v.json.toString('utf8')) as VideoJson)).toEqual(expected);
    const listed = await createVideoFinder(db.kysely).find({ filters: {}, sort: { key: 'published', direction: 'asc' }, limit: 100 });
    expect(listed.map((v) => JSON.parse(v.json.toString('utf8')) as VideoJson)).toEqual([...expected].reverse());
    const hits = await createSearchFinder(db.kysely).find({ search: parseSearch('tea'), filters: {}, sort: 'relevance', limit: 100 });
    expect(new Set(hits.map((v) => v.json.toString('utf8')))).toEqual(new Set(expected.map((v) => JSON.stringify(v))));
  });

  it('are rendered again in place, each once, in batches; a newer version is left to its own processes', async () => {
    const videos = await storeWithStaleRows();
    expect(await repo().renderStaleJson({ batchSize: 1 })).toBe(3);
    expect(await repo().renderStaleJson()).toBe(0);
    const stored = await repo().findByVideoIds(videos.map((v) => v.videoId));
    const newer = stored.find((row) => row.video_id === videos[2]!.videoId)!;
    expect(newer.json_version).toBe(VIDEO_JSON_VERSION + 1);
    expect(newer.json!.toString('utf8')).toBe('{"newer":"shape"}');
    for (const row of stored.filter((r) => r !== newer)) {
      expect(row.json_version).toBe(VIDEO_JSON_VERSION);
      expect(JSON.parse(row.json!.toString('utf8'))).toEqual(expectedJson(videos.find((v) => v.videoId === row.video_id)!));
      expect(row.json_hash).toEqual(fragmentHash(row.json!));
    }
    // After a rollback no newer process is left to keep its rows: they can be taken too.
    expect(await repo().renderStaleJson({ newerToo: true })).toBe(1);
    const [taken] = await repo().findByVideoIds([videos[2]!.videoId]);
    expect(taken!.json_version).toBe(VIDEO_JSON_VERSION);
    expect(JSON.parse(taken!.json!.toString('utf8'))).toEqual(expectedJson(videos[2]!));
  });

  it('stop between batches when asked to', async () => {
    await storeWithStaleRows();
    const stop = new AbortController();
    stop.abort();
    expect(await repo().renderStaleJson({ signal: stop.signal })).toBe(0);
    const { stale } = await db.kysely
      .selectFrom('videos')
      .select((eb) => eb.fn.countAll<number>().as('stale'))
      .where((eb) => eb.or([eb('json_version', 'is', null), eb('json_version', '<>', VIDEO_JSON_VERSION), eb('json_hash', 'is', null)]))
      .executeTakeFirstOrThrow();
    expect(Number(stale)).toBe(4);
  });
});
