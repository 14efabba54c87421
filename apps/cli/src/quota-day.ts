// Days of fetching on a fake clock: the real fetch service, key pool and planner against the
// YouTube simulator (its default long-tailed index lag, short pages and window leaks included),
// with a virtual schedule that behaves like BullMQ's Job Schedulers (the next run of an `every`
// schedule is its previous slot plus `every`; a changed schedule starts at the given start
// date). Days take seconds instead of hours, so pacing and completeness can be checked end to
// end: searches spent, how calls spread over the hours, the longest gap, freshness, and recall
// (videos stored / videos search made visible). Used by tests and by `npm run simulate-day`.
//
// The worker's other YouTube readers run on the same clock with the same key pool, as the worker
// runs them: enrichment (videos.list, a run every ENRICH_INTERVAL_MS) and, with `channels`, the
// polling of that many of the world's channels (followed by id through the channel admin, a tick
// every channelTickMs, playlistItems.list). What each spent is read from the simulator's call
// log per method and checked against its bucket counts, day by day. Freshness and recall are
// about search: they count a video from when a search first linked it to a query, so a video a
// channel poll stored first is not counted as found sooner.
//
// `design: 'overlap'` runs the fetcher as it was before sweeps (one look after FETCH_OVERLAP_MS,
// only while the quota has slack), so both designs can be measured on the same world.
import {
  ManualClock,
  channelTickMs,
  createChannelAdmin,
  createChannelClient,
  createChannelPacingReader,
  createChannelPollService,
  createChannelResolver,
  createDb,
  createEnrichService,
  createFollowedChannelRepository,
  createVideoDetailsRepository,
  createYoutubeClient,
  createFetchPlanner,
  createFetchStack,
  createLogger,
  ensureDatabase,
  migrateToLatest,
  nextPacificMidnight,
  pacificDayKey,
  channelSpendKey,
  enrichSpendKey,
  staticKeySource,
  type ChannelPollService,
  type ChannelPollSettings,
  type EnrichBudgetSettings,
  type FetchSchedule,
  type ProjectQuota,
  type RedisClient,
} from '@tubefeed/core';
import { createYoutubeSimulator, type IndexLagTier } from '@tubefeed/youtube-sim';
import { sql } from 'kysely';

export type FetchDesign = 'sweeps' | 'overlap';

export interface QuotaDayOptions {
  readonly mysqlUrl: string;
  readonly redis: RedisClient;
  readonly redisPrefix: string;
  readonly keys: number;
  readonly queries: readonly string[];
  readonly pacing: boolean;
  readonly minIntervalMs: number;
  /** Each project's daily quota (default: YouTube's, 100 searches and 10,000 units). */
  readonly quota?: ProjectQuota;
  /** A Pacific midnight; the run lasts `days` Pacific days from it, then `drainMs`. */
  readonly start: Date;
  /** Pacific days of fetching measured (default 1). */
  readonly days?: number;
  /**
   * Fetching goes on this long after the last day, so videos of the last hours can still be
   * found late; recall counts only videos published within the days (default 0).
   */
  readonly drainMs?: number;
  readonly design?: FetchDesign;
  readonly publishIntervalMs?: number;
  /** The simulator's index lag (default: its long-tailed default). */
  readonly indexLag?: readonly IndexLagTier[];
  /** FETCH_SWEEP_DELAYS_MS (default 1 h and 13 h). */
  readonly sweepDelaysMs?: readonly number[];
  readonly seed?: number;
  /** The simulator's share of videos deleted or made private later (default: its default, 1 %). */
  readonly removalShare?: number;
  /**
   * Enrichment as configured (ENRICH_*); without it, none runs (a day of enrichment runs every
   * minute takes about a minute more).
   */
  readonly enrich?: EnrichBudgetSettings;
  /** How many of the world's channels are followed and polled (default 0), and how (CHANNEL_*). */
  readonly channels?: { readonly count: number; readonly settings: ChannelPollSettings; readonly reserveUnits: number };
}

