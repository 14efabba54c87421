// Prometheus metrics of the service, one registry per API instance. Request timings and
// page-1 snapshot use are counted here as they happen; everything else is read when scraped:
// key states and today's quota use from the key pool, fetch intervals from the schedules,
// freshness from MySQL, and the counters workers add to in Redis (shared-counters.ts).
// Keys appear only masked ("AIza…Xk3Q"), never in full. Query texts are labels only through
// operatorTextLabel: a row stored before the operator-text rule may hold a line break or an
// invisible character, and the exposition must still parse (and its labels stay bounded).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CHANNEL_RUN_OUTCOMES, QUOTA_BUCKETS, operatorTextLabel, projectsOf, type Clock, type KeyStatus } from '@tubefeed/core';
import type { ClosedConnectionReason } from '../plugins/connection-guard.js';

export interface MetricsSources {
  readonly clock: Clock;
  /** Keys in the pool with their state and today's use. */
  keyStatuses(): Promise<readonly KeyStatus[]>;
  /** Masked form of every stored key by fingerprint (also keys no longer in the pool). */
  keyLabels(): Promise<ReadonlyMap<string, string>>;
  /**
   * Followed queries with their fetch interval (ms), newest stored publish time, and the time
   * ranges still to backfill (after an outage, or below YouTube's result cap).
   */
  followedQueries(): Promise<
    ReadonlyArray<{ text: string; intervalMs: number | null; newestPublishedAt: Date | null; backlog: { ranges: number; seconds: number } }>
  >;
  /** The next quota reset. */
  quotaResetAt(): Date;
  /** Whether the live-update channel is subscribed, and how often the subscription was lost. */
  feedChannel(): { readonly up: boolean; readonly losses: number };
  sharedCounters(): Promise<Readonly<Record<string, number>>>;
  /** New-video events in the outbox not relayed yet. */
  feedEventsPending(): Promise<number>;
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

const FETCH_OUTCOMES = ['ok', 'partial', 'quota_exhausted', 'no_keys', 'keys_disabled', 'keys_suspect', 'skipped', 'failed'] as const;

export function createApiMetrics(sources: MetricsSources) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const requestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const snapshotRequests = new Counter({
    name: 'tubefeed_page1_requests_total',
    help: 'GET /getData page-1 requests by where the body came from (snapshot hit, or database fallback)',
    labelNames: ['source'] as const,
    registers,
  });

  const keyLabel = (labels: ReadonlyMap<string, string>, id: string) => labels.get(id) ?? `fingerprint:${id.slice(0, 8)}`;

