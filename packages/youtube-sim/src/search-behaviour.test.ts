// Search results that do not prove anything on their own: short pages that still carry a
// nextPageToken, windows that leak videos from just outside, and old windows that return less.
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SEARCH_BEHAVIOUR, EXACT_SEARCH, type GroundTruthVideo, type YoutubeSimulatorOptions } from './index.js';
import { encodePageToken } from './page-token.js';
import { startSim, T0, type SimHarness } from './testing/sim-harness.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let h: SimHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function start(options: YoutubeSimulatorOptions): Promise<SimHarness> {
  h = await startSim({ ...EXACT_SEARCH, publishIntervalMs: 60_000, historyMs: 12 * HOUR, searchCallsPerDay: 100_000, ...options });
  return h;
}

interface Page {
  ids: string[];
  published: number[];
  nextPageToken: string | undefined;
}

async function page(harness: SimHarness, params: Record<string, unknown>): Promise<Page> {
  const response = await harness
    .client()
    .search.list({ part: ['snippet'], q: 'pipit', type: ['video'], order: 'date', maxResults: 50, ...params }, { retry: false });
  const items = response.data.items!;
  return {
    ids: items.map((item) => item.id!.videoId!),
    published: items.map((item) => Date.parse(item.snippet!.publishedAt!)),
    nextPageToken: response.data.nextPageToken ?? undefined,
  };
}

/** Pages until no token is returned; every page's items in order. */
async function pageThrough(harness: SimHarness, params: Record<string, unknown>): Promise<Page[]> {
  const pages: Page[] = [];
  let pageToken: string | undefined;
  do {
    const next = await page(harness, { ...params, ...(pageToken === undefined ? {} : { pageToken }) });
    pages.push(next);
    pageToken = next.nextPageToken;
  } while (pageToken !== undefined && pages.length < 100);
  return pages;
}

const isoOf = (ms: number) => new Date(ms).toISOString();

describe('defaults', () => {
  it('holds back as documented unless told otherwise', () => {
    expect(DEFAULT_SEARCH_BEHAVIOUR).toEqual({ shortPageShare: 0.05, windowLeakShare: 0.03, fadeAfterMs: 7 * DAY, fadeShare: 0.3 });
    expect(EXACT_SEARCH).toMatchObject({ shortPageShare: 0, windowLeakShare: 0, fadeShare: 0 });
  });
});

describe('short pages', () => {
  it('can hold fewer items than maxResults and still carry a token; paging on loses nothing, stopping early does', async () => {
    const sim = await start({ shortPageShare: 1 });
    const truth = sim.sim.groundTruth('pipit');
    const pages = await pageThrough(sim, {});
    const seen = pages.flatMap((p) => p.ids);
    // Every page is short, the token continues exactly after its last item, and the ~500 cap still ends it.
    expect(seen).toEqual(truth.slice(0, 500).map((v) => v.videoId));
    let offset = 0;
    for (const p of pages.slice(0, -1)) {
      const available = Math.min(50, 500 - offset);
      expect(p.ids.length).toBeLessThan(available);
      expect(p.ids.length).toBeGreaterThanOrEqual(Math.max(1, Math.floor(0.4 * available)));
      expect(p.nextPageToken).toBe(encodePageToken({ offset: offset + p.ids.length, direction: 'next' }));
      offset += p.ids.length;
    }
    expect(pages.at(-1)!.nextPageToken).toBeUndefined();
    // A client that takes a short page for the end has lost the rest of the page.
    expect(pages[0]!.ids.length).toBeLessThan(truth.length);

    // A window with fewer results than the cap: every one of them, in order, nothing twice.
    const after = truth[119]!.publishedAt;
    const windowed = await pageThrough(sim, { publishedAfter: after, maxResults: 25 });
    expect(windowed.flatMap((p) => p.ids)).toEqual(truth.filter((v) => v.publishedAt >= after).map((v) => v.videoId));
    expect(windowed.length).toBeGreaterThan(120 / 25);
  });

  it('shortens about 5 % of pages by default, the same request always the same way', async () => {
    const sim = await start({ shortPageShare: DEFAULT_SEARCH_BEHAVIOUR.shortPageShare });
    let short = 0;
    const requests = 400;
    for (let offset = 0; offset < requests; offset++) {
      const pageToken = offset === 0 ? undefined : encodePageToken({ offset, direction: 'next' });
      const params = { maxResults: 25, ...(pageToken === undefined ? {} : { pageToken }) };
      const first = await page(sim, params);
      if (first.ids.length < 25) {
        short += 1;
        expect(first.nextPageToken).toBe(encodePageToken({ offset: offset + first.ids.length, direction: 'next' }));
        expect(await page(sim, params)).toEqual(first);
      }
    }
    expect(short / requests).toBeGreaterThan(0.02);
    expect(short / requests).toBeLessThan(0.09);
  });

  it('switches off at 0', async () => {
    const sim = await start({ shortPageShare: 0 });
    const pages = await pageThrough(sim, { maxResults: 20 });
    expect(pages.slice(0, -1).every((p) => p.ids.length === 20)).toBe(true);
  });
});