/** One Pacific day's quota as the simulator counted it, every project together. */
export interface QuotaDayUnits {
  /** search.list calls charged (search bucket). */
  readonly searches: number;
  /** videos.list units (enrichment). */
  readonly enrichUnits: number;
  /** playlistItems.list and channels.list units (followed channels). */
  readonly channelUnits: number;
  /** Of those, the channels.list lookups of the channels followed. */
  readonly channelLookupUnits: number;
  /** Units of any other method (none expected). */
  readonly otherUnits: number;
  /** The projects' search and units buckets as the simulator kept them at the day's end. */
  readonly searchBucketUsed: number;
  readonly unitsBucketUsed: number;
  /** Every project's units bucket together (keys × units per day). */
  readonly unitsBucketLimit: number;
}

export interface Freshness {
  readonly videos: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
}

export interface QuotaDayReport {
  readonly design: FetchDesign;
  readonly firstIntervalMs: number;
  /** search.list calls YouTube answered (200), over the whole run. */
  readonly searchCalls: number;
  readonly quotaErrors: number;
  /** Searches made (every project together) in each Pacific day of the run. */
  readonly searchesPerDay: readonly number[];
  readonly searchCallsPerDay: number;
  readonly callsPerHour: readonly number[];
  /** Longest time between two searches for the same query, while quota remained. */
  readonly longestGapMs: number;
  /** When the last search of the run was made. */
  readonly lastCallAt: Date | null;
  /** Publish → stored, over the videos published within the days and stored. */
  readonly freshness: Freshness;
  /** Of the videos published within the days that search made visible by the end of the run. */
  readonly recall: { readonly visible: number; readonly stored: number; readonly share: number; readonly lateVisible: number; readonly lateStored: number };
  /** Quota per Pacific day of the run, per purpose, from the simulator's call log and its buckets. */
  readonly unitsPerDay: readonly QuotaDayUnits[];
  /** What the service itself counted (its Redis day counts), over the run, to compare. */
  readonly counted: { readonly enrichUnits: number; readonly channelUnits: number };
  readonly enrichment: { readonly runs: number; readonly units: number; readonly enriched: number; readonly unavailable: number; readonly storedVideos: number; readonly videosWithDetails: number };
  readonly channels: { readonly followed: number; readonly ticks: number; readonly polls: number; readonly inserted: number };
  readonly logLines: readonly string[];
}

interface Slot {
  everyMs: number;
  nextAt: number;
  text: string;
}

/** BullMQ's `every` semantics, for a fake clock. */
function virtualSchedule(): FetchSchedule & { due(): [number, Slot] | undefined; started(id: number): void } {
  const slots = new Map<number, Slot>();
  return {
    current: () => Promise.resolve(new Map([...slots].map(([id, s]) => [id, { everyMs: s.everyMs, nextAt: s.nextAt }]))),
    upsert: (query, everyMs, startAt) => {
      slots.set(query.id, { everyMs, nextAt: startAt, text: query.text });
      return Promise.resolve();
    },
    remove: (id) => {
      slots.delete(id);
      return Promise.resolve();
    },
    due: () => [...slots].sort(([, a], [, b]) => a.nextAt - b.nextAt)[0],
    started: (id) => {
      const slot = slots.get(id)!;
      slot.nextAt += slot.everyMs;
    },
  };
}

const percentile = (sorted: readonly number[], p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);

/** A video counts as late when search found it more than the default overlap after publication. */
const LATE_MS = 600_000;

