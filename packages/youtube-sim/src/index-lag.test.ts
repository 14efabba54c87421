// The indexing lag: the tiered model, its default long tail measured over many videos, the
// `maxIndexDelayMs` shorthand, and search honouring a lag of hours.
import { afterEach, describe, expect, it } from 'vitest';
import { parseIndexLag, parseIndexLagText } from './index-lag.js';
import { createYoutubeSimulator, DEFAULT_INDEX_LAG, EXACT_SEARCH, lagFor, type GroundTruthVideo } from './index.js';
import { startSim, T0, type SimHarness } from './testing/sim-harness.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const lagOf = (video: GroundTruthVideo) => Date.parse(video.indexedAt) - Date.parse(video.publishedAt);

let h: SimHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('the lag model', () => {
  it('maps a uniform draw through the tiers (cumulative, uniform within each)', () => {
    expect(DEFAULT_INDEX_LAG).toEqual([
      { share: 0.965, maxMs: 2 * MINUTE },
      { share: 0.03, maxMs: HOUR },
      { share: 0.005, maxMs: 12 * HOUR },
    ]);
    const lag = (u: number) => lagFor(DEFAULT_INDEX_LAG, u);
    expect(lag(0)).toBe(0);
    expect(lag(0.965 / 2)).toBe(MINUTE);
    expect(lag(0.965)).toBe(2 * MINUTE);
    expect(lag(0.965 + 0.015)).toBe(31 * MINUTE);
    expect(lag(0.995)).toBe(HOUR);
    expect(lag(0.9975)).toBe(6.5 * HOUR);
    expect(lag(1)).toBe(12 * HOUR);
    expect(lagFor([{ share: 1, maxMs: 0 }], 0.7)).toBe(0);
    expect(lagFor([{ share: 0, maxMs: 10 }, { share: 1, maxMs: 20 }], 0)).toBe(10);
  });

  it('refuses tiers whose shares do not add up to 1 or whose bounds go down', () => {
    expect(() => parseIndexLag([{ share: 0.9, maxMs: 1000 }])).toThrow(/add up to 1/);
    expect(() => parseIndexLag([{ share: 0.5, maxMs: 1000 }, { share: 0.5, maxMs: 500 }])).toThrow(RangeError);
    expect(() => parseIndexLag([{ share: -0.5, maxMs: 1000 }, { share: 1.5, maxMs: 2000 }])).toThrow(RangeError);
    expect(() => parseIndexLag([])).toThrow(RangeError);
    expect(() => createYoutubeSimulator({ indexLag: [{ share: 0.5, maxMs: 1000 }] })).toThrow(RangeError);
    expect(() => createYoutubeSimulator({ indexLag: DEFAULT_INDEX_LAG, maxIndexDelayMs: 0 })).toThrow(/either/);
    expect(parseIndexLagText('0.965:120000, 0.03:3600000,0.005:43200000')).toEqual(DEFAULT_INDEX_LAG);
    expect(() => parseIndexLagText('0.5:1000')).toThrow(RangeError);
    expect(() => parseIndexLagText('half:1000')).toThrow(RangeError);
  });
});

