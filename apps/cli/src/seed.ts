// `npm run seed -- --count N [--reset]`: loads N deterministic demo videos (see core's
// demo-videos.ts) in bulk batches, links each to one of the demo topic queries (created, not
// followed), then recomputes the feed counts once. Re-running with the same N changes nothing.
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import {
  ALL_VIDEOS_SCOPE,
  DEMO_TOPICS,
  connectRedis,
  createSnapshotWriter,
  createDb,
  createSearchQueryRepository,
  createVideoRepository,
  demoTopicIndex,
  demoVideo,
  ensureDatabase,
  loadConfigOrExit,
  migrateToLatest,
  readProcessEnvironment,
  systemClock,
} from '@tubefeed/core';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    reset: { type: 'boolean', default: false },
    batch: { type: 'string', default: '2000' },
  },
});
const count = Number(values.count);
const batchSize = Number(values.batch);
if (!Number.isInteger(count) || count < 1 || count > 50_000_000) {
  process.stderr.write('--count must be an integer from 1 to 50000000\n');
  process.exit(2);
}
if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
  process.stderr.write('--batch must be an integer from 1 to 10000\n');
  process.exit(2);
}

const config = loadConfigOrExit(readProcessEnvironment(), 'seed');
await ensureDatabase(config.mysql.url);
const db = createDb({ ...config.mysql, poolSize: 4 });
await migrateToLatest(db);
const videos = createVideoRepository({ db: db.kysely, clock: systemClock });
const queries = createSearchQueryRepository({ db: db.kysely, clock: systemClock });

if (values.reset) {
  for (const table of ['video_queries', 'feed_buckets', 'videos']) await sql`DELETE FROM ${sql.table(table)}`.execute(db.kysely);
}
const topicQueries = await Promise.all(DEMO_TOPICS.map((topic) => queries.ensureKnown(topic.query)));

const started = performance.now();
const interactive = process.stderr.isTTY;
let done = 0;
let lastReported = 0;
function progress(final = false): void {
  const seconds = (performance.now() - started) / 1000;
  const line = `seeded ${done}/${count} videos (${Math.round(done / Math.max(seconds, 0.001))}/s, ${seconds.toFixed(1)} s)`;
  if (interactive) process.stderr.write(`\r${line}${final ? '\n' : ''}`);
  else if (final || done - lastReported >= count / 10) {
    process.stderr.write(`${line}\n`);
    lastReported = done;
  }
}

let next = 0;
async function loader(): Promise<void> {
  for (;;) {
    const start = next;
    if (start >= count) return;
    next = Math.min(count, start + batchSize);
    const batch = [];
    const links = [];
    for (let i = start; i < next; i++) {
      batch.push(demoVideo(i, { count }));
      links.push({ index: i - start, queryId: topicQueries[demoTopicIndex(i)]!.id });
    }
    await videos.bulkLoad(batch, links);
    done += batch.length;
    progress();
  }
}
// Two connections keep both cores busy (one parses, one writes) without lock contention.
await Promise.all([loader(), loader()]);
progress(true);
process.stderr.write('recomputing feed counts...\n');
await videos.rebuildCounts();
await videos.fillMissingSearchRows();
const total = await videos.total();
process.stderr.write(`done: ${total} videos stored in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
// A running API serves page 1 from the snapshot: refresh it, as the worker does after a run.
const redis = connectRedis(config.redis.url, { maxRetriesPerRequest: 1, connectTimeout: 2000 });
redis.on('error', () => undefined); // reported below if the refresh fails
try {
  await createSnapshotWriter({ redis, prefix: config.redis.prefix, videos, now: () => new Date() }).refresh([
    ALL_VIDEOS_SCOPE,
    ...topicQueries.map((q) => q.id),
  ]);
} catch (error) {
  process.stderr.write(`page-1 snapshot not refreshed (${(error as Error).message}); the worker refreshes it on its next run\n`);
} finally {
  redis.disconnect();
}
await db.close();