export async function simulateQuotaDay(options: QuotaDayOptions): Promise<QuotaDayReport> {
  const quota = options.quota ?? { searchCallsPerDay: 100, unitsPerDay: 10_000 };
  const design = options.design ?? 'sweeps';
  const days = options.days ?? 1;
  const clock = new ManualClock(options.start);
  let daysEnd = options.start;
  for (let d = 0; d < days; d++) daysEnd = nextPacificMidnight(daysEnd);
  const end = new Date(daysEnd.getTime() + (options.drainMs ?? 0));
  const sim = createYoutubeSimulator({
    seed: options.seed ?? 3,
    clock: { mode: 'manual', now: options.start },
    keys: Array.from({ length: options.keys }, () => ({})),
    searchCallsPerDay: quota.searchCallsPerDay,
    unitsPerDay: quota.unitsPerDay,
    publishIntervalMs: options.publishIntervalMs ?? 20_000,
    ...(options.indexLag === undefined ? {} : { indexLag: options.indexLag }),
    historyMs: 2 * 3_600_000,
    ...(options.removalShare === undefined ? {} : { removalShare: options.removalShare }),
    // Every call of the run is kept: the units per purpose are summed from it.
    maxCallLog: Number.MAX_SAFE_INTEGER,
  });
  const url = await sim.listen();
  await ensureDatabase(options.mysqlUrl);
  const db = createDb({ url: options.mysqlUrl, poolSize: 4 });
  const logLines: string[] = [];
  const log = createLogger({ level: 'info', format: 'json' }, 'quota-day', { write: (line: string) => void logLines.push(line) });
  const retry = { retries: 1, minDelayMs: 1, maxDelayMs: 2 };
  try {
    await migrateToLatest(db);
    const { videos, queries, pool, fetch } = createFetchStack({
      db: db.kysely,
      redis: options.redis,
      redisPrefix: options.redisPrefix,
      clock,
      log,
      keys: staticKeySource(sim.apiKeys()),
      quota,
      youtube: { rootUrl: url, timeoutMs: 5000 },
      settings: {
        overlapMs: 600_000,
        lookbackMs: 3_600_000,
        maxPages: 5,
        pageSize: 50,
        sweepDelaysMs: options.sweepDelaysMs ?? [3_600_000, 46_800_000],
        overlapOnly: design === 'overlap',
      },
      retry,
    });
    await queries.syncConfigured(options.queries);
    const streams = sim.configureQueries(options.queries.map((q) => ({ q }))).map((stream) => stream.q);

    const youtube = { rootUrl: url, timeoutMs: 5000 };
    const enrichSettings = options.enrich;
    const enrich =
      enrichSettings === undefined
        ? null
        : createEnrichService({
            details: createVideoDetailsRepository({ db: db.kysely }),
            pool,
            youtube: createYoutubeClient(youtube),
            redis: options.redis,
            prefix: options.redisPrefix,
            clock,
            log: log.child({ module: 'enrich' }),
            settings: enrichSettings,
            retry,
          });
    const channelCount = options.channels?.count ?? 0;
    let polling: ChannelPollService | null = null;
    let tickMs = Number.POSITIVE_INFINITY;
    if (options.channels !== undefined && channelCount > 0) {
      const { settings, reserveUnits } = options.channels;
      const followedChannels = createFollowedChannelRepository({ db: db.kysely, clock });
      const channelClient = createChannelClient(youtube);
      const channelLog = log.child({ module: 'channels' });
      polling = createChannelPollService({
        channels: followedChannels,
        videos,
        pool,
        youtube: channelClient,
        redis: options.redis,
        prefix: options.redisPrefix,
        clock,
        log: channelLog,
        settings,
        retry,
        reserveUnits,
      });
      tickMs = channelTickMs(settings.pollIntervalMs);
      // The world's channels uploading to the followed queries' streams, followed by id as an
      // operator (or YOUTUBE_CHANNELS) would: a channels.list lookup each.
      const admin = createChannelAdmin({
        channels: followedChannels,
        resolve: createChannelResolver({ pool, youtube: channelClient, retry, log: channelLog }),
        pacing: createChannelPacingReader({ pool, channels: followedChannels, redis: options.redis, prefix: options.redisPrefix, clock, settings }),
        log: channelLog,
      });
      const candidates = sim.channels().filter((channel) => streams.includes(channel.stream));
      if (candidates.length < channelCount) throw new RangeError(`the simulated world has ${candidates.length} channels for these queries, fewer than ${channelCount}`);
      for (const channel of candidates.slice(0, channelCount)) await admin.follow(channel.channelId);
    }
    const schedule = virtualSchedule();
    const planner = createFetchPlanner({
      schedule,
      queries,
      pool,
      redis: options.redis,
      prefix: options.redisPrefix,
      clock,
      log,
      minIntervalMs: options.minIntervalMs,
      pacing: options.pacing,
    });
    const firstIntervalMs = (await planner.replan('boot')).pacing.intervalMs;
    const dayStarts: Date[] = [];
    for (let dayStart = options.start; dayStart < end; dayStart = nextPacificMidnight(dayStart)) dayStarts.push(dayStart);
    // The simulator's buckets hold one Pacific day: each is read just before its day ends.
    const bucketsAtDayEnd: Array<{ search: number; units: number; unitsLimit: number }> = [];
    const readBuckets = (at: number) => {
      sim.setTime(new Date(at));
      const projects = new Map(sim.quota().map((view) => [view.project, view]));
      bucketsAtDayEnd.push({
        search: [...projects.values()].reduce((sum, view) => sum + view.search.used, 0),
        units: [...projects.values()].reduce((sum, view) => sum + view.units.used, 0),
        unitsLimit: [...projects.values()].reduce((sum, view) => sum + view.units.limit, 0),
      });
    };
    const dayEndOf = (index: number) => Math.min(end.getTime(), nextPacificMidnight(dayStarts[index]!).getTime());
    const closeDaysBefore = (at: number) => {
      while (bucketsAtDayEnd.length < dayStarts.length && dayEndOf(bucketsAtDayEnd.length) <= at) readBuckets(dayEndOf(bucketsAtDayEnd.length) - 1);
    };
    // Enrichment and channel ticks as their Job Schedulers run them: the first at once, then
    // every interval.
    let enrichAt = enrich === null ? Number.POSITIVE_INFINITY : options.start.getTime();
    let channelAt = polling === null ? Number.POSITIVE_INFINITY : options.start.getTime();
    const enrichment = { runs: 0, units: 0, enriched: 0, unavailable: 0 };
    const channelTotals = { ticks: 0, polls: 0, inserted: 0 };
    // Before sweeps, a second look was paid for only while the quota had slack.
    const sweepSearchesPerHour = async () => (design === 'overlap' ? ((await planner.hasSlack()) ? Number.POSITIVE_INFINITY : 0) : planner.sweepSearchesPerHour());

    for (;;) {
      const next = schedule.due();
      const fetchAt = next === undefined ? Number.POSITIVE_INFINITY : next[1].nextAt;
      const at = Math.min(fetchAt, enrichAt, channelAt);
      if (at >= end.getTime()) break;
      closeDaysBefore(at);
      clock.set(at);
      sim.setTime(clock.now());
      if (at === fetchAt) {
        const [queryId] = next!;
        schedule.started(queryId);
        await planner.observe((await fetch.run(queryId, { sweepSearchesPerHour: await sweepSearchesPerHour() })).searchCalls);
        await planner.replan('run');
      } else if (at === enrichAt) {
        enrichAt += enrichSettings!.intervalMs;
        const result = await enrich!.run();
        enrichment.runs += 1;
        enrichment.units += result.units;
        enrichment.enriched += result.enriched;
        enrichment.unavailable += result.unavailable;
      } else {
        channelAt += tickMs;
        const result = await polling!.run();
        channelTotals.ticks += 1;
        channelTotals.polls += result.polled;
        channelTotals.inserted += result.inserted;
      }
    }
    closeDaysBefore(end.getTime());

    const calls = sim.calls().filter((c) => c.endpoint === 'search.list');
    const ok = calls.filter((c) => c.status === 200);
    const hours = Math.ceil((end.getTime() - options.start.getTime()) / 3_600_000);
    const callsPerHour = Array.from({ length: hours }, () => 0);
    for (const call of ok) callsPerHour[Math.floor((Date.parse(call.at) - options.start.getTime()) / 3_600_000)]!++;
    const searchesPerDay: number[] = [];
    for (let dayStart = options.start; dayStart < end; dayStart = nextPacificMidnight(dayStart)) {
      const dayEnd = nextPacificMidnight(dayStart).getTime();
      searchesPerDay.push(ok.filter((c) => Date.parse(c.at) >= dayStart.getTime() && Date.parse(c.at) < dayEnd).length);
    }
    const gaps = new Map<string, number>();
    let longestGapMs = 0;
    for (const call of ok) {
      const q = String(call.params.q);
      const at = Date.parse(call.at);
      const previous = gaps.get(q);
      if (previous !== undefined) longestGapMs = Math.max(longestGapMs, at - previous);
      gaps.set(q, at);
    }

    // Found by search: from when a search first linked the video to a query (a channel poll may
    // have stored it earlier).
    const stored = await sql<{ video_id: string; lag: number }>`
      SELECT v.video_id, TIMESTAMPDIFF(MICROSECOND, v.published_at, MIN(vq.first_seen_at)) / 1000 AS lag
      FROM videos v JOIN video_queries vq ON vq.video_pk = v.id
      WHERE v.published_at >= ${options.start} AND v.published_at < ${daysEnd}
      GROUP BY v.id, v.video_id, v.published_at`.execute(db.kysely);
    const storedIds = new Set(stored.rows.map((r) => r.video_id));
    const visible = options.queries.flatMap((q) =>
      sim
        .groundTruth(q, { publishedAfter: options.start, publishedBefore: new Date(daysEnd.getTime() - 1) })
        .filter((v) => Date.parse(v.indexedAt) <= end.getTime() && Date.parse(v.publishedAt) < daysEnd.getTime()),
    );
    const late = visible.filter((v) => Date.parse(v.indexedAt) - Date.parse(v.publishedAt) > LATE_MS);
    const found = visible.filter((v) => storedIds.has(v.videoId)).length;
    const lags = stored.rows.map((r) => Number(r.lag)).sort((a, b) => a - b);

    const allCalls = sim.calls();
    const unitsPerDay = dayStarts.map((dayStart, index): QuotaDayUnits => {
      const dayCalls = allCalls.filter((c) => Date.parse(c.at) >= dayStart.getTime() && Date.parse(c.at) < dayEndOf(index));
      const unitsOf = (endpoints: readonly string[]) => dayCalls.filter((c) => c.bucket === 'units' && endpoints.includes(c.endpoint)).reduce((sum, c) => sum + c.units, 0);
      const buckets = bucketsAtDayEnd[index]!;
      return {
        searches: dayCalls.filter((c) => c.bucket === 'search').reduce((sum, c) => sum + c.units, 0),
        enrichUnits: unitsOf(['videos.list']),
        channelUnits: unitsOf(['playlistItems.list', 'channels.list']),
        channelLookupUnits: unitsOf(['channels.list']),
        otherUnits: dayCalls.filter((c) => c.bucket === 'units' && !['videos.list', 'playlistItems.list', 'channels.list'].includes(c.endpoint)).reduce((sum, c) => sum + c.units, 0),
        searchBucketUsed: buckets.search,
        unitsBucketUsed: buckets.units,
        unitsBucketLimit: buckets.unitsLimit,
      };
    });
    const dayCounts = async (key: (prefix: string, day: string) => string) => {
      let total = 0;
      for (const dayStart of dayStarts) total += Number((await options.redis.get(key(options.redisPrefix, pacificDayKey(dayStart)))) ?? 0);
      return total;
    };
    const videoCounts = await db.kysely
      .selectFrom('videos')
      .select([(eb) => eb.fn.countAll<number>().as('stored'), (eb) => eb.fn.count<number>('details_at').as('withDetails')])
      .executeTakeFirstOrThrow();
    return {
      design,
      firstIntervalMs,
      searchCalls: ok.length,
      quotaErrors: calls.filter((c) => c.reason === 'quotaExceeded').length,
      searchesPerDay,
      searchCallsPerDay: quota.searchCallsPerDay,
      callsPerHour,
      longestGapMs,
      lastCallAt: ok.length === 0 ? null : new Date(ok.at(-1)!.at),
      freshness: { videos: lags.length, p50Ms: percentile(lags, 0.5), p95Ms: percentile(lags, 0.95), p99Ms: percentile(lags, 0.99) },
      recall: {
        visible: visible.length,
        stored: found,
        share: visible.length === 0 ? 1 : found / visible.length,
        lateVisible: late.length,
        lateStored: late.filter((v) => storedIds.has(v.videoId)).length,
      },
      unitsPerDay,
      counted: { enrichUnits: await dayCounts(enrichSpendKey), channelUnits: await dayCounts(channelSpendKey) },
      enrichment: { ...enrichment, storedVideos: Number(videoCounts.stored), videosWithDetails: Number(videoCounts.withDetails) },
      channels: { followed: channelCount, ...channelTotals },
      logLines,
    };
  } finally {
    await db.close();
    await sim.close();
  }
}