  new Gauge({
    name: 'tubefeed_youtube_keys',
    help: 'YouTube API keys in the pool by state',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const keys = await sources.keyStatuses();
      this.reset();
      for (const state of ['ok', 'exhausted', 'suspect', 'disabled'] as const) this.set({ state }, keys.filter((k) => k.state === state).length);
    },
  });
  new Gauge({
    name: 'tubefeed_youtube_key_calls_today',
    help: 'Calls made with each key in the current Pacific day, by quota bucket (search: search.list; units: every other method)',
    labelNames: ['key', 'bucket'] as const,
    registers,
    async collect() {
      const keys = await sources.keyStatuses();
      this.reset();
      for (const key of keys) for (const bucket of QUOTA_BUCKETS) this.set({ key: key.masked, bucket }, key.callsToday[bucket]);
    },
  });
  // Per Google Cloud project: its keys share these. A project is named by its operator label
  // (letters, digits, _ . - only) or, for a key of its own, by that key masked.
  const projectName = (keys: readonly KeyStatus[], project: { id: string; label: string | null }) =>
    project.label ?? `own:${keys.find((k) => k.projectId === project.id)?.masked ?? project.id.slice(0, 12)}`;
  for (const [name, help, value] of [
    ['tubefeed_youtube_quota_used', 'Quota spent by each Google Cloud project in the current Pacific day, by bucket', 'used'],
    ['tubefeed_youtube_quota_limit', "Each Google Cloud project's daily quota, by bucket (search: calls; units: units)", 'limit'],
  ] as const) {
    new Gauge({
      name,
      help,
      labelNames: ['project', 'bucket'] as const,
      registers,
      async collect() {
        const keys = await sources.keyStatuses();
        this.reset();
        for (const project of projectsOf(keys)) {
          for (const bucket of QUOTA_BUCKETS) this.set({ project: projectName(keys, project), bucket }, project.buckets[bucket][value]);
        }
      },
    });
  }
  new Gauge({
    name: 'tubefeed_youtube_quota_reset_seconds',
    help: 'Seconds until the daily quota resets (midnight Pacific time)',
    registers,
    collect() {
      this.set((sources.quotaResetAt().getTime() - sources.clock.now().getTime()) / 1000);
    },
  });
  new Gauge({
    name: 'tubefeed_fetch_interval_seconds',
    help: 'Effective fetch interval of each followed query (paced to the quota)',
    labelNames: ['query'] as const,
    registers,
    async collect() {
      const queries = await sources.followedQueries();
      this.reset();
      for (const query of queries) if (query.intervalMs !== null) this.set({ query: operatorTextLabel(query.text) }, query.intervalMs / 1000);
    },
  });
  new Gauge({
    name: 'tubefeed_feed_freshness_seconds',
    help: 'Now minus the newest stored publish time, per followed query',
    labelNames: ['query'] as const,
    registers,
    async collect() {
      const queries = await sources.followedQueries();
      const now = sources.clock.now().getTime();
      this.reset();
      for (const query of queries) {
        if (query.newestPublishedAt !== null) this.set({ query: operatorTextLabel(query.text) }, (now - query.newestPublishedAt.getTime()) / 1000);
      }
    },
  });

  new Gauge({
    name: 'tubefeed_fetch_backlog_ranges',
    help: 'Time ranges of each followed query not searched yet (pending backfill)',
    labelNames: ['query'] as const,
    registers,
    async collect() {
      const queries = await sources.followedQueries();
      this.reset();
      for (const query of queries) this.set({ query: operatorTextLabel(query.text) }, query.backlog.ranges);
    },
  });
  new Gauge({
    name: 'tubefeed_fetch_backlog_seconds',
    help: 'Publish time those pending ranges span, per followed query',
    labelNames: ['query'] as const,
    registers,
    async collect() {
      const queries = await sources.followedQueries();
      this.reset();
      for (const query of queries) this.set({ query: operatorTextLabel(query.text) }, query.backlog.seconds);
    },
  });

  new Gauge({
    name: 'tubefeed_feed_channel_up',
    help: 'Whether this API process receives change notices (1); while 0 page 1 is refreshed by time',
    registers,
    collect() {
      this.set(sources.feedChannel().up ? 1 : 0);
    },
  });
  new Counter({
    name: 'tubefeed_feed_channel_losses_total',
    help: "Times this API process's live-update subscription was lost (Redis gone, a connection dropped); each is re-subscribed",
    registers,
    collect() {
      this.reset();
      this.inc(sources.feedChannel().losses);
    },
  });

  // Counters the workers keep in Redis, exposed as counters.
  const shared = (name: string, help: string, labelNames: readonly string[], fill: (c: Counter<string>, values: Record<string, number>, labels: ReadonlyMap<string, string>) => void) =>
    new Counter({
      name,
      help,
      labelNames,
      registers,
      async collect() {
        const [values, labels] = await Promise.all([sources.sharedCounters(), sources.keyLabels()]);
        this.reset();
        fill(this, { ...values }, labels);
      },
    });
  shared('tubefeed_fetch_runs_total', 'Fetch runs by outcome', ['outcome'], (c, v) => {
    for (const outcome of FETCH_OUTCOMES) c.inc({ outcome }, v[`fetch_runs:${outcome}`] ?? 0);
  });
  shared('tubefeed_videos_inserted_total', 'Videos stored for the first time', [], (c, v) => c.inc(v.videos_inserted ?? 0));
  shared('tubefeed_videos_updated_total', 'Stored videos whose details changed', [], (c, v) => c.inc(v.videos_updated ?? 0));
  shared(
    'tubefeed_fetch_result_cap_hits_total',
    "Searches that ended at YouTube's result cap with older matches left (kept as pending ranges)",
    [],
    (c, v) => c.inc(v.fetch_result_cap_hits ?? 0),
  );
  shared('tubefeed_fetch_job_failures_total', 'Fetch jobs that failed (each attempt)', [], (c, v) => c.inc(v.job_failures ?? 0));
  shared(
    'tubefeed_fetch_jobs_skipped_busy_total',
    'Scheduled fetches skipped because another worker was still fetching the same query',
    [],
    (c, v) => c.inc(v.fetch_jobs_skipped_busy ?? 0),
  );
  shared('tubefeed_youtube_search_calls_total', "YouTube search.list calls by key (masked), each 1 of its project's search bucket", ['key'], (c, v, labels) => {
    for (const [field, n] of Object.entries(v)) if (field.startsWith('quota:search:')) c.inc({ key: keyLabel(labels, field.slice(13)) }, n);
  });
  shared('tubefeed_youtube_units_total', "Units of the units bucket (videos.list and other methods) spent by key (masked)", ['key'], (c, v, labels) => {
    for (const [field, n] of Object.entries(v)) if (field.startsWith('quota:units:')) c.inc({ key: keyLabel(labels, field.slice(12)) }, n);
  });
  shared('tubefeed_channel_ticks_total', 'Followed-channel poll ticks by outcome', ['outcome'], (c, v) => {
    for (const outcome of CHANNEL_RUN_OUTCOMES) c.inc({ outcome }, v[`channel_runs:${outcome}`] ?? 0);
  });
  shared('tubefeed_channel_units_total', 'Units (playlistItems.list pages) spent polling followed channels', [], (c, v) => c.inc(v.channel_units ?? 0));
  shared('tubefeed_channel_videos_inserted_total', 'Videos followed-channel polling stored for the first time', [], (c, v) => c.inc(v.channel_videos_inserted ?? 0));
  shared(
    'tubefeed_fetch_outside_window_total',
    'Videos YouTube returned from outside the publishedAfter/publishedBefore window asked for (stored, not counted as new)',
    [],
    (c, v) => c.inc(v.fetch_outside_window ?? 0),
  );
  shared('tubefeed_fetch_found_below_head_total', 'New videos found below the head: by sweeps for late indexing and by backfill', [], (c, v) =>
    c.inc(v.fetch_found_below_head ?? 0),
  );
  shared(
    'tubefeed_fetch_unverified_seconds_total',
    'Publish time searched in windows too old for search to be complete (after a long outage): found videos are stored, completeness cannot be known',
    [],
    (c, v) => c.inc(v.fetch_unverified_seconds ?? 0),
  );

  // Client connections of this process (plugins/connection-guard.ts), read when scraped; the
  // ones it closed are counted as it closes them.
  let openConnections: (() => number) | undefined;
  new Gauge({
    name: 'tubefeed_http_connections_open',
    help: 'Client connections this API process holds open (at most HTTP_MAX_CONNECTIONS)',
    registers,
    collect() {
      if (openConnections !== undefined) this.set(openConnections());
    },
  });
  const connectionsClosed = new Counter({
    name: 'tubefeed_http_connections_closed_total',
    help:
      'Client connections this API process closed: evicted (idle, to make room at HTTP_MAX_CONNECTIONS), refused (at the cap, ' +
      'every connection busy), headers_timeout and request_timeout (the client was too slow to send its request)',
    labelNames: ['reason'] as const,
    registers,
  });
  // Every reason's series from the start (a series is exported once it has a value).
  for (const reason of ['evicted', 'refused', 'headers_timeout', 'request_timeout', 'pipelined'] as const) connectionsClosed.labels({ reason }).inc(0);

  // Server-Sent Events (GET /videos/stream): clients and feeds of this process, read when
  // scraped; each event written to a live client is timed from when its video was stored.
  let streamCounts: (() => { clients: number; feeds: number }) | undefined;
  new Gauge({
    name: 'tubefeed_sse_clients',
    help: 'Server-Sent Events clients connected to this API process',
    registers,
    collect() {
      if (streamCounts !== undefined) this.set(streamCounts().clients);
    },
  });
  new Gauge({
    name: 'tubefeed_sse_feeds',
    help: 'Feeds (all, a query, a channel) this API process reads for its SSE clients',
    registers,
    collect() {
      if (streamCounts !== undefined) this.set(streamCounts().feeds);
    },
  });
  const streamDelivery = new Histogram({
    name: 'tubefeed_sse_delivery_seconds',
    help: 'From a video being stored (its transaction) to its event being written to an SSE client',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers,
  });
  new Gauge({
    name: 'tubefeed_feed_events_pending',
    help: 'New-video events stored but not yet relayed to the stream logs and webhooks (stays near 0 while workers run)',
    registers,
    async collect() {
      this.set(await sources.feedEventsPending());
    },
  });

  // Per request, only the observation: the labelled children are looked up once per route and
  // status (a bounded set: routes are the app's own, unmatched paths share one label).
  const durations = new Map<string, ReturnType<typeof requestDuration.labels>>();
  const served = { snapshot: snapshotRequests.labels({ source: 'snapshot' }), database: snapshotRequests.labels({ source: 'database' }) };
  return {
    registry,
    observeRequest(method: string, route: string, statusCode: number, seconds: number): void {
      const key = `${method} ${statusCode} ${route}`;
      let child = durations.get(key);
      if (child === undefined) {
        child = requestDuration.labels({ method, route, status_code: String(statusCode) });
        durations.set(key, child);
      }
      child.observe(seconds);
    },
    snapshotServed(source: 'snapshot' | 'database'): void {
      served[source].inc();
    },
    /** Where the open-connections gauge reads from (the listening server's guard). */
    countConnections(source: () => number): void {
      openConnections = source;
    },
    connectionClosed(reason: ClosedConnectionReason): void {
      connectionsClosed.inc({ reason });
    },
    /** Where the SSE gauges read from (the process's stream hub). */
    countStreams(source: () => { clients: number; feeds: number }): void {
      streamCounts = source;
    },
    streamDelivered(seconds: number): void {
      streamDelivery.observe(Math.max(0, seconds));
    },
  };
}