describe('window leaks', () => {
  const outside = (p: Page, afterMs: number, beforeMs: number) => p.published.filter((ms) => ms < afterMs || ms > beforeMs);

  it('adds 1-3 matching, indexed videos from minutes to hours beyond the window, in date order, and loses none inside it', async () => {
    const sim = await start({ windowLeakShare: 1 });
    const truth = sim.sim.groundTruth('pipit');
    const byId = new Map(truth.map((v) => [v.videoId, v]));
    const afterMs = Date.parse(T0) - 6 * HOUR;
    const beforeMs = Date.parse(T0) - 4 * HOUR;
    const window = { publishedAfter: isoOf(afterMs), publishedBefore: isoOf(beforeMs) };
    const inside = truth.filter((v) => Date.parse(v.publishedAt) >= afterMs && Date.parse(v.publishedAt) <= beforeMs).map((v) => v.videoId);

    const pages = await pageThrough(sim, { ...window, maxResults: 50 });
    const leaked: GroundTruthVideo[] = [];
    for (const p of pages) {
      const extra = p.ids.filter((id) => !inside.includes(id));
      expect(extra.length).toBeGreaterThanOrEqual(1);
      expect(extra.length).toBeLessThanOrEqual(3);
      expect(p.ids.length).toBeLessThanOrEqual(50);
      expect(outside(p, afterMs, beforeMs)).toHaveLength(extra.length);
      expect([...p.published].sort((a, b) => b - a)).toEqual(p.published);
      leaked.push(...extra.map((id) => byId.get(id)!));
    }
    for (const video of leaked) {
      const ms = Date.parse(video.publishedAt);
      const beyond = ms < afterMs ? afterMs - ms : ms - beforeMs;
      expect(beyond).toBeGreaterThan(0);
      expect(beyond).toBeLessThanOrEqual(3 * HOUR);
      expect(video.searchable).toBe(true);
    }
    // Nothing inside the window was pushed out for good.
    expect(new Set(pages.flatMap((p) => p.ids).filter((id) => inside.includes(id)))).toEqual(new Set(inside));

    // With only publishedAfter, the leak comes from before it.
    const open = await page(sim, { publishedAfter: window.publishedAfter, maxResults: 10 });
    expect(outside(open, afterMs, Number.POSITIVE_INFINITY).length).toBeGreaterThanOrEqual(1);
    // Without a window there is nothing to leak from.
    expect((await page(sim, { maxResults: 10 })).ids).toEqual(truth.slice(0, 10).map((v) => v.videoId));
  });

  it('leaks in about 3 % of windowed requests by default, the same request always the same way', async () => {
    const sim = await start({ windowLeakShare: DEFAULT_SEARCH_BEHAVIOUR.windowLeakShare });
    let leaks = 0;
    const requests = 400;
    for (let i = 0; i < requests; i++) {
      const afterMs = Date.parse(T0) - 8 * HOUR + i * MINUTE;
      const beforeMs = afterMs + 30 * MINUTE;
      const params = { publishedAfter: isoOf(afterMs), publishedBefore: isoOf(beforeMs), maxResults: 50 };
      const first = await page(sim, params);
      if (outside(first, afterMs, beforeMs).length > 0) {
        leaks += 1;
        expect(await page(sim, params)).toEqual(first);
      }
    }
    expect(leaks / requests).toBeGreaterThan(0.01);
    expect(leaks / requests).toBeLessThan(0.06);
  });

  it('switches off at 0', async () => {
    const sim = await start({ windowLeakShare: 0 });
    const afterMs = Date.parse(T0) - 6 * HOUR;
    const beforeMs = Date.parse(T0) - 4 * HOUR;
    for (let i = 0; i < 50; i++) {
      const p = await page(sim, { publishedAfter: isoOf(afterMs + i * MINUTE), publishedBefore: isoOf(beforeMs), maxResults: 10 });
      expect(outside(p, afterMs + i * MINUTE, beforeMs)).toEqual([]);
    }
  });
});

