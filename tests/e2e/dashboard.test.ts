// End to end: the dashboard at / in headless Chromium (playwright-core) against the API as
// deployed (createApiRuntime, listening on a port) on the test MySQL and Redis. Videos are
// stored the way the worker stores them: the repository's upsert (which writes the new-video
// events to the outbox), a page-1 snapshot refresh, and the worker's relay moving the events to
// the feed logs that the API's /videos/stream serves to the page.
// Some videos are then enriched as the enrichment job stores what videos.list tells (the details
// repository's store): views, likes, duration, live state; the others stay as a search found them.
// Thumbnails come from i.ytimg.com, which is unreachable here; the browser is told so at once
// (every request to it fails) and the page must show its placeholder instead.
// `SCREENSHOT=1 npx vitest run tests/e2e/dashboard.test.ts` also rewrites docs/dashboard.png.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ALL_FEED,
  ALL_VIDEOS_SCOPE,
  DEMO_TOPICS,
  ManualClock,
  createFeedEventRepository,
  createFeedLog,
  createFeedRelay,
  createSearchQueryRepository,
  createSnapshotWriter,
  createVideoDetailsRepository,
  createVideoRepository,
  demoTopicIndex,
  demoVideo,
  feedLogKeys,
  feedLogSink,
  systemClock,
  type FeedRelay,
  type VideoDetails,
  type VideoInput,
  type VideoRepository,
} from '@tubefeed/core';
import { clearRedisPrefix, createTestDatabase, createTestRedis, silentLogger, testConfig, type TestDatabase } from '@tubefeed/core/testing';
import { createApiRuntime, type ApiRuntime } from '../../apps/api/src/api-runtime.js';
import { DASHBOARD_CSP } from '../../apps/api/src/plugins/security-headers.js';
import { parseCsp } from '../../apps/api/src/testing/csp.js';
import { launchChromium } from './browser.js';

const BUILT_SCRIPT = fileURLToPath(new URL('../../apps/api/web/dist/main.js', import.meta.url));
const SCREENSHOT = fileURLToPath(new URL('../../docs/dashboard.png', import.meta.url));
const THUMBNAILS = /^https:\/\/i\.ytimg\.com\//;
const PAGE_SIZE = 24;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const now = Date.now();

/** When the seeded queries were last fetched. Times sit mid-minute, so "N min ago" is stable while the tests run. */
const FETCHED_AT = new Date(now - 90_000);
const STEEPED = { channelId: 'UCsteepedTeaCompany00001', channelTitle: 'Steeped Tea Co.' };
const HOW_TO_MAKE_TEA = 'How to make tea?';
const UNSAFE_TITLE = 'Tea & biscuits <b>live</b>: "the best" pairings, it\'s on';

let db: TestDatabase;
let api: ApiRuntime;
let baseUrl: string;
let browser: Browser;
let videos: VideoRepository;
let refreshSnapshots: () => Promise<unknown>;
/** A demo video on air now, and one scheduled (SCHEDULED_AT), enriched as such. */
let onAir: VideoInput;
let upcoming: VideoInput;
let relay: FeedRelay;
let redisPrefix: string;
let closeRedis: () => Promise<void>;
const queryIds = new Map<string, number>();
/** The followed query each stored video was found by, and how many each query's seeding run stored. */
const queryOf = new Map<string, string>();
const seededCount = new Map<string, number>();
/** Everything stored so far (tests that store more add to it); unavailable videos are not in it. */
const stored: VideoInput[] = [];
/** The language enrichment read for each enriched video (BCP 47, as YouTube writes it). */
const languageOf = new Map<string, string>();
/** Videos of the "tea" query that YouTube no longer returns (enrichment found them missing). */
let unavailable: VideoInput[] = [];
/** The channel of one of them, with no other tea video. */
const TASTING_ROOM = { channelId: 'UCtastingRoomArchive0001', channelTitle: 'Tasting Room Archive' };

function video(videoId: string, title: string, description: string, publishedAt: Date, channel = STEEPED): VideoInput {
  return {
    ...channel,
    videoId,
    title,
    description,
    publishedAt,
    thumbnails: {
      default: `https://i.ytimg.com/vi/${videoId}/default.jpg`,
      medium: `https://i.ytimg.com/vi/${videoId}/mqdefault.jpg`,
      high: `https://i.ytimg.com/vi/${videoId}/hqdefault.jpg`,
    },
    liveBroadcastContent: 'none',
  };
}

/**
 * What videos.list told of a video, as the enrichment job stores it (the description as search
 * gave it, so searches find the same videos).
 */
function enriched(video: VideoInput, values: Partial<VideoDetails>): VideoDetails {
  return {
    videoId: video.videoId,
    descriptionFull: video.description,
    tags: [],
    categoryId: '26',
    defaultLanguage: 'en',
    durationS: null,
    definition: 'hd',
    hasCaptions: false,
    madeForKids: false,
    viewCount: null,
    likeCount: null,
    commentCount: null,
    liveState: 'none',
    scheduledStartAt: null,
    actualStartAt: null,
    actualEndAt: null,
    ...values,
  };
}

/** The tea videos' ids, newest first (teaVideos). */
const TEA_IDS: readonly [string, string, string, string] = ['teaVideo001', 'teaVideo002', 'teaVideo003', 'teaVideo004'];

/** A broadcast scheduled three hours from now (the "Upcoming" badge's time). */
const SCHEDULED_AT = new Date(now + 3 * HOUR);

/**
 * The tea videos' details: distinct views and durations (so each sort has one order), likes
 * hidden on one, a broadcast that ended; "Tea & biscuits" (teaVideo004) is never enriched.
 */
function teaDetails(tea: readonly VideoInput[]): VideoDetails[] {
  const [howTo, kettle, matcha] = tea;
  return [
    enriched(howTo!, { durationS: 12 * 60 + 3, viewCount: 1_234_567, likeCount: 35_000, commentCount: 410 }),
    enriched(kettle!, {
      durationS: 3_723,
      viewCount: 980,
      likeCount: 12,
      commentCount: 3,
      liveState: 'completed',
      actualStartAt: new Date(now - 4 * HOUR),
      actualEndAt: new Date(now - 3 * HOUR),
    }),
    enriched(matcha!, { durationS: 95, viewCount: 15_400, likeCount: null, commentCount: null }),
  ];
}

/** The "tea" query's videos, on one channel; "How to make tea?" is the only video matching "tea how". */
function teaVideos(): VideoInput[] {
  const ago = (ms: number) => new Date(now - ms);
  return [
    video('teaVideo001', HOW_TO_MAKE_TEA, 'Loose leaf or bag, water just off the boil, three minutes: a proper cup.', ago(35.5 * MINUTE)),
    video('teaVideo002', 'Kettle showdown: gooseneck vs electric', 'Which kettle pours the better cup? We test both.', ago(3 * HOUR + 7 * MINUTE)),
    video('teaVideo003', 'Matcha whisking basics 🍵', 'Bamboo whisk, water temperature and the perfect foam.', ago(20 * HOUR)),
    video('teaVideo004', UNSAFE_TITLE, 'Shortbread, ginger nuts and a strong cup: our favourite pairings.', ago(50 * HOUR)),
  ];
}

