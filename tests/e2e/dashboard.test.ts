// End to end: the dashboard at / in headless Chromium (playwright-core) against the API as
// deployed (createApiRuntime, listening on a port) on the test MySQL and Redis. Videos are
// stored the way the worker stores them: the repository's upsert (which writes the new-video
// events to the outbox), a page-1 snapshot refresh, and the worker's relay moving the events to
// the feed logs that the API's /videos/stream serves to the page.
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
  createVideoRepository,
  demoTopicIndex,
  demoVideo,
  feedLogKeys,
  feedLogSink,
  systemClock,
  type FeedRelay,
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
let relay: FeedRelay;
let redisPrefix: string;
let closeRedis: () => Promise<void>;
const queryIds = new Map<string, number>();
/** The followed query each stored video was found by, and how many each query's seeding run stored. */
const queryOf = new Map<string, string>();
const seededCount = new Map<string, number>();
/** Everything stored so far (tests that store more add to it). */
const stored: VideoInput[] = [];

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
