// search.list against the real Node client: parameters, matching, bounds, paging, encoding.
// These tests compare pages with ground truth item for item, so they switch off short pages,
// window leaks and fading (search-behaviour.test.ts covers those).
import { decode } from 'html-entities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXACT_SEARCH } from './index.js';
import { failure, rawGet, startSim, T0, youtubeEncoded, type SimHarness } from './testing/sim-harness.js';

let h: SimHarness;

beforeAll(async () => {
  h = await startSim({
    ...EXACT_SEARCH,
    publishIntervalMs: 60_000,
    historyMs: 2 * 3_600_000,
    queries: [{ q: 'zebra' }, { q: 'quokka' }, { q: 'tea' }, { q: 'pager', publishIntervalMs: 1_000 }],
  });
});

afterAll(() => h.close());

const words = (text: string) => new Set(text.toLowerCase().split(/[^\p{L}\p{N}]+/u));

async function search(params: Record<string, unknown>) {
  const response = await h.client().search.list({ part: ['snippet'], type: ['video'], ...params }, { retry: false });
  return response.data;
}

describe('search.list parameters', () => {
  it('requires part, with the real error body', async () => {
    const response = await rawGet(h.baseUrl, `/youtube/v3/search?q=zebra&key=${h.key}`);
    expect(response).toEqual({
      status: 400,
      body: {
        error: {
          code: 400,
          message: 'Required parameter: part',
          errors: [{ message: 'Required parameter: part', domain: 'global', reason: 'required', location: 'part', locationType: 'parameter' }],
        },
      },
    });
  });

  it('answers 5 results by default and rejects maxResults outside 0..50', async () => {
    const page = await search({ q: 'zebra', order: 'date' });
    expect(page.items).toHaveLength(5);
    expect(page.pageInfo).toEqual({ totalResults: h.sim.groundTruth('zebra').length, resultsPerPage: 5 });

    for (const bad of [51, -1]) {
      const error = await failure(search({ q: 'zebra', maxResults: bad }));
      const message = `Invalid value '${bad}'. Values must be within the range: [0, 50]`;
      expect(error).toEqual({
        status: 400,
        data: {
          error: {
            code: 400,
            message,
            errors: [{ message, domain: 'youtube.parameter', reason: 'invalidParameter', location: 'maxResults', locationType: 'parameter' }],
          },
        },
      });
    }
    const none = await search({ q: 'zebra', maxResults: 0 });
    expect(none.items).toEqual([]);
    expect(none.nextPageToken).toBeUndefined();
  });

  it('rejects an unknown order, and a video-only filter without type=video', async () => {
    const order = await failure(search({ q: 'zebra', order: 'newest' }));
    expect(order.status).toBe(400);
    expect(order.data).toMatchObject({ error: { errors: [{ reason: 'invalidParameter', domain: 'youtube.parameter', location: 'order' }] } });

    const filter = await failure(h.client().search.list({ part: ['snippet'], q: 'zebra', videoEmbeddable: 'true' }, { retry: false }));
    expect(filter.status).toBe(400);
    expect(filter.data).toMatchObject({ error: { errors: [{ reason: 'invalidSearchFilter', domain: 'youtube.search' }] } });
  });

  it('rejects a malformed publishedAfter / publishedBefore', async () => {
    for (const name of ['publishedAfter', 'publishedBefore'] as const) {
      const error = await failure(search({ q: 'zebra', [name]: '2024-06-01 12:00:00' }));
      expect(error.status).toBe(400);
      expect(error.data).toMatchObject({
        error: {
          code: 400,
          errors: [{ domain: 'youtube.search', reason: name === 'publishedAfter' ? 'invalidPublishedAfter' : 'invalidPublishedBefore', location: name }],
        },
      });
    }
  });

  it('answers an empty result in the documented shape', async () => {
    const page = await search({ q: 'zebra', type: ['channel'] });
    expect(page).toEqual({
      kind: 'youtube#searchListResponse',
      etag: expect.stringMatching(/^[A-Za-z0-9_-]{27}$/) as unknown,
      regionCode: 'US',
      pageInfo: { totalResults: 0, resultsPerPage: 0 },
      items: [],
    });
  });
});

