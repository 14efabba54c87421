// `npm run simulate-day -- --keys 1 [--days 3] [--queries cricket,tea] [--pacing off]
//   [--interval 10000] [--publish-interval 20000] [--design sweeps|overlap|compare]
//   [--sweep-delays 3600000,46800000] [--seed 3] [--channels 1]`:
// Pacific days of fetching against the simulator on a fake clock (see quota-day.ts), in a
// scratch database next to MYSQL_URL's, printing what pacing did (searches spent, calls per
// hour, the longest gap between searches) and what it gave (freshness, recall of the videos
// search made visible, late-indexed ones apart). Enrichment runs beside it, and `--channels N`
// of the world's channels are followed and polled (ENRICH_* and CHANNEL_* as configured), with
// the same keys: the units each spent per Pacific day are printed from the simulator's own
// count per method, checked against its buckets. `--design compare` runs the design before
// sweeps and today's on the same simulated world and prints them side by side.
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { clearPrefix, connectRedis, dropDatabase, loadConfigOrExit, pacificDayStart, readProcessEnvironment } from '@tubefeed/core';
import { simulateQuotaDay, type FetchDesign, type QuotaDayReport } from './quota-day.js';

const { values } = parseArgs({
  options: {
    keys: { type: 'string', default: '1' },
    days: { type: 'string', default: '1' },
    queries: { type: 'string', default: 'cricket' },
    pacing: { type: 'string', default: 'on' },
    interval: { type: 'string', default: '10000' },
    'publish-interval': { type: 'string', default: '20000' },
    design: { type: 'string', default: 'sweeps' },
    'sweep-delays': { type: 'string', default: '3600000,46800000' },
    seed: { type: 'string', default: '3' },
    channels: { type: 'string', default: '1' },
  },
});
const keys = Number(values.keys);
const days = Number(values.days);
const minIntervalMs = Number(values.interval);
const publishIntervalMs = Number(values['publish-interval']);
const fail = (message: string): never => {
  process.stderr.write(`simulate-day: ${message}\n`);
  process.exit(2);
};
if (!Number.isInteger(keys) || keys < 1 || keys > 50) fail(`--keys must be an integer from 1 to 50, got ${values.keys}`);
if (!Number.isInteger(days) || days < 1 || days > 14) fail(`--days must be an integer from 1 to 14, got ${values.days}`);
if (!Number.isInteger(minIntervalMs) || minIntervalMs < 1000) fail(`--interval must be an integer of at least 1000 (ms), got ${values.interval}`);
if (!Number.isInteger(publishIntervalMs) || publishIntervalMs < 1000) fail(`--publish-interval must be an integer of at least 1000 (ms), got ${values['publish-interval']}`);
if (values.pacing !== 'on' && values.pacing !== 'off') fail(`--pacing must be on or off, got ${values.pacing}`);
if (!['sweeps', 'overlap', 'compare'].includes(values.design)) fail(`--design must be sweeps, overlap or compare, got ${values.design}`);
const seed = Number(values.seed);
if (!Number.isInteger(seed)) fail(`--seed must be an integer, got ${values.seed}`);
const channels = Number(values.channels);
if (!Number.isInteger(channels) || channels < 0 || channels > 50) fail(`--channels must be an integer from 0 to 50, got ${values.channels}`);
const designs: FetchDesign[] = values.design === 'compare' ? ['overlap', 'sweeps'] : [values.design as FetchDesign];
const sweepDelaysMs = values['sweep-delays'] === 'none' ? [] : values['sweep-delays'].split(',').map(Number);
if (sweepDelaysMs.some((d) => !Number.isInteger(d) || d < 60_000)) fail(`--sweep-delays must be none or delays in ms of at least 60000, got ${values['sweep-delays']}`);

const config = loadConfigOrExit(readProcessEnvironment(), 'simulate-day');
const redis = connectRedis(config.redis.url);
const start = pacificDayStart(new Date('2024-05-14T12:00:00Z'));
const queries = values.queries.split(',').map((q) => q.trim()).filter(Boolean);
// Videos published in the last hours of the last day are found by a sweep later: the run goes
// on past the deepest sweep delay (13 h) and the time its stretch takes to fill a page.
const drainMs = days > 1 ? 18 * 3_600_000 : 0;
const out = (line: string) => process.stdout.write(`${line}\n`);
const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

const reports: QuotaDayReport[] = [];
for (const design of designs) {
  const scratch = new URL(config.mysql.url);
  scratch.pathname = `/${scratch.pathname.slice(1)}_simday_${randomBytes(3).toString('hex')}`;
  const redisPrefix = `${config.redis.prefix}:simday:${randomBytes(3).toString('hex')}`;
  try {
    reports.push(
      await simulateQuotaDay({
        mysqlUrl: scratch.toString(),
        redis,
        redisPrefix,
        keys,
        queries,
        pacing: values.pacing === 'on',
        minIntervalMs,
        start,
        days,
        drainMs,
        design,
        publishIntervalMs,
        sweepDelaysMs,
        seed,
        enrich: config.enrich,
        channels: { count: channels, settings: config.channels, reserveUnits: config.enrich.reserveUnits },
      }),
    );
  } finally {
    await dropDatabase(scratch.toString());
    await clearPrefix(redis, redisPrefix);
  }
}
redis.disconnect();