/**
 * Realistic demo videos over the last three days, by topic (each topic is a followed query).
 * Left out: the demo's publish-time ties (their order depends on storage order) and titles that
 * would also match "tea how".
 */
function demoVideosByTopic(): VideoInput[][] {
  const count = 64;
  const byTopic: VideoInput[][] = DEMO_TOPICS.map(() => []);
  for (let index = 1; index < count; index++) {
    const video = demoVideo(index, { count, anchor: new Date(now - 8 * MINUTE), spanMs: 72 * HOUR });
    const text = `${video.title} ${video.description}`;
    if (index % 50 === 49 || (/\bhow/i.test(text) && /\btea/i.test(text))) continue;
    byTopic[demoTopicIndex(index)]!.push(video);
  }
  return byTopic;
}

async function store(batch: readonly VideoInput[], query: string): Promise<void> {
  await videos.upsertBatch(batch, { queryId: queryIds.get(query)! });
  stored.push(...batch);
  for (const video of batch) queryOf.set(video.videoId, query);
}

const newestFirst = (list: readonly VideoInput[]): VideoInput[] =>
  [...list].sort((a, b) => b.publishedAt.getTime() - a.publishedAt.getTime());
const idsOf = (list: readonly VideoInput[]): string[] => list.map((video) => video.videoId);

/** What a fetch run does after storing: refresh the page-1 snapshots, and kick the relay. */
async function storeAsAFetchRun(batch: readonly VideoInput[], query: string): Promise<void> {
  await store(batch, query);
  await refreshSnapshots();
  relay.kick();
}

let freshCount = 0;
/** A video published just now (a little later than the last one made), on its own channel. */
function freshVideo(title: string): VideoInput {
  freshCount++;
  const market = { channelId: 'UCstreetFoodMarket000001', channelTitle: 'Street Food Market' };
  return video(`fresh${String(freshCount).padStart(6, '0')}`, title, 'Uploaded a moment ago.', new Date(now + freshCount * 1000), market);
}

beforeAll(async () => {
  if (!existsSync(BUILT_SCRIPT)) {
    throw new Error(`The dashboard's scripts are not built (${BUILT_SCRIPT} is missing): run \`npm run build\` first`);
  }
  db = await createTestDatabase();
  const config = testConfig({ MYSQL_URL: db.url, YOUTUBE_API_KEYS: 'AIzaTestKey000000000001,AIzaTestKey000000000002,AIzaTestKey000000000003' });

  // Seed through the code the worker runs: follow, upsert with the query, record the outcome.
  const queries = createSearchQueryRepository({ db: db.kysely, clock: new ManualClock(FETCHED_AT) });
  videos = createVideoRepository({ db: db.kysely, clock: systemClock });
  for (const text of [...DEMO_TOPICS.map((topic) => topic.query), 'tea']) queryIds.set(text, (await queries.follow(text)).id);
  const byTopic = demoVideosByTopic();
  for (const [index, topic] of DEMO_TOPICS.entries()) {
    await store(byTopic[index]!, topic.query);
  }
  await store(teaVideos(), 'tea');
  // Enrichment, as the enrich-videos job stores a videos.list answer.
  const others = newestFirst(stored.filter((v) => queryOf.get(v.videoId) !== 'tea'));
  onAir = others[5]!;
  upcoming = others[9]!;
  // Two videos of "tea" that YouTube stopped returning (deleted, made private): kept, but hidden
  // unless asked for; not in `stored`, which is what every listing shows by default.
  unavailable = [
    video('goneVideo01', 'Removed by its owner: first steeping notes', 'No longer on YouTube.', new Date(now - 40 * MINUTE)),
    video('goneVideo02', 'Made private: archive tasting session', 'No longer on YouTube.', new Date(now - 26 * HOUR), TASTING_ROOM),
  ];
  await videos.upsertBatch(unavailable, { queryId: queryIds.get('tea')! });
  const found = [
    ...teaDetails(stored.filter((v) => queryOf.get(v.videoId) === 'tea')),
    enriched(onAir, { durationS: 0, viewCount: 2_100, likeCount: 150, liveState: 'live', actualStartAt: new Date(now - 25 * MINUTE) }),
    enriched(upcoming, { durationS: 0, viewCount: 0, liveState: 'upcoming', scheduledStartAt: SCHEDULED_AT }),
    // Languages other than plain English (the others enriched say `en`); no other detail known.
    ...(
      [
        [others[1]!, 'en-GB'],
        [others[2]!, 'pt-BR'],
        [others[3]!, 'pt'],
        [others[12]!, 'fr'],
        [others[14]!, 'en-US'],
      ] as const
    ).map(([video, defaultLanguage]) => enriched(video, { defaultLanguage })),
  ];
  for (const details of found) if (details.defaultLanguage !== null) languageOf.set(details.videoId, details.defaultLanguage);
  await createVideoDetailsRepository({ db: db.kysely }).store({
    at: new Date(),
    found: found.map((details) => ({ details, dueAt: new Date(now + HOUR) })),
    missing: unavailable.map((video) => ({ videoId: video.videoId, dueAt: new Date(now + HOUR) })),
  });
  for (const [text, id] of queryIds) {
    seededCount.set(text, stored.filter((video) => queryOf.get(video.videoId) === text).length);
    await queries.recordOutcome(id, 'ok', null, seededCount.get(text)!);
  }

  const redis = createTestRedis();
  const writer = createSnapshotWriter({ redis, prefix: config.redis.prefix, videos, now: () => new Date() });
  refreshSnapshots = () => writer.refresh([ALL_VIDEOS_SCOPE, ...queryIds.values()]);
  closeRedis = async () => {
    await clearRedisPrefix(redis, config.redis.prefix);
    redis.disconnect();
  };
  await refreshSnapshots();
  // The worker's relay, as the worker runs it: the seeded videos' events reach the logs first.
  redisPrefix = config.redis.prefix;
  relay = createFeedRelay({
    events: createFeedEventRepository({ db: db.kysely }),
    sinks: [feedLogSink(createFeedLog({ redis, prefix: config.redis.prefix, maxLength: config.push.logMaxLength, maxAgeMs: config.push.logMaxAgeMs }))],
    clock: systemClock,
    log: silentLogger,
    intervalMs: config.push.relayIntervalMs,
    retentionMs: config.push.logMaxAgeMs,
  });
  await relay.drain();
  relay.start();

  api = await createApiRuntime({ config, log: silentLogger, clock: systemClock });
  baseUrl = await api.app.listen({ port: 0, host: '127.0.0.1' });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await relay?.stop();
  await closeRedis?.();
  await db?.drop();
});

// ---- the browser side ------------------------------------------------------------------------

interface Opened {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Console errors, page errors, failed requests and error responses not declared expected. */
  readonly problems: string[];
  /** URLs (path and query) of every request to the API, in order. */
  readonly requests: string[];
  /** Declares the next error responses for this path deliberate (a 400 the page must show). */
  expectError(pathAndQuery: string): void;
}

const opened: Opened[] = [];

