// The catalog methods of the units bucket against the real Node client: videos.list with every
// part the simulator fills (durations, counts as strings, hidden likes, comments off, broadcasts
// that go live and end), statistics that grow with the clock, videos deleted or made private,
// channels.list by id and @handle, and the uploads playlists through playlistItems.list.
import { describe, expect, it, afterAll, beforeAll } from 'vitest';
import { DEFAULT_REMOVAL_SHARE, isoDuration, type GroundTruthChannel } from './index.js';
import { failure, rawGet, startSim, type SimHarness } from './testing/sim-harness.js';

const HOUR = 3_600_000;
let h: SimHarness;

beforeAll(async () => {
  // 20 s between uploads over 12 hours: ~2,160 videos, enough for every rare case to occur.
  // Search indexes late (up to an hour), the uploads playlist does not.
  h = await startSim({ publishIntervalMs: 20_000, historyMs: 12 * HOUR, maxIndexDelayMs: HOUR, removalShare: 0, queries: [{ q: 'heron' }] });
});
afterAll(() => h.close());

const ALL_PARTS = ['snippet', 'contentDetails', 'statistics', 'status', 'liveStreamingDetails'];

async function videos(ids: string[], part = ALL_PARTS) {
  const items = [];
  for (let i = 0; i < ids.length; i += 50) {
    const response = await h.client().videos.list({ part, id: ids.slice(i, i + 50) }, { retry: false });
    items.push(...response.data.items!);
  }
  return items;
}

function unitsUsed(): number {
  return h.sim.quota()[0]!.units.used;
}

describe('ISO 8601 durations', () => {
  it('are written the way YouTube writes them', () => {
    expect([3723, 60, 3600, 45, 86_400 + 3661, 7200 + 5, 0].map(isoDuration)).toEqual([
      'PT1H2M3S',
      'PT1M',
      'PT1H',
      'PT45S',
      'P1DT1H1M1S',
      'PT2H5S',
      'P0D',
    ]);
  });
});