describe('the default lag over many videos', () => {
  it('puts 96.5 % within 2 minutes, 3 % within 2-60 minutes and 0.5 % within 1-12 hours, uniform within each', () => {
    const sim = createYoutubeSimulator({ clock: T0, publishIntervalMs: 1_000, historyMs: 12 * HOUR, maxHistoryVideos: 50_000 });
    const lags = sim.groundTruth('sparrow').map(lagOf);
    expect(lags.length).toBeGreaterThan(40_000);
    const tiers = [
      lags.filter((lag) => lag <= 2 * MINUTE),
      lags.filter((lag) => lag > 2 * MINUTE && lag <= HOUR),
      lags.filter((lag) => lag > HOUR && lag <= 12 * HOUR),
    ];
    const shares = tiers.map((tier) => tier.length / lags.length);
    expect(lags.every((lag) => lag >= 0 && lag <= 12 * HOUR)).toBe(true);
    // About 4.5 standard deviations of a binomial draw over 43,000 videos.
    expect(Math.abs(shares[0]! - 0.965)).toBeLessThan(0.004);
    expect(Math.abs(shares[1]! - 0.03)).toBeLessThan(0.004);
    expect(Math.abs(shares[2]! - 0.005)).toBeLessThan(0.0016);
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    expect(mean(tiers[0]!) / MINUTE).toBeCloseTo(1, 1);
    expect(Math.abs(mean(tiers[1]!) / MINUTE - 31)).toBeLessThan(2.5);
    expect(Math.abs(mean(tiers[2]!) / HOUR - 6.5)).toBeLessThan(1);
    // Uniform within the first tier: each half of it holds about half of its videos.
    expect(tiers[0]!.filter((lag) => lag <= MINUTE).length / tiers[0]!.length).toBeCloseTo(0.5, 1);
  });

  it('is a pure function of the seed', () => {
    const options = { clock: T0, publishIntervalMs: 30_000, historyMs: 24 * HOUR };
    const a = createYoutubeSimulator({ ...options, seed: 9 }).groundTruth('sparrow');
    const b = createYoutubeSimulator({ ...options, seed: 9 }).groundTruth('sparrow');
    const c = createYoutubeSimulator({ ...options, seed: 10 }).groundTruth('sparrow');
    expect(a.map((v) => v.indexedAt)).toEqual(b.map((v) => v.indexedAt));
    expect(c.map(lagOf)).not.toEqual(a.map(lagOf));
  });
});

describe('maxIndexDelayMs', () => {
  it('0 indexes every video the moment it is published', () => {
    const truth = createYoutubeSimulator({ clock: T0, publishIntervalMs: 10_000, historyMs: 6 * HOUR, maxIndexDelayMs: 0 }).groundTruth('wren');
    expect(truth.length).toBeGreaterThan(2_000);
    expect(truth.every((video) => video.indexedAt === video.publishedAt && video.indexed && video.searchable)).toBe(true);
  });

  it('spreads the lag uniformly over [0, max]', () => {
    const lags = createYoutubeSimulator({ clock: T0, publishIntervalMs: 5_000, historyMs: 12 * HOUR, maxIndexDelayMs: 120_000 })
      .groundTruth('wren')
      .map(lagOf);
    expect(lags.every((lag) => lag >= 0 && lag <= 120_000)).toBe(true);
    const mean = lags.reduce((sum, lag) => sum + lag, 0) / lags.length;
    expect(Math.abs(mean - 60_000)).toBeLessThan(2_000);
    expect(lags.filter((lag) => lag <= 30_000).length / lags.length).toBeCloseTo(0.25, 1);
  });
});

describe('search and the long tail', () => {
  it('finds a video hours late: not before its indexedAt, and from then on', async () => {
    // Default lag (the harness's maxIndexDelayMs: 0 taken back out).
    h = await startSim({ ...EXACT_SEARCH, maxIndexDelayMs: undefined, publishIntervalMs: 5_000, historyMs: 0 });
    h.sim.advance(18 * HOUR);
    const late = h.sim
      .groundTruth('plover')
      .filter((video) => lagOf(video) > 2 * HOUR && Date.parse(video.publishedAt) < Date.parse(T0) + 4 * HOUR)
      .at(-1);
    expect(late).toBeDefined();
    const lookFor = async () => {
      const response = await h!.client().search.list(
        { part: ['id'], q: 'plover', type: ['video'], order: 'date', maxResults: 50, publishedAfter: late!.publishedAt, publishedBefore: late!.publishedAt },
        { retry: false },
      );
      return response.data.items!.map((item) => item.id!.videoId);
    };
    h.sim.setTime(Date.parse(late!.publishedAt) + HOUR);
    expect(await lookFor()).not.toContain(late!.videoId);
    expect(h.sim.groundTruth('plover').find((video) => video.videoId === late!.videoId)).toMatchObject({ indexed: false, searchable: false });
    h.sim.setTime(Date.parse(late!.indexedAt) - 1);
    expect(await lookFor()).not.toContain(late!.videoId);
    h.sim.setTime(late!.indexedAt);
    expect(await lookFor()).toContain(late!.videoId);
  });
});