async function open(
  path = '/',
  viewport = { width: 1280, height: 900 },
  /** Runs before the page loads (routes, errors declared deliberate). */
  setup: (context: BrowserContext, expectError: (pathAndQuery: string) => void) => Promise<unknown> = () => Promise.resolve(),
): Promise<Opened> {
  const context = await browser.newContext({ viewport });
  // Offline here: fail thumbnail requests at once (and deterministically) instead of by DNS.
  await context.route(THUMBNAILS, (route) => route.abort('internetdisconnected'));
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems: string[] = [];
  const requests: string[] = [];
  const deliberate = new Set<string>();
  const local = (url: string) => url.startsWith(baseUrl);
  const pathOf = (url: string) => url.slice(baseUrl.length);
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const url = message.location().url;
    // Chromium logs each failed resource load; those are judged by their request below.
    if (message.text().startsWith('Failed to load resource') && (THUMBNAILS.test(url) || deliberate.has(pathOf(url)))) return;
    problems.push(`console: ${message.text()} (${url})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    if (local(request.url())) requests.push(pathOf(request.url()));
  });
  page.on('requestfailed', (request) => {
    const error = request.failure()?.errorText ?? '';
    // A live stream ends by being closed (the scope changed, the page went away): the browser
    // calls that an aborted request.
    if (local(request.url()) && pathOf(request.url()).startsWith('/videos/stream') && error === 'net::ERR_ABORTED') return;
    if (!THUMBNAILS.test(request.url())) problems.push(`request failed: ${request.url()} ${error}`);
  });
  page.on('response', (response) => {
    const url = response.url();
    if (response.status() >= 400 && !(local(url) && deliberate.has(pathOf(url)))) problems.push(`HTTP ${response.status()}: ${url}`);
  });
  const result: Opened = { page, context, problems, requests, expectError: (url) => deliberate.add(url) };
  await setup(context, result.expectError);
  opened.push(result);
  await page.goto(`${baseUrl}${path}`);
  await page.waitForSelector('#videos[aria-busy="false"]');
  return result;
}

afterEach(async () => {
  const pages = opened.splice(0);
  // Taken before closing: closing cancels whatever request is in flight, which is no fault of the page.
  const problems = pages.flatMap((p) => [...p.problems]);
  for (const { context } of pages) await context.close();
  // Every flow must run without a console error, a page error or a failed request.
  expect(problems).toEqual([]);
});

/** Waits for the page to get there: the browser, the API and the database all take their time under load. */
const eventually = <T>(probe: () => T | Promise<T>) => expect.poll(probe, { timeout: 10_000, interval: 50 });
const titles = (page: Page) => page.locator('#videos .card-title').allTextContents();
const cardIds = (page: Page) => page.evaluate<string[]>(`[...document.querySelectorAll('#videos .card')].map((card) => card.dataset.videoId)`);
/** What the page should say for a time less than an hour ago, now. */
const minutesAgo = (date: Date) => `${Math.floor((Date.now() - date.getTime()) / MINUTE)} min ago`;
const titlesOf = (list: readonly VideoInput[]) => list.map((video) => video.title);
const pageParams = (page: Page) => Object.fromEntries(new URL(page.url()).searchParams);
/** Card ids, each marked `*` while highlighted as new, in one look. */
const markedIds = (page: Page) =>
  page.evaluate<string[]>(`[...document.querySelectorAll('#videos .card')].map((card) => card.dataset.videoId + (card.classList.contains('card--new') ? '*' : ''))`);
const live = (page: Page) => page.locator('#live-status[data-state="connected"]').waitFor();
const listingRequests = (requests: readonly string[]) => requests.filter((url) => url.startsWith('/videos?')).length;
/**
 * Connected, and the page has read the listing twice: once to show it, and once more after the
 * stream joined the feed (for a video stored in between, which neither would otherwise hold).
 */
async function following({ page, requests }: Opened): Promise<void> {
  await live(page);
  await eventually(() => listingRequests(requests)).toBe(2);
}

describe('dashboard', () => {
  it('serves the page and its assets with a strict CSP, validators and no inline script', async () => {
    const response = await fetch(`${baseUrl}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(parseCsp(response.headers.get('content-security-policy'))).toEqual(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).toMatchObject({ 'default-src': ["'self'"], 'script-src': ["'self'"], 'img-src': ["'self'", 'https://i.ytimg.com', 'data:'] });
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const html = await response.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).not.toMatch(/\son[a-z]+=/);
    const again = await fetch(`${baseUrl}/`, { headers: { 'if-none-match': response.headers.get('etag')! } });
    expect(again.status).toBe(304);
    const script = await fetch(`${baseUrl}/assets/main.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await script.text()).toContain("from './video-list.js'");
    expect((await fetch(`${baseUrl}/assets/main.d.ts`)).status).toBe(404);
    expect((await fetch(`${baseUrl}/assets/..%2Fsrc%2Fmain.ts`)).status).toBe(404);
  });

  it('searches as you type: "tea how" shows "How to make tea?" and nothing else', async () => {
    const { page, requests, expectError } = await open('/');
    expect(await cardIds(page)).toEqual(idsOf(newestFirst(stored).slice(0, PAGE_SIZE)));

    await page.locator('#search').pressSequentially('tea how', { delay: 20 });
    await eventually(() => titles(page)).toEqual([HOW_TO_MAKE_TEA]);
    // Debounced: one search for the whole phrase, none per keystroke.
    expect(requests.filter((url) => url.startsWith('/videos/search'))).toEqual(['/videos/search?q=tea+how&sort=relevance&limit=24']);
    expect(await page.locator('#sort').inputValue()).toBe('relevance');
    expect(pageParams(page)).toEqual({ q: 'tea how' });
    const card = page.locator('#videos .card').first();
    expect(await card.locator('a').getAttribute('href')).toBe(`https://www.youtube.com/watch?v=${stored.find((v) => v.title === HOW_TO_MAKE_TEA)!.videoId}`);
    expect(await card.locator('a').getAttribute('target')).toBe('_blank');
    expect(await card.locator('a').getAttribute('rel')).toBe('noopener');
    expect(await card.locator('.channel').textContent()).toBe(STEEPED.channelTitle);
    // The thumbnail could not load: a placeholder carries its description instead.
    await card.locator('.thumb--missing[role="img"]').waitFor();
    expect(await card.locator('.thumb').getAttribute('aria-label')).toBe(`Thumbnail of “${HOW_TO_MAKE_TEA}”`);
    const published = stored.find((v) => v.title === HOW_TO_MAKE_TEA)!.publishedAt.toISOString();
    expect(await card.locator('time').getAttribute('datetime')).toBe(published);
    expect(await card.locator('time').textContent()).toBe(minutesAgo(new Date(published)));
    expect(await card.locator('time').getAttribute('title')).not.toBe('');

    // Titles are text, never markup.
    await page.locator('#search').fill('biscuits');
    await eventually(() => titles(page)).toEqual([UNSAFE_TITLE]);
    expect(await page.locator('#videos b').count()).toBe(0);

    // A search with no letters or digits: the API's message, no cards, nothing broken.
    expectError('/videos/search?q=%2B-*&sort=relevance&limit=24');
    await page.locator('#search').fill('+-*');
    await page.locator('#results-error').filter({ hasText: 'q must contain at least one letter, digit or emoji' }).waitFor();
    expect(await page.locator('#videos .card').count()).toBe(0);
    expect(await page.locator('#results-empty').isHidden()).toBe(true);

    // An empty box lists everything again, newest first.
    await page.locator('#search').fill('');
    await eventually(() => cardIds(page)).toEqual(idsOf(newestFirst(stored).slice(0, PAGE_SIZE)));
    expect(await page.locator('#results-error').isHidden()).toBe(true);
    expect(await page.locator('#sort').inputValue()).toBe('newest');

    await page.locator('#search').fill('nothing matches this');
    await page.locator('#results-empty').filter({ hasText: 'No videos match' }).waitFor();
  });

  it('reverses the cards when the sort changes between newest and oldest, and keeps it in the URL', async () => {
    const { page } = await open('/');
    await page.locator('#query option[value="tea"]').waitFor({ state: 'attached' });
    await page.selectOption('#query', 'tea');
    const tea = titlesOf(newestFirst(stored.filter((v) => v.channelId === STEEPED.channelId)));
    await eventually(() => titles(page)).toEqual(tea);
    // Relevance only exists while searching.
    expect(await page.locator('#sort option[value="relevance"]').isDisabled()).toBe(true);

    await page.selectOption('#sort', 'oldest');
    await eventually(() => titles(page)).toEqual([...tea].reverse());
    expect(pageParams(page)).toEqual({ sort: 'oldest', query: 'tea' });
    await page.selectOption('#sort', 'newest');
    await eventually(() => titles(page)).toEqual(tea);
    await page.selectOption('#sort', 'oldest');
    await eventually(() => titles(page)).toEqual([...tea].reverse());

    // A reload (or a shared link) restores the view.
    await page.reload();
    await page.waitForSelector('#videos[aria-busy="false"]');
    expect(await titles(page)).toEqual([...tea].reverse());
    expect(await page.locator('#sort').inputValue()).toBe('oldest');
    expect(await page.locator('#query').inputValue()).toBe('tea');
  });

  it('narrows to a channel when its name is clicked, and the chip removes the filter', async () => {
    const { page } = await open('/');
    const first = newestFirst(stored)[0]!;
    const sameChannel = idsOf(newestFirst(stored.filter((v) => v.channelId === first.channelId)));
    expect(sameChannel.length).toBeGreaterThan(1);
    expect(sameChannel.length).toBeLessThan(stored.length);

    await page.locator('#videos .card').first().locator('.channel').click();
    await eventually(() => cardIds(page)).toEqual(sameChannel.slice(0, PAGE_SIZE));
    expect(pageParams(page)).toEqual({ channel: first.channelId });
    expect(await page.locator('#channel-chip .chip-label').textContent()).toBe(`Channel: ${first.channelTitle}`);
    // Focus moves to the results, not lost with the card it was on.
    expect(await page.evaluate<string>('document.activeElement.id')).toBe('results-heading');

    await page.getByRole('button', { name: `Remove channel filter ${first.channelTitle}` }).click();
    await eventually(() => cardIds(page)).toEqual(idsOf(newestFirst(stored).slice(0, PAGE_SIZE)));
    expect(await page.locator('#channel-chip').textContent()).toBe('');
    expect(pageParams(page)).toEqual({});
  });

  it('filters by language: a bare language lists its regional variants too, a tag that is no language is refused in the page', async () => {
    const { page, requests } = await open('/');
    /** The videos enrichment found in this language or one of its regional variants, newest first. */
    const inLanguage = (tag: string) =>
      idsOf(
        newestFirst(
          stored.filter((v) => {
            const language = languageOf.get(v.videoId)?.toLowerCase();
            return language !== undefined && (language === tag.toLowerCase() || language.startsWith(`${tag.toLowerCase()}-`));
          }),
        ),
      );
    const languages = () => page.evaluate<string[]>(`[...document.querySelectorAll('#videos .card-title')].map((title) => title.lang)`);
    const box = page.getByLabel('Language', { exact: true });

    // "en": plain English and its regions, nothing else (and none of the videos whose language is not known).
    const english = inLanguage('en');
    await box.fill('en');
    await eventually(() => cardIds(page)).toEqual(english);
    expect(new Set(await languages())).toEqual(new Set(['en', 'en-GB', 'en-US']));
    expect(requests).toContain('/videos?sort=newest&language=en&limit=24');
    expect(pageParams(page)).toEqual({ language: 'en' });

    // A region: that region only, in any case (the API reads pt-br as pt-BR).
    const brazil = inLanguage('pt-BR');
    expect(brazil).toHaveLength(1);
    await box.fill('pt-br');
    await eventually(() => cardIds(page)).toEqual(brazil);
    expect(await languages()).toEqual(['pt-BR']);

    // Combined with a sort: Portuguese with its regions, oldest first.
    const portuguese = inLanguage('pt');
    expect(portuguese).toHaveLength(2);
    await box.fill('pt');
    await eventually(() => cardIds(page)).toEqual(portuguese);
    await page.selectOption('#sort', 'oldest');
    await eventually(() => cardIds(page)).toEqual([...portuguese].reverse());
    expect(requests).toContain('/videos?sort=oldest&language=pt&limit=24');
    expect(pageParams(page)).toEqual({ sort: 'oldest', language: 'pt' });

    // Not a language tag the API takes: said beside the box, nothing asked, the list as it was.
    const asked = requests.length;
    await box.fill('portuguese!');
    await box.press('Enter');
    await page.locator('#language-error').filter({ hasText: 'Type a language code such as en or pt-BR.' }).waitFor();
    expect(await box.getAttribute('aria-invalid')).toBe('true');
    expect(await box.getAttribute('aria-describedby')).toBe('language-error');
    expect(requests.slice(asked).filter((url) => url.includes('language=portuguese'))).toEqual([]);
    expect(await cardIds(page)).toEqual([...portuguese].reverse());
    expect(pageParams(page)).toEqual({ sort: 'oldest', language: 'pt' });

    // A reload (or a shared link) restores the view.
    await page.reload();
    await page.waitForSelector('#videos[aria-busy="false"]');
    expect(await cardIds(page)).toEqual([...portuguese].reverse());
    expect(await box.inputValue()).toBe('pt');
    expect(await page.locator('#sort').inputValue()).toBe('oldest');
    expect(await page.locator('#language-error').isHidden()).toBe(true);

    // Cleared: every language again (and the videos whose language is not known).
    await box.fill('');
    await eventually(() => cardIds(page)).toEqual(idsOf(newestFirst(stored).reverse().slice(0, PAGE_SIZE)));
    expect(pageParams(page)).toEqual({ sort: 'oldest' });
  });

  it('lists videos YouTube no longer returns only when asked, greyed with an Unavailable badge, and keeps the choice in the URL', async () => {
    const { page, requests } = await open('/?query=tea');
    const tea = stored.filter((v) => queryOf.get(v.videoId) === 'tea');
    expect(await cardIds(page)).toEqual(idsOf(newestFirst(tea)));
    expect(await page.locator('#videos .card--unavailable').count()).toBe(0);
    const checkbox = page.getByLabel('Show unavailable', { exact: true });
    expect(await checkbox.isChecked()).toBe(false);

    await checkbox.check();
    await eventually(() => cardIds(page)).toEqual(idsOf(newestFirst([...tea, ...unavailable])));
    expect(requests).toContain('/videos?sort=newest&query=tea&includeUnavailable=true&limit=24');
    expect(pageParams(page)).toEqual({ query: 'tea', includeUnavailable: 'true' });
    // Exactly those marked: greyed, with the badge (its reason on hover).
    const marked = await page.evaluate<string[]>(`[...document.querySelectorAll('#videos .card--unavailable')].map((card) => card.dataset.videoId)`);
    expect(marked.sort()).toEqual(idsOf(unavailable).sort());
    for (const { videoId } of unavailable) {
      const card = page.locator(`#videos .card[data-video-id="${videoId}"]`);
      expect(await card.locator('.badge--unavailable').textContent()).toBe('Unavailable');
      expect(await card.locator('.badge--unavailable').getAttribute('title')).toMatch(/^YouTube no longer returns this video \(deleted or made private\) since \S/);
      expect(await page.evaluate<string>(`getComputedStyle(document.querySelector('#videos .card[data-video-id="${videoId}"] .card-body')).filter`)).toBe('grayscale(1)');
    }
    expect(await page.locator('#videos .card:not(.card--unavailable) .badge--unavailable').count()).toBe(0);

    // Combined with a sort, and restored by a reload.
    await page.selectOption('#sort', 'oldest');
    await eventually(() => cardIds(page)).toEqual(idsOf(newestFirst([...tea, ...unavailable])).reverse());
    expect(pageParams(page)).toEqual({ sort: 'oldest', query: 'tea', includeUnavailable: 'true' });
    await page.reload();
    await page.waitForSelector('#videos[aria-busy="false"]');
    expect(await cardIds(page)).toEqual(idsOf(newestFirst([...tea, ...unavailable])).reverse());
    expect(await checkbox.isChecked()).toBe(true);

    // Unticked (the keyboard way): hidden again.
    await checkbox.focus();
    await page.keyboard.press('Space');
    await eventually(() => cardIds(page)).toEqual(idsOf(newestFirst(tea)).reverse());
    expect(pageParams(page)).toEqual({ sort: 'oldest', query: 'tea' });
  });

  it("keeps the channel in the URL with the other filters and sorts: the channel's videos only, the same after a reload", async () => {
    const { page, requests } = await open('/?query=tea&includeUnavailable=true&sort=oldest');
    const tea = [...stored.filter((v) => queryOf.get(v.videoId) === 'tea'), ...unavailable];
    const oldestFirst = (list: readonly VideoInput[]) => idsOf(newestFirst(list)).reverse();
    expect(await cardIds(page)).toEqual(oldestFirst(tea));
    const steeped = tea.filter((v) => v.channelId === STEEPED.channelId);
    // The other channel's video is left out.
    expect(steeped.length).toBeLessThan(tea.length);

    // The channel of an unavailable video is a channel like any other.
    await page.locator('#videos .card[data-video-id="goneVideo01"] .channel').click();
    await eventually(() => cardIds(page)).toEqual(oldestFirst(steeped));
    expect(requests).toContain(`/videos?sort=oldest&query=tea&channel=${STEEPED.channelId}&includeUnavailable=true&limit=24`);
    expect(pageParams(page)).toEqual({ sort: 'oldest', query: 'tea', channel: STEEPED.channelId, includeUnavailable: 'true' });
    expect(await page.locator('#channel-chip .chip-label').textContent()).toBe(`Channel: ${STEEPED.channelTitle}`);
    expect(new Set(await page.evaluate<string[]>(`[...document.querySelectorAll('#videos .card')].map((card) => card.dataset.channelId)`))).toEqual(new Set([STEEPED.channelId]));

    await page.reload();
    await page.waitForSelector('#videos[aria-busy="false"]');
    expect(await cardIds(page)).toEqual(oldestFirst(steeped));
    await page.locator('#channel-chip .chip-label').filter({ hasText: `Channel: ${STEEPED.channelTitle}` }).waitFor();
    expect(await page.locator('#sort').inputValue()).toBe('oldest');
    expect(await page.getByLabel('Show unavailable', { exact: true }).isChecked()).toBe(true);

    // Removed: the other filters stay.
    await page.getByRole('button', { name: `Remove channel filter ${STEEPED.channelTitle}` }).click();
    await eventually(() => cardIds(page)).toEqual(oldestFirst(tea));
    expect(pageParams(page)).toEqual({ sort: 'oldest', query: 'tea', includeUnavailable: 'true' });
  });

  it('shows a video stored after the page loaded at the top of the first page, once, without a reload', async () => {
    const opened = await open('/');
    const { page, requests } = opened;
    await following(opened);
    expect(await page.locator('#live-status').textContent()).toBe('Live');
    expect(await page.locator('#load-more').isVisible()).toBe(true);
    const before = await cardIds(page);
    expect(before).toEqual(idsOf(newestFirst(stored).slice(0, PAGE_SIZE)));
    await page.evaluate('window.__sameDocument = true');
    const listings = listingRequests(requests);

    // Markup in a title is text on the card, like everywhere else.
    const fresh = freshVideo('Live <b>now</b> & "steaming": night market dumplings');
    await storeAsAFetchRun([fresh], 'cooking');
    // At the top, highlighted; the page keeps its size (the last row gives way).
    await eventually(() => markedIds(page)).toEqual([`${fresh.videoId}*`, ...before.slice(0, PAGE_SIZE - 1)]);
    expect((await titles(page))[0]).toBe(fresh.title);
    expect(await page.locator('#videos b').count()).toBe(0);
    // The highlight fades.
    await eventually(() => page.locator('#videos .card--new').count()).toBe(0);

    const next = freshVideo('Second upload in a row');
    await storeAsAFetchRun([next], 'cooking');
    await eventually(() => cardIds(page)).toEqual([next.videoId, fresh.videoId, ...before.slice(0, PAGE_SIZE - 2)]);
    // Came by the stream: no reload, no new listing request.
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    expect(listingRequests(requests)).toBe(listings);

    // The rows that gave way come first with the next page: every video once, in order.
    await page.locator('#load-more').click();
    await eventually(async () => (await cardIds(page)).length).toBeGreaterThanOrEqual(2 * PAGE_SIZE + 2);
    await page.waitForSelector('#videos[aria-busy="false"]');
    const ids = await cardIds(page);
    expect(ids).toEqual(idsOf(newestFirst(stored)).slice(0, ids.length));
  });

  it('past the first page, counts new videos in a notice instead of moving the rows, and shows them on request', async () => {
    const { page } = await open('/');
    await live(page);
    await page.locator('#load-more').click();
    await eventually(async () => (await cardIds(page)).length).toBeGreaterThanOrEqual(2 * PAGE_SIZE);
    await page.waitForSelector('#videos[aria-busy="false"]');
    const before = await cardIds(page);

    const fresh = [freshVideo('Morning market: first stalls open'), freshVideo('Morning market: the queue for bao')];
    await storeAsAFetchRun(fresh, 'cooking');
    const notice = page.getByRole('button', { name: '2 new videos – show' });
    await notice.waitFor();
    expect(await page.locator('#notice').getAttribute('aria-live')).toBe('polite');
    // Not before asked: every row where it was, and neither new video among them.
    const after = await cardIds(page);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after).not.toContain(fresh[0]!.videoId);
    expect(after).not.toContain(fresh[1]!.videoId);

    await notice.click();
    await eventually(() => cardIds(page)).toEqual(idsOf(newestFirst(stored).slice(0, PAGE_SIZE)));
    expect((await cardIds(page)).slice(0, 2)).toEqual(idsOf(fresh).reverse());
    expect(await page.locator('#notice').textContent()).toBe('');
  });

  it('follows the followed query shown, reopening the stream when the scope changes', async () => {
    const opened = await open('/?query=tea');
    const { page, requests } = opened;
    await following(opened);
    expect(requests.filter((url) => url.startsWith('/videos/stream'))).toEqual(['/videos/stream?query=tea']);
    const tea = idsOf(newestFirst(stored.filter((v) => queryOf.get(v.videoId) === 'tea')));
    expect(await cardIds(page)).toEqual(tea);

    // Another query's video is not this feed's; the tea video stored after it is.
    const elsewhere = freshVideo('Cricket: the last over, ball by ball');
    await storeAsAFetchRun([elsewhere], 'cricket highlights');
    const steeped = freshVideo('Steeped: a first flush darjeeling');
    await storeAsAFetchRun([steeped], 'tea');
    // Fewer than a page: the list grows.
    await eventually(() => cardIds(page)).toEqual([steeped.videoId, ...tea]);

    // Every followed query: a stream of every video, opened after the other is closed.
    await page.selectOption('#query', '');
    await eventually(() => requests.filter((url) => url.startsWith('/videos/stream'))).toEqual(['/videos/stream?query=tea', '/videos/stream']);
    await live(page);
    await eventually(() => cardIds(page)).toEqual(idsOf(newestFirst(stored).slice(0, PAGE_SIZE)));
    const everywhere = freshVideo('Anywhere: the all-videos stream');
    await storeAsAFetchRun([everywhere], 'cricket highlights');
    await eventually(async () => (await cardIds(page))[0]).toBe(everywhere.videoId);
  });

  it('reloads the listing when the stream says events were missed', async () => {
    const opened = await open('/');
    const { page, requests } = opened;
    await following(opened);
    // The log is lost (as when Redis loses its data): the next append starts it again under a
    // new generation, and every client following it is told to reset.
    const redis = createTestRedis();
    const keys = feedLogKeys(redisPrefix, ALL_FEED);
    await redis.del(keys.stream, keys.seen, keys.meta);
    redis.disconnect();
    const fresh = freshVideo('After the log was lost');
    await storeAsAFetchRun([fresh], 'cooking');
    await eventually(() => listingRequests(requests)).toBe(3);
    await eventually(() => cardIds(page)).toEqual(idsOf(newestFirst(stored).slice(0, PAGE_SIZE)));
    await live(page);
  });

  it('says it is reconnecting while the stream is refused, and follows on once it is back', async () => {
    // The first connection is refused (503: EventSource gives up for good); the page opens a new
    // one after a delay, which is held here until the page has been seen saying so.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let connections = 0;
    const { page } = await open('/', undefined, (context, expectError) => {
      expectError('/videos/stream');
      return context.route(`${baseUrl}/videos/stream`, async (route) => {
        if (++connections === 1) {
          await route.fulfill({ status: 503, contentType: 'application/json', body: '{"isError":true,"message":"try again later"}' });
          return;
        }
        await released;
        await route.continue();
      });
    });
    await page.locator('#live-status[data-state="reconnecting"]').waitFor();
    expect(await page.locator('#live-status').textContent()).toBe('Reconnecting…');
    await eventually(() => connections).toBe(2);

    release();
    await live(page);
    const fresh = freshVideo('Back on the stream');
    await storeAsAFetchRun([fresh], 'cooking');
    await eventually(async () => (await cardIds(page))[0]).toBe(fresh.videoId);
    expect((await cardIds(page)).filter((id) => id === fresh.videoId)).toHaveLength(1);
  });

  it('keeps loading on scroll and with "Load more", every video once', async () => {
    const { page } = await open('/');
    const all = idsOf(newestFirst(stored));
    expect(all.length).toBeGreaterThan(2 * PAGE_SIZE);
    expect(await cardIds(page)).toEqual(all.slice(0, PAGE_SIZE));

    await page.locator('#sentinel').scrollIntoViewIfNeeded();
    await eventually(async () => (await cardIds(page)).length).toBeGreaterThanOrEqual(2 * PAGE_SIZE);
    const scrolled = await cardIds(page);
    expect(scrolled).toEqual(all.slice(0, scrolled.length));

    // The keyboard way: focus the button, press Enter; focus lands on the first new card.
    while (await page.locator('#load-more').isVisible()) {
      const before = (await cardIds(page)).length;
      await page.locator('#load-more').focus();
      await page.keyboard.press('Enter');
      await eventually(async () => (await cardIds(page)).length).toBeGreaterThan(before);
    }
    await page.waitForSelector('#videos[aria-busy="false"]');
    const ids = await cardIds(page);
    expect(ids).toEqual(all);
    expect(new Set(ids).size).toBe(ids.length);
    expect(await page.locator('#results-status').textContent()).toBe(`${all.length} videos`);
  });

  it('runs every flow without console errors or failed requests, live stream and header included', async () => {
    const { page, expectError } = await open('/');
    // Header: the keys' state from /health and each query's last fetch from /queries.
    await page.locator('#key-status').filter({ hasText: 'healthy' }).waitFor();
    // Three keys, each a project of its own: 3 × 100 searches today, none made in this test.
    expect(await page.locator('#key-status').textContent()).toBe(
      'YouTube keys: healthy (3 ok · 0 exhausted · 0 suspect · 0 disabled · 300 of 300 searches left today)',
    );
    expect(await page.locator('#query-status li').allTextContents()).toEqual(
      [...queryIds.keys()].map((text) => `${text} fetched ${minutesAgo(FETCHED_AT)} · ok · ${seededCount.get(text)} new`),
    );

    // Dates: whole UTC days, combined with a followed query.
    const cricket = newestFirst(stored.filter((v) => queryOf.get(v.videoId) === 'cricket highlights'));
    const day = cricket[Math.floor(cricket.length / 2)]!.publishedAt.toISOString().slice(0, 10);
    await page.selectOption('#query', 'cricket highlights');
    await page.locator('#from').fill(day);
    await page.locator('#to').fill(day);
    const inDay = cricket.filter((v) => v.publishedAt.toISOString().startsWith(day));
    await eventually(() => cardIds(page)).toEqual(idsOf(inDay).slice(0, PAGE_SIZE));
    expect(pageParams(page)).toEqual({ query: 'cricket highlights', from: day, to: day });

    // An impossible range: the API's message.
    const before = new Date(new Date(`${day}T00:00:00Z`).getTime() - 86_400_000).toISOString().slice(0, 10);
    expectError(`/videos?sort=newest&query=cricket+highlights&publishedAfter=${day}T00%3A00%3A00Z&publishedBefore=${before}T23%3A59%3A59.999Z&limit=24`);
    await page.locator('#to').fill(before);
    await page.locator('#results-error').filter({ hasText: 'publishedAfter must not be later than publishedBefore' }).waitFor();
    await page.locator('#to').fill('');
    await page.locator('#from').fill('');
    await page.selectOption('#query', '');
    await eventually(() => cardIds(page)).toEqual(idsOf(newestFirst(stored).slice(0, PAGE_SIZE)));

    await page.locator('#search').fill('kettle');
    await eventually(() => titles(page)).toEqual(['Kettle showdown: gooseneck vs electric']);
    await page.locator('#search').fill('');
    await eventually(() => cardIds(page)).toEqual(idsOf(newestFirst(stored).slice(0, PAGE_SIZE)));
    await page.locator('#sentinel').scrollIntoViewIfNeeded();
    await eventually(async () => (await cardIds(page)).length).toBeGreaterThan(PAGE_SIZE);
    await live(page);
  });

  // The cards read the listing's detail fields (duration_seconds, view_count, like_count,
  // live_state, scheduled_start_at), rendered into each video's JSON when enrichment stores them;
  // the sort and filter tests below rest on the columns alone.
  it('shows the duration, views and likes of enriched videos, LIVE and Upcoming badges, and nothing for the others', async () => {
    const { page, requests } = await open('/?query=tea');
    const [howTo, kettle, matcha, biscuits] = TEA_IDS;
    expect(await cardIds(page)).toEqual(idsOf(newestFirst(stored.filter((v) => queryOf.get(v.videoId) === 'tea'))));
    const card = (id: string) => page.locator(`#videos .card[data-video-id="${id}"]`);
    /** What a card shows of a video's details: the badge as seen and as read aloud, views and likes with their titles. */
    const shown = async (id: string) => {
      const c = card(id);
      const text = async (selector: string) => ((await c.locator(selector).count()) === 0 ? null : c.locator(selector).textContent());
      const title = async (selector: string) => ((await c.locator(selector).count()) === 0 ? null : c.locator(selector).getAttribute('title'));
      return {
        badge: await text('.badge [aria-hidden="true"]'),
        spoken: await text('.badge .visually-hidden'),
        views: await text('.views'),
        viewsTitle: await title('.views'),
        likes: await text('.likes'),
        likesTitle: await title('.likes'),
      };
    };
    expect(await shown(howTo)).toEqual({
      badge: '12:03',
      spoken: 'Duration 12 minutes 3 seconds',
      views: '1.2M views',
      viewsTitle: '1,234,567 views',
      likes: '35K likes',
      likesTitle: '35,000 likes',
    });
    expect(await shown(kettle)).toEqual({
      badge: '1:02:03',
      spoken: 'Duration 1 hour 2 minutes 3 seconds',
      views: '980 views',
      viewsTitle: '980 views',
      likes: '12 likes',
      likesTitle: '12 likes',
    });
    // Likes hidden by the owner: no likes at all, not "0 likes".
    expect(await shown(matcha)).toEqual({ badge: '1:35', spoken: 'Duration 1 minute 35 seconds', views: '15.4K views', viewsTitle: '15,400 views', likes: null, likesTitle: null });
    // Not enriched: no badge, no stats line.
    expect(await card(biscuits).locator('.badge').count()).toBe(0);
    expect(await card(biscuits).locator('.card-stats').count()).toBe(0);
    // The badge is beside the placeholder, not inside its role="img" (whose content is not read).
    await card(howTo).locator('.thumb--missing').waitFor();
    expect(await card(howTo).locator('.thumb .badge').count()).toBe(0);

    // On air now: LIVE instead of a duration (YouTube says 0 while it lasts).
    await page.getByLabel('Live', { exact: true }).selectOption('live');
    await eventually(() => cardIds(page)).toEqual([]);
    expect(requests).toContain('/videos?sort=newest&query=tea&live=live&limit=24');
    await page.selectOption('#query', '');
    await eventually(() => cardIds(page)).toEqual([onAir.videoId]);
    expect(requests).toContain('/videos?sort=newest&live=live&limit=24');
    expect(pageParams(page)).toEqual({ live: 'live' });
    expect(await shown(onAir.videoId)).toEqual({ badge: null, spoken: null, views: '2.1K views', viewsTitle: '2,100 views', likes: '150 likes', likesTitle: '150 likes' });
    expect(await card(onAir.videoId).locator('.badge--live').textContent()).toBe('LIVE');

    // Scheduled: Upcoming, and when it starts (an exact time that the relative-time refresh leaves alone).
    await page.selectOption('#live-state', 'upcoming');
    await eventually(() => cardIds(page)).toEqual([upcoming.videoId]);
    const scheduled = card(upcoming.videoId);
    expect(await scheduled.locator('.badge--upcoming').textContent()).toBe('Upcoming');
    expect(await scheduled.locator('.badge--duration').count()).toBe(0);
    expect(await scheduled.locator('.views').textContent()).toBe('0 views');
    expect(await scheduled.locator('.scheduled time').getAttribute('datetime')).toBe(SCHEDULED_AT.toISOString());
    const startsText = await scheduled.locator('.scheduled').textContent();
    expect(startsText).toMatch(/^Starts \S.*\d/);
    expect(startsText).not.toMatch(/ago|just now/);

    // Past broadcasts: the kettle test that ended; its duration shows again.
    await page.selectOption('#live-state', 'completed');
    await eventually(() => cardIds(page)).toEqual([kettle]);
    expect(await card(kettle).locator('.badge [aria-hidden="true"]').textContent()).toBe('1:02:03');

    // Every card of the unfiltered first page: nothing a missing or null detail could print.
    await page.selectOption('#live-state', '');
    await eventually(() => cardIds(page)).toEqual(idsOf(newestFirst(stored).slice(0, PAGE_SIZE)));
    expect(pageParams(page)).toEqual({});
    expect(await page.locator('#videos').innerText()).not.toMatch(/\b(undefined|NaN|null|Infinity)\b|Invalid Date/);
  });

  it('sorts by views, likes and duration and filters by duration and views: the request, the order and the URL', async () => {
    const { page, requests } = await open('/?query=tea');
    const [howTo, kettle, matcha] = TEA_IDS;
    // The tea videos not enriched: teaVideo004, and any another test stored for "tea".
    const unknown = stored.filter((v) => queryOf.get(v.videoId) === 'tea' && ![howTo, kettle, matcha].includes(v.videoId)).map((v) => v.videoId);
    /** The cards: `known` in this order, then the rest (whose value is not known) in an order of the API's choosing. */
    const sorted = async () => {
      const ids = await cardIds(page);
      const tail = ids.length - unknown.length;
      return { known: ids.slice(0, tail), unknown: [...ids.slice(tail)].sort() };
    };
    const sortBy = async (sort: string, request: string, known: string[]) => {
      await page.getByLabel('Sort', { exact: true }).selectOption(sort);
      await eventually(sorted).toEqual({ known, unknown: [...unknown].sort() });
      expect(requests).toContain(request);
    };
    // Videos whose value is not known come last, in either direction.
    await sortBy('views', '/videos?sort=views&order=desc&query=tea&limit=24', [howTo, matcha, kettle]);
    expect(pageParams(page)).toEqual({ sort: 'views', query: 'tea' });
    await sortBy('longest', '/videos?sort=duration&order=desc&query=tea&limit=24', [kettle, howTo, matcha]);
    await sortBy('shortest', '/videos?sort=duration&order=asc&query=tea&limit=24', [matcha, howTo, kettle]);
    expect(pageParams(page)).toEqual({ sort: 'shortest', query: 'tea' });
    // Matcha's likes are hidden: it is among those whose value is not known.
    await page.selectOption('#sort', 'likes');
    await eventually(async () => (await cardIds(page)).slice(0, 2)).toEqual([howTo, kettle]);
    expect(requests).toContain('/videos?sort=likes&order=desc&query=tea&limit=24');
    expect([...(await cardIds(page)).slice(2)].sort()).toEqual([matcha, ...unknown].sort());

    // Duration bands as seconds, inclusive: under 4 minutes, 4 to 20, over 20.
    const filterBy = async (duration: string, request: string, order: Array<string | undefined>) => {
      await page.getByLabel('Duration', { exact: true }).selectOption(duration);
      await eventually(() => cardIds(page)).toEqual(order);
      expect(requests).toContain(request);
    };
    await filterBy('short', '/videos?sort=likes&order=desc&query=tea&maxDuration=239&limit=24', [matcha]);
    await filterBy('medium', '/videos?sort=likes&order=desc&query=tea&minDuration=240&maxDuration=1200&limit=24', [howTo]);
    await filterBy('long', '/videos?sort=likes&order=desc&query=tea&minDuration=1201&limit=24', [kettle]);
    expect(pageParams(page)).toEqual({ sort: 'likes', query: 'tea', duration: 'long' });
    // The keyboard way: on the focused select, Home picks the first choice, "Any length".
    await page.locator('#duration').focus();
    await page.keyboard.press('Home');
    await eventually(() => pageParams(page)).toEqual({ sort: 'likes', query: 'tea' });
    await eventually(async () => (await cardIds(page)).slice(0, 2)).toEqual([howTo, kettle]);

    // At least 10K views, most viewed first.
    await page.selectOption('#sort', 'views');
    await page.getByLabel('Views', { exact: true }).selectOption('10000');
    await eventually(() => cardIds(page)).toEqual([howTo, matcha]);
    expect(requests).toContain('/videos?sort=views&order=desc&query=tea&minViews=10000&limit=24');
    expect(pageParams(page)).toEqual({ sort: 'views', query: 'tea', minViews: '10000' });

    // A reload (or a shared link) restores the view.
    await page.reload();
    await page.waitForSelector('#videos[aria-busy="false"]');
    expect(await cardIds(page)).toEqual([howTo, matcha]);
    expect(await page.locator('#sort').inputValue()).toBe('views');
    expect(await page.locator('#min-views').inputValue()).toBe('10000');
    expect(await page.locator('#duration').inputValue()).toBe('');

    // A search keeps the sort and the filters: /videos/search takes them too. "cup" is in three
    // tea videos' descriptions; one has 10K views or more.
    await page.locator('#search').fill('cup');
    await eventually(() => cardIds(page)).toEqual([howTo]);
    expect(requests).toContain('/videos/search?q=cup&sort=views&order=desc&query=tea&minViews=10000&limit=24');
    expect(pageParams(page)).toEqual({ q: 'cup', sort: 'views', query: 'tea', minViews: '10000' });
  });

  it('takes a minimum of views from a shared link that the choices do not offer, and ignores nonsense', async () => {
    const { page, requests } = await open('/?query=tea&minViews=5000&duration=forever&live=sometimes&sort=popular&language=english!&includeUnavailable=yes');
    const [howTo, , matcha] = TEA_IDS;
    await eventually(() => cardIds(page)).toEqual([howTo, matcha]);
    expect(requests.filter((url) => url.startsWith('/videos?'))[0]).toBe('/videos?sort=newest&query=tea&minViews=5000&limit=24');
    expect(await page.locator('#min-views').inputValue()).toBe('5000');
    expect(await page.locator('#min-views option:checked').textContent()).toBe('5,000+ views');
    expect(await page.locator('#duration').inputValue()).toBe('');
    expect(await page.locator('#live-state').inputValue()).toBe('');
    expect(await page.locator('#sort').inputValue()).toBe('newest');
    expect(await page.locator('#language').inputValue()).toBe('');
    expect(await page.locator('#include-unavailable').isChecked()).toBe(false);
  });

  it('keeps new videos from the stream out of a list sorted by views or filtered by a detail, and shows them once read again', async () => {
    // Pages on the same stream: newest first (takes new videos in), the same with unavailable
    // videos too (a new video is available: taken in as well), most viewed, over 20 minutes, and English.
    const plain = await open('/');
    const withUnavailable = await open('/?includeUnavailable=true');
    const byViews = await open('/?sort=views');
    const long = await open('/?duration=long');
    const english = await open('/?language=en');
    await following(plain);
    await following(withUnavailable);
    await live(byViews.page);
    await live(long.page);
    await live(english.page);
    // Enriched videos first, by views; the others (not known) after them.
    const byViewsIds = await cardIds(byViews.page);
    const [howTo, kettle, matcha] = TEA_IDS;
    expect(byViewsIds.slice(0, 5)).toEqual([howTo, matcha, onAir.videoId, kettle, upcoming.videoId]);
    const longIds = await cardIds(long.page);
    expect(longIds).toEqual([kettle]);
    const englishIds = await cardIds(english.page);
    expect(englishIds.length).toBeGreaterThan(0);

    const fresh = freshVideo('Just found: not enriched, so in no views sort or duration band yet');
    await storeAsAFetchRun([fresh], 'cooking');
    // The newest-first page takes it in from the stream ...
    await eventually(async () => (await cardIds(plain.page))[0]).toBe(fresh.videoId);
    await eventually(async () => (await cardIds(withUnavailable.page))[0]).toBe(fresh.videoId);
    // ... the same stream's other followers leave their rows alone, and say nothing.
    expect(await cardIds(byViews.page)).toEqual(byViewsIds);
    expect(await cardIds(long.page)).toEqual(longIds);
    expect(await cardIds(english.page)).toEqual(englishIds);
    for (const { page } of [byViews, long, english]) expect(await page.locator('#notice').textContent()).toBe('');
    // No catch-up look either: each read its listing once.
    for (const { requests } of [byViews, long, english]) expect(listingRequests(requests)).toBe(1);

    // Newest first again (the filter cleared): read again, the new video at the top.
    await long.page.selectOption('#duration', '');
    await eventually(async () => (await cardIds(long.page))[0]).toBe(fresh.videoId);
    expect(pageParams(long.page)).toEqual({});
  });

  it('fits a phone screen: one column, no horizontal scrolling', async () => {
    const { page } = await open('/?channel=' + STEEPED.channelId, { width: 375, height: 800 });
    await page.locator('#key-status').filter({ hasText: 'healthy' }).waitFor();
    await page.locator('#channel-chip .chip').waitFor();
    expect(await page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    const boxes = await Promise.all([0, 1].map((n) => page.locator('#videos .card').nth(n).boundingBox()));
    expect(boxes[0]!.x).toBe(boxes[1]!.x);
    expect(boxes[0]!.width).toBeLessThanOrEqual(375);
    await page.locator('#search').fill('How to make tea? with a very long search phrase');
    await page.locator('#results-empty').waitFor();
    expect(await page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
  });

  it.skipIf(process.env.SCREENSHOT !== '1')('saves a screenshot of the dashboard to docs/dashboard.png', async () => {
    const { page } = await open('/');
    await page.locator('#key-status').filter({ hasText: 'healthy' }).waitFor();
    await page.locator('#query option[value="tea"]').waitFor({ state: 'attached' });
    await eventually(() => page.locator('#videos .card img').count()).toBe(0);
    await page.screenshot({ path: SCREENSHOT });
  });
});
