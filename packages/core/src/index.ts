// Public surface of @tubefeed/core, shared by the API, the worker and the command-line tools,
// by domain. Dependencies run one way: ingest / feed / admin -> catalog -> platform (lint).

// platform: config, clock, errors, secrets, logging, MySQL, Redis, time.
export * from './platform/channel-ref.js';
export * from './platform/clock.js';
export * from './platform/node-flags.js';
export * from './platform/config.js';
export * from './platform/db/create-db.js';
export * from './platform/db/deadlock-retry.js';
export * from './platform/db/ensure-database.js';
export * from './platform/db/migrate.js';
export * from './platform/db/service-secrets.js';
export * from './platform/db/read-routing.js';
export * from './platform/db/schema.js';
export * from './platform/errors.js';
export * from './platform/health-check.js';
export * from './platform/key-mask.js';
export * from './platform/logger.js';
export * from './platform/operator-text.js';
export * from './platform/redis/channel-subscriber.js';
export * from './platform/redis/create-redis.js';
export * from './platform/redis/redis-lock.js';
export * from './platform/redis/redis-url.js';
export * from './platform/redis/shared-counters.js';
export * from './platform/secret.js';
export * from './platform/shutdown-signals.js';
export * from './platform/time/index.js';

// catalog: the stored videos and followed queries, listing, search, rendered items.
export * from './catalog/catalog-service.js';
export * from './catalog/demo-videos.js';
export * from './catalog/feed-buckets.js';
export * from './catalog/followed-channel-repository.js';
export * from './catalog/feed-event-repository.js';
export * from './catalog/feed-keys.js';
export * from './catalog/feed-layout.js';
export * from './catalog/search-finder.js';
export * from './catalog/search-query-repository.js';
export * from './catalog/search-text.js';
export * from './catalog/video-details-repository.js';
export * from './catalog/video-details.js';
export * from './catalog/video-finder.js';
export * from './catalog/video-json.js';
export * from './catalog/video-repository.js';
export * from './catalog/video.js';

// ingest: YouTube client, key pool and quota buckets, pacing, the fetch run and its queue.
export * from './ingest/channel-pacing.js';
export * from './ingest/channel-poll-service.js';
export * from './ingest/channel-queue.js';
export * from './ingest/channel-resolver.js';
export * from './ingest/fetch-lease.js';
export * from './ingest/fetch-planner.js';
export * from './ingest/fetch-queue.js';
export * from './ingest/fetch-service.js';
export * from './ingest/fetch-stack.js';
export * from './ingest/enrich-budget.js';
export * from './ingest/enrich-queue.js';
export * from './ingest/enrich-schedule.js';
export * from './ingest/enrich-service.js';
export * from './ingest/pacing.js';
export * from './ingest/youtube/api-key-repository.js';
export * from './ingest/youtube/channel-client.js';
export * from './ingest/youtube/key-pool.js';
export * from './ingest/youtube/pooled-call.js';
export * from './ingest/youtube/quota-buckets.js';
export * from './ingest/youtube/video-details-parse.js';
export * from './ingest/youtube/youtube-client.js';
export * from './ingest/youtube/youtube-errors.js';

// feed: page-1 snapshots and their change notification.
export * from './feed/atom-feed.js';
export * from './feed/feed-events.js';
export * from './feed/feed-log.js';
export * from './feed/feed-relay.js';
export * from './feed/stream-hub.js';
export * from './feed/feed-service.js';
export * from './feed/feed-snapshot.js';
export * from './feed/snapshot-cache.js';
export * from './feed/webhook-delivery.js';
export * from './feed/webhook-destination.js';
export * from './feed/webhook-queue.js';
export * from './feed/webhook-repository.js';
export * from './feed/webhook-signature.js';

// admin: operator actions (keys, queries), the control channel, health.
export * from './admin/channel-admin.js';
export * from './admin/control-channel.js';
export * from './admin/health-monitor.js';
export * from './admin/health-service.js';
export * from './admin/key-admin.js';
export * from './admin/query-admin.js';
export * from './admin/query-overview.js';
export * from './admin/webhook-admin.js';

// The public response shapes (also `@tubefeed/core/response-schemas`, for browser code).
export * from './response-schemas.js';