describe('search.list results', () => {
  it('returns the newest matching videos first, with the full resource shape', async () => {
    const truth = h.sim.groundTruth('zebra');
    expect(truth.length).toBeGreaterThan(100);
    const page = await search({ q: 'zebra', order: 'date', maxResults: 50 });
    expect(page.items!.map((item) => item.id!.videoId)).toEqual(truth.slice(0, 50).map((v) => v.videoId));
    expect(page.pageInfo).toEqual({ totalResults: truth.length, resultsPerPage: 50 });
    expect(page.nextPageToken).toBe('CDIQAA');
    expect(page.prevPageToken).toBeUndefined();

    const first = page.items![0]!;
    const video = truth[0]!;
    const id = video.videoId;
    expect(id).toMatch(/^[A-Za-z0-9_-]{10}[AEIMQUYcgkosw048]$/);
    expect(first).toEqual({
      kind: 'youtube#searchResult',
      etag: expect.stringMatching(/^[A-Za-z0-9_-]{27}$/) as unknown,
      id: { kind: 'youtube#video', videoId: id },
      snippet: {
        publishedAt: first.snippet!.publishedAt,
        channelId: video.channelId,
        title: youtubeEncoded(video.title),
        description: youtubeEncoded(Array.from(video.description).slice(0, 160).join('')),
        thumbnails: {
          default: { url: `https://i.ytimg.com/vi/${id}/default.jpg`, width: 120, height: 90 },
          medium: { url: `https://i.ytimg.com/vi/${id}/mqdefault.jpg`, width: 320, height: 180 },
          high: { url: `https://i.ytimg.com/vi/${id}/hqdefault.jpg`, width: 480, height: 360 },
        },
        channelTitle: youtubeEncoded(video.channelTitle),
        liveBroadcastContent: video.liveBroadcastContent,
        publishTime: first.snippet!.publishedAt,
      },
    });
    expect(Date.parse(first.snippet!.publishedAt!)).toBe(Date.parse(video.publishedAt));
    for (const item of page.items!) expect(words(decode(`${item.snippet!.title} ${item.snippet!.description}`)).has('zebra')).toBe(true);
  });

  it('HTML-encodes text as YouTube does, truncates descriptions, and mixes timestamp forms', async () => {
    const truth = new Map(h.sim.groundTruth('zebra').map((v) => [v.videoId, v]));
    const items = (await search({ q: 'zebra', order: 'date', maxResults: 50 })).items!;
    let encoded = 0;
    let truncated = 0;
    for (const item of items) {
      const video = truth.get(item.id!.videoId!)!;
      expect(item.snippet!.title).toBe(youtubeEncoded(video.title));
      expect(decode(item.snippet!.title)).toBe(video.title);
      expect(decode(item.snippet!.channelTitle)).toBe(video.channelTitle);
      if (/['"&<>]/.test(video.title)) encoded += 1;
      const chars = Array.from(video.description);
      expect(decode(item.snippet!.description)).toBe(chars.slice(0, 160).join(''));
      if (chars.length > 160) truncated += 1;
    }
    expect(encoded).toBeGreaterThan(5);
    expect(truncated).toBeGreaterThan(5);
    expect(items.some((item) => item.snippet!.title!.includes('&#39;'))).toBe(true);
    const stamps = items.map((item) => item.snippet!.publishedAt!);
    expect(stamps.some((s) => /:\d\d\.000Z$/.test(s))).toBe(true);
    expect(stamps.some((s) => /:\d\dZ$/.test(s))).toBe(true);
  });

  it('matches every word case-insensitively, excludes -words and accepts a|b', async () => {
    const zebra = h.sim.groundTruth('zebra');
    const quokka = h.sim.groundTruth('quokka');
    expect((await search({ q: 'ZEBRA', maxResults: 50, order: 'date' })).pageInfo!.totalResults).toBe(zebra.length);

    // A new query gets a stream of its own on first search; the older streams' videos match too.
    const either = await search({ q: 'zebra|quokka', order: 'date', maxResults: 50 });
    const eitherTruth = h.sim.groundTruth('zebra|quokka');
    const eitherIds = new Set(eitherTruth.map((v) => v.videoId));
    expect(eitherTruth.filter((v) => v.stream === 'zebra').length).toBe(zebra.length);
    expect(eitherTruth.filter((v) => v.stream === 'quokka').length).toBe(quokka.length);
    expect([...zebra, ...quokka].every((v) => eitherIds.has(v.videoId))).toBe(true);
    expect(eitherTruth.every((v) => words(`${v.title} ${v.description}`).has('zebra') || words(`${v.title} ${v.description}`).has('quokka'))).toBe(true);
    expect(either.pageInfo!.totalResults).toBe(eitherTruth.length);
    expect(either.items!.map((i) => i.id!.videoId)).toEqual(eitherTruth.slice(0, 50).map((v) => v.videoId));
    expect((await search({ q: 'zebra | quokka' })).pageInfo!.totalResults).toBe(eitherTruth.length);

    const excludedTruth = h.sim.groundTruth('zebra -review');
    const zebraWithoutReview = zebra.filter((v) => !words(`${v.title} ${v.description}`).has('review'));
    expect(zebraWithoutReview.length).toBeLessThan(zebra.length);
    expect(excludedTruth.filter((v) => v.stream === 'zebra').map((v) => v.videoId)).toEqual(zebraWithoutReview.map((v) => v.videoId));
    const excluded = await search({ q: 'zebra -review', order: 'date', maxResults: 50 });
    expect(excluded.pageInfo!.totalResults).toBe(excludedTruth.length);
    expect(excluded.items!.map((i) => i.id!.videoId)).toEqual(excludedTruth.slice(0, 50).map((v) => v.videoId));
    for (const item of excluded.items!) {
      const text = words(decode(`${item.snippet!.title} ${item.snippet!.description}`));
      expect(text.has('zebra') && !text.has('review')).toBe(true);
    }
  });

  it('searches across streams: "tea review" finds videos of the "tea" stream', async () => {
    const truth = h.sim.groundTruth('tea review');
    const fromTea = truth.filter((v) => v.stream === 'tea');
    expect(fromTea.length).toBeGreaterThan(0);
    expect(fromTea.every((v) => words(`${v.title} ${v.description}`).has('review'))).toBe(true);
    const page = await search({ q: 'tea review', order: 'date', maxResults: 50 });
    expect(page.pageInfo!.totalResults).toBe(truth.length);
    expect(page.items!.map((i) => i.id!.videoId)).toEqual(truth.slice(0, 50).map((v) => v.videoId));
  });

  it('treats publishedAfter and publishedBefore as inclusive bounds', async () => {
    const truth = h.sim.groundTruth('zebra');
    const newer = truth[10]!;
    const older = truth[20]!;
    const between = truth.filter((v) => v.publishedAt >= older.publishedAt && v.publishedAt <= newer.publishedAt);
    const page = await search({ q: 'zebra', order: 'date', maxResults: 50, publishedAfter: older.publishedAt, publishedBefore: newer.publishedAt });
    const ids = page.items!.map((i) => i.id!.videoId);
    expect(ids).toEqual(between.map((v) => v.videoId));
    expect(ids).toContain(newer.videoId);
    expect(ids).toContain(older.videoId);

    const justAfter = new Date(Date.parse(older.publishedAt) + 1).toISOString();
    const justBefore = new Date(Date.parse(newer.publishedAt) - 1).toISOString();
    const inner = await search({ q: 'zebra', order: 'date', maxResults: 50, publishedAfter: justAfter, publishedBefore: justBefore });
    expect(inner.items!.map((i) => i.id!.videoId)).toEqual(ids.slice(1, -1));
    // A bound with a +02:00 offset names the same instant.
    const offset = older.publishedAt.replace(/T(\d\d)/, (_m, hour: string) => `T${String(Number(hour) + 2).padStart(2, '0')}`).replace(/\.000Z$/, '+02:00');
    const sameInstant = await search({ q: 'zebra', order: 'date', maxResults: 50, publishedAfter: offset, publishedBefore: newer.publishedAt });
    expect(sameInstant.items!.map((i) => i.id!.videoId)).toEqual(ids);
  });
});

describe('search.list paging', () => {
  it('walks every result once with nextPageToken and stops at the 500 cap', async () => {
    const truth = h.sim.groundTruth('pager');
    expect(truth.length).toBeGreaterThan(1000);
    const seen: string[] = [];
    const tokens: string[] = [];
    let pageToken: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const page = await search({ q: 'pager', order: 'date', maxResults: 50, ...(pageToken === undefined ? {} : { pageToken }) });
      expect(page.pageInfo!.totalResults).toBe(truth.length);
      if (pages === 0) expect(page.prevPageToken).toBeUndefined();
      else expect(page.prevPageToken).toMatch(/^[A-Za-z0-9_-]+$/);
      seen.push(...page.items!.map((i) => i.id!.videoId!));
      pageToken = page.nextPageToken ?? undefined;
      if (pageToken === undefined) break;
      tokens.push(pageToken);
    }
    expect(seen).toHaveLength(500);
    expect(new Set(seen).size).toBe(500);
    expect(seen).toEqual(truth.slice(0, 500).map((v) => v.videoId));
    expect(tokens[0]).toBe('CDIQAA');
    expect(tokens).toHaveLength(9);
  });

  it('goes back with prevPageToken', async () => {
    const first = await search({ q: 'zebra', order: 'date', maxResults: 7 });
    const second = await search({ q: 'zebra', order: 'date', maxResults: 7, pageToken: first.nextPageToken });
    expect(second.prevPageToken).toBe('CAcQAQ');
    const back = await search({ q: 'zebra', order: 'date', maxResults: 7, pageToken: second.prevPageToken });
    expect(back.items).toEqual(first.items);
    expect(back.prevPageToken).toBeUndefined();
  });

  it('ends without nextPageToken when the results run out before 500', async () => {
    const truth = h.sim.groundTruth('zebra');
    const cutoff = truth[11]!.publishedAt;
    const expected = truth.filter((v) => v.publishedAt >= cutoff).map((v) => v.videoId);
    const ids: string[] = [];
    let pageToken: string | undefined;
    const sizes: number[] = [];
    do {
      const page = await search({ q: 'zebra', order: 'date', maxResults: 5, publishedAfter: cutoff, ...(pageToken ? { pageToken } : {}) });
      sizes.push(page.items!.length);
      ids.push(...page.items!.map((i) => i.id!.videoId!));
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken !== undefined);
    expect(ids).toEqual(expected);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(expected.length);
    expect(sizes.at(-1)).toBeGreaterThan(0);
  });

  it('rejects a page token it did not issue', async () => {
    for (const pageToken of ['garbage!', 'CAUQAA_x', 'AAAAAA']) {
      const error = await failure(search({ q: 'zebra', pageToken }));
      const message = 'The request specifies an invalid page token.';
      expect(error).toEqual({
        status: 400,
        data: {
          error: {
            code: 400,
            message,
            errors: [{ message, domain: 'youtube.parameter', reason: 'invalidPageToken', location: 'pageToken', locationType: 'parameter' }],
          },
        },
      });
    }
  });
});

describe('search indexing delay', () => {
  it('shows a published video only once the clock passes its indexedAt', async () => {
    const late = await startSim({ publishIntervalMs: 30_000, historyMs: 3_600_000, maxIndexDelayMs: 120_000, queries: [{ q: 'heron' }] });
    try {
      const pending = late.sim.groundTruth('heron').find((v) => !v.indexed)!;
      expect(pending).toBeDefined();
      expect(Date.parse(pending.indexedAt)).toBeGreaterThan(Date.parse(T0));
      const lookFor = async () => {
        const response = await late.client().search.list(
          { part: ['snippet'], q: 'heron', type: ['video'], order: 'date', maxResults: 50, publishedAfter: pending.publishedAt, publishedBefore: pending.publishedAt },
          { retry: false },
        );
        return response.data.items!.map((i) => i.id!.videoId);
      };
      expect(await lookFor()).not.toContain(pending.videoId);
      late.sim.setTime(Date.parse(pending.indexedAt) - 1);
      expect(await lookFor()).not.toContain(pending.videoId);
      late.sim.setTime(pending.indexedAt);
      expect(await lookFor()).toContain(pending.videoId);
    } finally {
      await late.close();
    }
  });
});