describe('old windows fade', () => {
  const startFading = (options: YoutubeSimulatorOptions = {}) =>
    start({ fadeShare: 0.3, fadeAfterMs: 7 * DAY, queries: [{ q: 'pipit', publishIntervalMs: 10 * MINUTE, startAt: Date.parse(T0) - 10 * DAY }], ...options });

  it('leaves about 30 % of videos older than 7 days out of search, as ground truth says', async () => {
    const sim = await startFading();
    const truth = sim.sim.groundTruth('pipit');
    const cutoff = Date.parse(T0) - 7 * DAY;
    const old = truth.filter((v) => Date.parse(v.publishedAt) < cutoff);
    const young = truth.filter((v) => Date.parse(v.publishedAt) >= cutoff);
    expect(old.length).toBeGreaterThan(400);
    expect(young.every((v) => v.searchable)).toBe(true);
    const faded = old.filter((v) => !v.searchable);
    expect(faded.every((v) => v.indexed)).toBe(true);
    expect(faded.length / old.length).toBeGreaterThan(0.23);
    expect(faded.length / old.length).toBeLessThan(0.37);

    // Search over an old window returns exactly the videos ground truth calls searchable.
    const window = { publishedAfter: isoOf(cutoff - 2 * DAY), publishedBefore: isoOf(cutoff - 1) };
    const ids = (await pageThrough(sim, window)).flatMap((p) => p.ids);
    const inWindow = truth.filter((v) => v.publishedAt >= window.publishedAfter && v.publishedAt <= window.publishedBefore);
    expect(ids).toEqual(inWindow.filter((v) => v.searchable).map((v) => v.videoId));
    expect(ids.length).toBeLessThan(inWindow.length);
  });

  it('fades a video for good once it is old, and more of a window as it ages', async () => {
    const sim = await startFading();
    const fadedNow = new Set(sim.sim.groundTruth('pipit').filter((v) => !v.searchable).map((v) => v.videoId));
    const window = { publishedAfter: isoOf(Date.parse(T0) - 3 * DAY), publishedBefore: isoOf(Date.parse(T0) - 2 * DAY) };
    const youngWindow = (await pageThrough(sim, window)).flatMap((p) => p.ids);
    sim.sim.advance(5 * DAY);
    const later = sim.sim.groundTruth('pipit');
    const fadedLater = new Set(later.filter((v) => !v.searchable).map((v) => v.videoId));
    expect([...fadedNow].every((id) => fadedLater.has(id))).toBe(true);
    expect(fadedLater.size).toBeGreaterThan(fadedNow.size);
    const oldWindow = (await pageThrough(sim, window)).flatMap((p) => p.ids);
    expect(oldWindow.length).toBeLessThan(youngWindow.length);
    expect(oldWindow.every((id) => youngWindow.includes(id))).toBe(true);
  });

  it('is set while running: 0 brings every video back, fadeAfterMs moves the age', async () => {
    const sim = await startFading();
    sim.sim.setSearchBehaviour({ fadeShare: 0 });
    expect(sim.sim.groundTruth('pipit').every((v) => v.searchable)).toBe(true);
    sim.sim.setSearchBehaviour({ fadeShare: 0.3, fadeAfterMs: DAY });
    const truth = sim.sim.groundTruth('pipit');
    const dayOld = truth.filter((v) => Date.parse(v.publishedAt) < Date.parse(T0) - DAY);
    expect(dayOld.filter((v) => !v.searchable).length / dayOld.length).toBeGreaterThan(0.23);
    expect(truth.filter((v) => Date.parse(v.publishedAt) >= Date.parse(T0) - DAY).every((v) => v.searchable)).toBe(true);
  });
});