describe('videos.list', () => {
  it('fills snippet, contentDetails, statistics and status in YouTube\'s shapes, with counts as strings', async () => {
    const truth = h.sim.groundTruth('heron');
    expect(truth.length).toBeGreaterThan(1000);
    const sample = truth.slice(0, 400);
    const before = unitsUsed();
    const items = await videos(sample.map((v) => v.videoId));
    expect(unitsUsed() - before).toBe(8); // 1 unit per call of 50 ids
    expect(items.map((item) => item.id)).toEqual(sample.map((v) => v.videoId));

    for (const [i, item] of items.entries()) {
      const video = sample[i]!;
      expect(item.kind).toBe('youtube#video');
      expect(item.snippet).toMatchObject({ title: video.title, description: video.description, channelId: video.channelId, channelTitle: video.channelTitle });
      expect(item.snippet!.categoryId).toMatch(/^\d+$/);
      expect(['none', 'live', 'upcoming']).toContain(item.snippet!.liveBroadcastContent);
      expect(item.contentDetails).toMatchObject({ dimension: '2d', projection: expect.stringMatching(/^(rectangular|360)$/) as unknown });
      expect(item.contentDetails!.duration).toMatch(/^P(?:0D|(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?)$/);
      expect(item.contentDetails!.duration).not.toMatch(/T$/);
      expect(['hd', 'sd']).toContain(item.contentDetails!.definition);
      expect(['true', 'false']).toContain(item.contentDetails!.caption);
      expect(typeof item.contentDetails!.licensedContent).toBe('boolean');
      expect(item.status).toMatchObject({ uploadStatus: 'processed', privacyStatus: 'public' });
      expect(typeof item.status!.embeddable).toBe('boolean');
      expect(typeof item.status!.madeForKids).toBe('boolean');
      expect(typeof item.status!.publicStatsViewable).toBe('boolean');
      const stats = item.statistics!;
      expect(stats.viewCount).toMatch(/^\d+$/);
      expect(stats.favoriteCount).toBe('0');
      for (const count of [stats.likeCount, stats.commentCount]) if (count !== undefined) expect(count).toMatch(/^(0|[1-9]\d*)$/);
      if (stats.likeCount !== undefined) expect(Number(stats.likeCount)).toBeLessThanOrEqual(Number(stats.viewCount));
      // Only broadcasts carry liveStreamingDetails.
      expect(item.liveStreamingDetails !== undefined).toBe(video.liveBroadcastContent !== 'none');
    }
    // The owners' choices occur, and the properties they switch off are absent, not empty.
    const raw = items as unknown as { statistics: object; snippet: object }[];
    expect(raw.filter((item) => !('likeCount' in item.statistics)).length).toBeGreaterThan(3);
    expect(raw.filter((item) => !('commentCount' in item.statistics)).length).toBeGreaterThan(3);
    expect(raw.filter((item) => !('tags' in item.snippet)).length).toBeGreaterThan(30);
    expect(items.filter((item) => (item.snippet!.tags?.length ?? 0) > 0).length).toBeGreaterThan(100);
    expect(items.some((item) => item.snippet!.defaultLanguage !== undefined)).toBe(true);
    expect(items.some((item) => item.snippet!.defaultAudioLanguage !== undefined)).toBe(true);
    expect(new Set(items.map((item) => item.contentDetails!.definition))).toEqual(new Set(['hd', 'sd']));
    expect(items.some((item) => /^PT\d+H/.test(item.contentDetails!.duration!))).toBe(true);
    // Search snippets show the same description cut to 160 characters; videos.list shows it whole.
    expect(sample.some((v, i) => Array.from(v.description).length > 160 && items[i]!.snippet!.description === v.description)).toBe(true);
  });

  it('takes 50 ids a call, refuses 51 with a parameter error (charged), and leaves unknown ids out', async () => {
    const ids = h.sim.groundTruth('heron').slice(0, 51).map((v) => v.videoId);
    const before = unitsUsed();
    expect((await videos(ids.slice(0, 50), ['id'])).length).toBe(50);
    const error = await failure(h.client().videos.list({ part: ['id'], id: ids }, { retry: false }));
    expect(error.status).toBe(400);
    expect(error.data).toMatchObject({ error: { code: 400, errors: [{ domain: 'youtube.parameter', reason: 'invalidParameter', location: 'id', locationType: 'parameter' }] } });
    const mixed = await h.client().videos.list({ part: ['id'], id: ['doesNotExst', ids[0]!] }, { retry: false });
    expect(mixed.data.items!.map((item) => item.id)).toEqual([ids[0]]);
    expect(mixed.data.pageInfo).toEqual({ totalResults: 1, resultsPerPage: 1 });
    expect(unitsUsed() - before).toBe(3);
    expect(h.sim.calls().slice(-2).map((c) => [c.endpoint, c.status, c.bucket, c.units])).toEqual([
      ['videos.list', 400, 'units', 1],
      ['videos.list', 200, 'units', 1],
    ]);
  });

  it('grows statistics with the clock, fast at first and slower later, never down', async () => {
    const sim = await startSim({ publishIntervalMs: 60_000, historyMs: 0, removalShare: 0, queries: [{ q: 'plover' }] });
    try {
      sim.sim.advance(30 * 60_000);
      const ids = sim.sim.groundTruth('plover').slice(0, 20).map((v) => v.videoId);
      // No more uploads needed: the clock jumps weeks ahead.
      sim.sim.configureQueries([{ q: 'plover', publishIntervalMs: 30 * 24 * HOUR }]);
      const read = async () => {
        const response = await sim.client().videos.list({ part: ['statistics'], id: ids }, { retry: false });
        return response.data.items!.map((item) => item.statistics!);
      };
      const at = async (offsetMs: number) => {
        sim.sim.setTime(new Date(Date.parse('2024-06-01T12:30:00Z') + offsetMs));
        return read();
      };
      const series: Awaited<ReturnType<typeof read>>[] = [];
      for (const offset of [0, HOUR, 2 * HOUR, 24 * HOUR, 25 * HOUR, 7 * 24 * HOUR, 60 * 24 * HOUR]) series.push(await at(offset));
      const views = (s: { viewCount?: string | null }[]) => s.reduce((sum, stat) => sum + Number(stat.viewCount), 0);
      for (let i = 1; i < series.length; i++) {
        for (const [j, stat] of series[i]!.entries()) {
          const earlier = series[i - 1]![j]!;
          expect(Number(stat.viewCount)).toBeGreaterThanOrEqual(Number(earlier.viewCount));
          if (stat.likeCount !== undefined) expect(Number(stat.likeCount)).toBeGreaterThanOrEqual(Number(earlier.likeCount));
          if (stat.commentCount !== undefined) expect(Number(stat.commentCount)).toBeGreaterThanOrEqual(Number(earlier.commentCount));
        }
      }
      const firstHour = views(series[1]!) - views(series[0]!);
      const dayLaterHour = views(series[4]!) - views(series[3]!);
      expect(firstHour).toBeGreaterThan(0);
      expect(firstHour).toBeGreaterThan(dayLaterHour);
      // Video by video too, where the counts are large enough for rounding not to matter.
      const big = ids.map((_id, j) => j).filter((j) => Number(series[4]![j]!.viewCount) > 10_000);
      expect(big.length).toBeGreaterThan(0);
      for (const j of big) {
        const count = (k: number) => Number(series[k]![j]!.viewCount);
        expect(count(1) - count(0)).toBeGreaterThan(count(4) - count(3));
      }
      expect(views(series[6]!)).toBeGreaterThan(views(series[5]!));
      // The same instant reads the same counts.
      expect(await at(60 * 24 * HOUR)).toEqual(series[6]);
    } finally {
      await sim.close();
    }
  });

  it('follows a broadcast from upcoming (P0D) to live (viewers) to its end (a duration, no viewers)', async () => {
    const truth = h.sim.groundTruth('heron');
    const items = await videos(truth.filter((v) => v.liveBroadcastContent !== 'none').map((v) => v.videoId));
    const upcoming = items.find((item) => item.snippet!.liveBroadcastContent === 'upcoming')!;
    expect(upcoming).toBeDefined();
    expect(upcoming.contentDetails!.duration).toBe('P0D');
    expect(Object.keys(upcoming.liveStreamingDetails!)).toEqual(['scheduledStartTime']);
    expect(upcoming.statistics!.viewCount).toBe('0');

    const sim = h.sim;
    const saved = sim.now();
    try {
      sim.setTime(new Date(Date.parse(upcoming.liveStreamingDetails!.scheduledStartTime!) + 5 * 60_000 + 1000));
      const [live] = await videos([upcoming.id!]);
      expect(live!.snippet!.liveBroadcastContent).toBe('live');
      expect(live!.contentDetails!.duration).toBe('P0D');
      expect(live!.liveStreamingDetails).toEqual({
        actualStartTime: expect.stringMatching(/Z$/) as unknown,
        scheduledStartTime: upcoming.liveStreamingDetails!.scheduledStartTime,
        concurrentViewers: expect.stringMatching(/^[1-9]\d*$/) as unknown,
      });

      sim.advance(7 * HOUR);
      const [ended] = await videos([upcoming.id!]);
      const details = ended!.liveStreamingDetails!;
      expect(ended!.snippet!.liveBroadcastContent).toBe('none');
      expect(details.concurrentViewers).toBeUndefined();
      const lengthSeconds = (Date.parse(details.actualEndTime!) - Date.parse(details.actualStartTime!)) / 1000;
      expect(lengthSeconds).toBeGreaterThan(0);
      expect(ended!.contentDetails!.duration).toBe(isoDuration(lengthSeconds));
      expect(Number(ended!.statistics!.viewCount)).toBeGreaterThan(0);
    } finally {
      sim.setTime(saved);
    }
  });
});

describe('videos deleted or made private', () => {
  it('are left out of videos.list, search and the uploads playlist from then on', async () => {
    const sim = await startSim({ publishIntervalMs: 60_000, historyMs: 2 * HOUR, removalShare: 0, queries: [{ q: 'avocet' }] });
    try {
      const [deleted, privated, kept] = sim.sim.groundTruth('avocet');
      const ids = [deleted!.videoId, privated!.videoId, kept!.videoId];
      const channel = sim.sim.channels().find((c) => c.channelId === deleted!.channelId)!;
      const playlist = async () =>
        (await sim.client().playlistItems.list({ part: ['contentDetails'], playlistId: channel.uploadsPlaylistId, maxResults: 50 }, { retry: false })).data;
      const searchIds = async () =>
        (await sim.client().search.list({ part: ['id'], q: 'avocet', type: ['video'], order: 'date', maxResults: 50 }, { retry: false })).data.items!.map(
          (item) => item.id!.videoId,
        );
      expect((await sim.client().videos.list({ part: ['id'], id: ids }, { retry: false })).data.items).toHaveLength(3);
      expect(await searchIds()).toEqual(expect.arrayContaining(ids));
      const listedBefore = (await playlist()).items!.map((item) => item.contentDetails!.videoId);
      expect(listedBefore).toContain(deleted!.videoId);

      sim.sim.removeVideo(deleted!.videoId, 'deleted');
      const response = await fetch(`${sim.baseUrl}/__sim/videos/${privated!.videoId}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'private' }),
      });
      expect(await response.json()).toMatchObject({ videoId: privated!.videoId, status: 'private' });

      const answered = await sim.client().videos.list({ part: ['id', 'snippet'], id: ids }, { retry: false });
      expect(answered.data.items!.map((item) => item.id)).toEqual([kept!.videoId]);
      const found = await searchIds();
      expect(found).toContain(kept!.videoId);
      expect(found).not.toContain(deleted!.videoId);
      expect(found).not.toContain(privated!.videoId);
      const after = await playlist();
      const listed = after.items!.map((item) => item.contentDetails!.videoId);
      const stillListed = listedBefore.filter((id) => id !== deleted!.videoId && id !== privated!.videoId);
      // The page moves up by the videos that left it (an older one may join at its end).
      expect(listed.slice(0, stillListed.length)).toEqual(stillListed);
      expect(after.items!.every((item) => item.contentDetails!.videoId !== privated!.videoId)).toBe(true);
      // Ground truth says what is gone only when asked to.
      expect(sim.sim.groundTruth('avocet').map((v) => v.videoId)).not.toContain(deleted!.videoId);
      const all = sim.sim.groundTruth('avocet', { includeRemoved: true });
      expect(all.find((v) => v.videoId === deleted!.videoId)).toMatchObject({ status: 'deleted', searchable: false });
      expect(all.find((v) => v.videoId === privated!.videoId)).toMatchObject({ status: 'private', searchable: false });
      const overHttp = (await (await fetch(`${sim.baseUrl}/__sim/videos?q=avocet&includeRemoved=true`)).json()) as { videos: { videoId: string; status: string }[] };
      expect(overHttp.videos.filter((v) => v.status !== 'public').map((v) => v.videoId).sort()).toEqual([deleted!.videoId, privated!.videoId].sort());
      const listedChannels = (await (await fetch(`${sim.baseUrl}/__sim/channels`)).json()) as { channels: GroundTruthChannel[] };
      expect(listedChannels.channels).toEqual(sim.sim.channels());
      expect((await fetch(`${sim.baseUrl}/__sim/videos/nope`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"status":"deleted"}' })).status).toBe(404);
      expect((await fetch(`${sim.baseUrl}/__sim/videos/${kept!.videoId}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"status":"public"}' })).status).toBe(400);
    } finally {
      await sim.close();
    }
  });

  it('happen to a configurable share of videos by themselves, hours to weeks after publication', async () => {
    const sim = await startSim({ publishIntervalMs: 600_000, historyMs: 30 * 24 * HOUR, removalShare: 0.1, queries: [{ q: 'dunlin' }] });
    try {
      const all = sim.sim.groundTruth('dunlin', { includeRemoved: true });
      const gone = all.filter((v) => v.status !== 'public');
      expect(all.length).toBeGreaterThanOrEqual(4320); // every 10 minutes for 30 days
      // 10 % chosen, most of them gone by now (removal comes 6 h to 30 days after publication).
      const chosen = all.filter((v) => v.removedAt !== null);
      expect(chosen.length / all.length).toBeGreaterThan(0.08);
      expect(chosen.length / all.length).toBeLessThan(0.12);
      expect(gone.length).toBeGreaterThan(chosen.length / 3);
      expect(new Set(gone.map((v) => v.status))).toEqual(new Set(['deleted', 'private']));
      for (const video of chosen) {
        const delay = Date.parse(video.removedAt!) - Date.parse(video.publishedAt);
        expect(delay).toBeGreaterThanOrEqual(6 * HOUR - 1000);
        expect(delay).toBeLessThanOrEqual(30 * 24 * HOUR);
      }
      expect(sim.sim.groundTruth('dunlin')).toHaveLength(all.length - gone.length);
      const ids = gone.slice(0, 50).map((v) => v.videoId);
      expect((await sim.client().videos.list({ part: ['id'], id: ids }, { retry: false })).data.items).toEqual([]);
      // By default about 1 % is chosen (DEFAULT_REMOVAL_SHARE), the same videos as at any other
      // share below it (one draw per video); with removalShare 0 nothing is ever gone.
      const byDefault = await startSim({ publishIntervalMs: 600_000, historyMs: 30 * 24 * HOUR, queries: [{ q: 'dunlin' }] });
      const defaultChosen = byDefault.sim.groundTruth('dunlin', { includeRemoved: true }).filter((v) => v.removedAt !== null);
      await byDefault.close();
      expect(DEFAULT_REMOVAL_SHARE).toBe(0.01);
      expect(defaultChosen.length / all.length).toBeGreaterThan(0.005);
      expect(defaultChosen.length / all.length).toBeLessThan(0.015);
      const chosenIds = new Set(chosen.map((v) => v.videoId));
      expect(defaultChosen.every((v) => chosenIds.has(v.videoId))).toBe(true);
      const none = await startSim({ publishIntervalMs: 600_000, historyMs: 30 * 24 * HOUR, removalShare: 0, queries: [{ q: 'dunlin' }] });
      expect(none.sim.groundTruth('dunlin', { includeRemoved: true }).every((v) => v.removedAt === null)).toBe(true);
      await none.close();
    } finally {
      await sim.close();
    }
  });
});

describe('channels.list', () => {
  let channels: GroundTruthChannel[];
  beforeAll(() => {
    channels = h.sim.channels().filter((c) => c.stream === 'heron');
  });

  it('finds channels by id and by @handle, in YouTube\'s shape, consistent with their videos', async () => {
    expect(channels.length).toBeGreaterThanOrEqual(3);
    const [a, b] = channels;
    const before = unitsUsed();
    const byId = await h.client().channels.list({ part: ['snippet', 'contentDetails', 'statistics'], id: [a!.channelId, b!.channelId] }, { retry: false });
    expect(byId.data.kind).toBe('youtube#channelListResponse');
    expect(byId.data.items!.map((item) => item.id)).toEqual([a!.channelId, b!.channelId]);
    const channel = byId.data.items![0]!;
    const uploads = h.sim.groundTruth('heron').filter((v) => v.channelId === a!.channelId && v.stream === 'heron');
    expect(channel.snippet).toMatchObject({ title: a!.title, customUrl: a!.handle });
    expect(channel.snippet!.publishedAt).toMatch(/^20[0-2]\d-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(uploads[0]!.channelTitle).toBe(a!.title);
    expect(channel.contentDetails!.relatedPlaylists!.uploads).toBe(`UU${a!.channelId.slice(2)}`);
    expect(channel.statistics!.videoCount).toBe(String(uploads.length));
    expect(channel.statistics!.viewCount).toMatch(/^\d+$/);
    expect(typeof channel.statistics!.hiddenSubscriberCount).toBe('boolean');
    if (channel.statistics!.hiddenSubscriberCount === false) expect(channel.statistics!.subscriberCount).toMatch(/^\d{1,3}0*$/);

    for (const handle of [a!.handle, a!.handle.slice(1), a!.handle.toUpperCase()]) {
      const byHandle = await h.client().channels.list({ part: ['id'], forHandle: handle }, { retry: false });
      expect(byHandle.data.items!.map((item) => item.id)).toEqual([a!.channelId]);
    }
    expect(unitsUsed() - before).toBe(4);
  });

  it('answers a handle that matches nothing with no items at all, and a call without a filter with the parameter error', async () => {
    const none = await rawGet(h.baseUrl, `/youtube/v3/channels?part=id&forHandle=%40nobody-here&key=${h.key}`);
    expect(none.status).toBe(200);
    expect(none.body).toEqual({
      kind: 'youtube#channelListResponse',
      etag: expect.stringMatching(/^[A-Za-z0-9_-]{27}$/) as unknown,
      pageInfo: { totalResults: 0, resultsPerPage: 5 },
    });
    const missing = await failure(h.client().channels.list({ part: ['id'] }, { retry: false }));
    const message = 'No filter selected. Expected one of: categoryId, forHandle, forUsername, id, managedByMe, mine';
    expect(missing).toEqual({
      status: 400,
      data: {
        error: {
          code: 400,
          message,
          errors: [{ message, domain: 'youtube.parameter', reason: 'missingRequiredParameter', location: 'parameters.', locationType: 'other' }],
        },
      },
    });
    const mine = await failure(h.client().channels.list({ part: ['id'], mine: true }, { retry: false }));
    expect(mine.status).toBe(401);
  });
});

describe('playlistItems.list on an uploads playlist', () => {
  it('pages through every public upload, newest first, including videos search has not indexed yet', async () => {
    const channel = h.sim.channels().find((c) => c.stream === 'heron')!;
    const truth = h.sim.groundTruth('heron').filter((v) => v.channelId === channel.channelId && v.stream === 'heron');
    expect(truth.length).toBeGreaterThan(100);
    expect(truth.some((v) => !v.indexed)).toBe(true);

    const before = unitsUsed();
    const listed: string[] = [];
    let pageToken: string | undefined;
    let calls = 0;
    do {
      const { data } = await h.client().playlistItems.list(
        { part: ['snippet', 'contentDetails', 'status'], playlistId: channel.uploadsPlaylistId, maxResults: 50, ...(pageToken === undefined ? {} : { pageToken }) },
        { retry: false },
      );
      calls += 1;
      expect(data.kind).toBe('youtube#playlistItemListResponse');
      expect(data.pageInfo).toEqual({ totalResults: truth.length, resultsPerPage: 50 });
      expect(data.prevPageToken === undefined).toBe(calls === 1);
      for (const [i, item] of data.items!.entries()) {
        const video = truth[listed.length]!;
        expect(item.kind).toBe('youtube#playlistItem');
        expect(item.snippet).toMatchObject({
          channelId: channel.channelId,
          title: video.title,
          description: video.description,
          playlistId: channel.uploadsPlaylistId,
          position: listed.length,
          resourceId: { kind: 'youtube#video', videoId: video.videoId },
          videoOwnerChannelId: channel.channelId,
          videoOwnerChannelTitle: channel.title,
        });
        expect(item.contentDetails!.videoId).toBe(video.videoId);
        expect(Date.parse(item.contentDetails!.videoPublishedAt!)).toBe(Date.parse(video.publishedAt));
        expect(item.status).toEqual({ privacyStatus: 'public' });
        expect(Buffer.from(item.id!, 'base64').toString()).toBe(`${channel.uploadsPlaylistId}.${video.videoId}`);
        listed.push(item.contentDetails!.videoId!);
        expect(i).toBeLessThan(50);
      }
      pageToken = data.nextPageToken ?? undefined;
    } while (pageToken !== undefined);
    expect(listed).toEqual(truth.map((v) => v.videoId));
    expect(calls).toBe(Math.ceil(truth.length / 50));
    expect(unitsUsed() - before).toBe(calls);
  });

  it('answers an unknown playlist with playlistNotFound (404) and checks maxResults and pageToken', async () => {
    const unknown = await failure(h.client().playlistItems.list({ part: ['id'], playlistId: 'UUxxxxxxxxxxxxxxxxxxxxxx' }, { retry: false }));
    const message = "The playlist identified with the request's <code>playlistId</code> parameter cannot be found.";
    expect(unknown).toEqual({
      status: 404,
      data: {
        error: {
          code: 404,
          message,
          errors: [{ message, domain: 'youtube.playlistItem', reason: 'playlistNotFound', location: 'playlistId', locationType: 'parameter' }],
        },
      },
    });
    expect((await failure(h.client().playlistItems.list({ part: ['id'], playlistId: 'PLnotAnUploadsList' }, { retry: false }))).status).toBe(404);
    const channel = h.sim.channels()[0]!;
    const tooMany = await failure(h.client().playlistItems.list({ part: ['id'], playlistId: channel.uploadsPlaylistId, maxResults: 51 }, { retry: false }));
    expect(tooMany.data).toMatchObject({ error: { errors: [{ reason: 'invalidParameter', location: 'maxResults' }] } });
    const badToken = await failure(h.client().playlistItems.list({ part: ['id'], playlistId: channel.uploadsPlaylistId, pageToken: 'garbage!' }, { retry: false }));
    expect(badToken.data).toMatchObject({ error: { errors: [{ reason: 'invalidPageToken' }] } });
    const firstPage = await h.client().playlistItems.list({ part: ['id'], playlistId: channel.uploadsPlaylistId }, { retry: false });
    expect(firstPage.data.items).toHaveLength(5);
    expect(h.sim.calls().slice(-5).map((c) => [c.endpoint, c.status, c.bucket, c.units])).toEqual([
      ['playlistItems.list', 404, 'units', 1],
      ['playlistItems.list', 404, 'units', 1],
      ['playlistItems.list', 400, 'units', 1],
      ['playlistItems.list', 400, 'units', 1],
      ['playlistItems.list', 200, 'units', 1],
    ]);
  });
});