out(
  `keys ${keys} (a project each, ${reports[0]!.searchCallsPerDay} searches a day), queries ${values.queries}, pacing ${values.pacing}, ` +
    `FETCH_INTERVAL_MS ${minIntervalMs}, one upload per query every ${publishIntervalMs / 1000} s, ${days} day(s)` +
    (drainMs > 0 ? ` + ${drainMs / 3_600_000} h` : '') +
    ", the simulator's default index lag (96.5 % within 2 min, 3 % within 1 h, 0.5 % within 12 h) and removals (1 %, 6 h to 30 days after publication)",
);
out(
  `enrichment every ${config.enrich.intervalMs / 1000} s (at most ${config.enrich.perRunUnits} units a run, ${config.enrich.perDayUnits} a day, ` +
    `${config.enrich.reserveUnits} kept per project); ${channels} followed channel(s), polled at most every ${config.channels.pollIntervalMs / 1000} s ` +
    `within ${config.channels.unitsShare} of the units`,
);
const percent = (part: number, whole: number) => `${whole === 0 ? '0.0' : ((100 * part) / whole).toFixed(1)} %`;
for (const day of reports) {
  out('');
  out(`design: ${day.design === 'sweeps' ? `sweeps at ${sweepDelaysMs.map((d) => `${d / 60_000} min`).join(', ')} (today)` : 'overlap only (before sweeps)'}`);
  out(`  first paced interval: ${seconds(day.firstIntervalMs)}`);
  out(`  searches made: ${day.searchCalls} (per Pacific day: ${day.searchesPerDay.join(', ')}); quotaExceeded answers: ${day.quotaErrors}`);
  out(`  calls per hour (PT): ${day.callsPerHour.join(' ')}`);
  out(`  longest gap between searches of a query: ${seconds(day.longestGapMs)}; last search at ${day.lastCallAt?.toISOString() ?? 'never'}`);
  out(`  freshness (publish → stored) over ${day.freshness.videos} videos: p50 ${seconds(day.freshness.p50Ms)}, p95 ${seconds(day.freshness.p95Ms)}, p99 ${seconds(day.freshness.p99Ms)}`);
  out(
    `  recall: ${day.recall.stored} of ${day.recall.visible} visible videos stored (${(100 * day.recall.share).toFixed(2)} %); ` +
      `indexed more than 10 min late: ${day.recall.lateStored} of ${day.recall.lateVisible}`,
  );
  out(
    `  enrichment: ${day.enrichment.runs} runs, ${day.enrichment.enriched} videos read (${day.enrichment.unavailable} found gone); ` +
      `${day.enrichment.videosWithDetails} of ${day.enrichment.storedVideos} stored videos enriched at the end`,
  );
  out(`  channels: ${day.channels.followed} followed, ${day.channels.ticks} ticks, ${day.channels.polls} polls, ${day.channels.inserted} videos stored by them first`);
  out('  quota per Pacific day (the simulator\'s count per method; its buckets beside):');
  day.unitsPerDay.forEach((units, index) => {
    const unitsSpent = units.enrichUnits + units.channelUnits + units.otherUnits;
    const agree = units.searches === units.searchBucketUsed && unitsSpent === units.unitsBucketUsed;
    out(
      `    day ${index + 1}: searches ${units.searches} (search bucket ${units.searchBucketUsed}); ` +
        `units: enrichment ${units.enrichUnits}, channels ${units.channelUnits}` +
        (units.channelLookupUnits > 0 ? ` (${units.channelLookupUnits} of them lookups)` : '') +
        (units.otherUnits > 0 ? `, other ${units.otherUnits}` : '') +
        ` = ${unitsSpent} of ${units.unitsBucketLimit} (${percent(unitsSpent, units.unitsBucketLimit)}; units bucket ${units.unitsBucketUsed})` +
        (agree ? '' : ' MISMATCH'),
    );
  });
  const enrichTotal = day.unitsPerDay.reduce((sum, u) => sum + u.enrichUnits, 0);
  const pollTotal = day.unitsPerDay.reduce((sum, u) => sum + u.channelUnits - u.channelLookupUnits, 0);
  out(`  counted by the service itself: enrichment ${day.counted.enrichUnits} units (simulator: ${enrichTotal}), channel polls ${day.counted.channelUnits} (simulator: ${pollTotal})`);
}
if (reports.length > 1) {
  out('');
  out('| design | recall | late-indexed found | freshness p50 | p95 | searches |');
  out('|---|---|---|---|---|---|');
  for (const day of reports) {
    out(
      `| ${day.design === 'sweeps' ? 'sweeps' : 'overlap only'} | ${(100 * day.recall.share).toFixed(2)} % (${day.recall.stored}/${day.recall.visible}) | ` +
        `${day.recall.lateStored}/${day.recall.lateVisible} | ${seconds(day.freshness.p50Ms)} | ${seconds(day.freshness.p95Ms)} | ${day.searchCalls} |`,
    );
  }
}
