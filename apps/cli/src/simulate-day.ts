// `npm run simulate-day -- --keys 5 [--queries cricket,tea] [--pacing off] [--interval 10000]`:
// one Pacific day of fetching against the simulator on a fake clock (see quota-day.ts), in a
// scratch database next to MYSQL_URL's, and prints what pacing did: quota spent, calls per
// hour, the longest gap between searches, and how fresh videos were when stored.
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { clearPrefix, dropDatabase, loadConfig, pacificDayStart, readProcessEnvironment } from '@tubefeed/core';
import { simulateQuotaDay } from './quota-day.js';

const { values } = parseArgs({
  options: {
    keys: { type: 'string', default: '1' },
    queries: { type: 'string', default: 'cricket' },
    pacing: { type: 'string', default: 'on' },
    interval: { type: 'string', default: '10000' },
    'publish-interval': { type: 'string', default: '20000' },
  },
});
const keys = Number(values.keys);
const minIntervalMs = Number(values.interval);
const publishIntervalMs = Number(values['publish-interval']);
if (!Number.isInteger(keys) || keys < 1 || keys > 50) throw new Error('--keys must be an integer from 1 to 50');
if (!Number.isInteger(minIntervalMs) || minIntervalMs < 1000) throw new Error('--interval must be an integer of at least 1000 (ms)');
if (values.pacing !== 'on' && values.pacing !== 'off') throw new Error('--pacing must be on or off');

const config = loadConfig(readProcessEnvironment());
const scratch = new URL(config.mysql.url);
scratch.pathname = `/${scratch.pathname.slice(1)}_simday_${randomBytes(3).toString('hex')}`;
const redis = new Redis(config.redis.url);
const redisPrefix = `${config.redis.prefix}:simday:${randomBytes(3).toString('hex')}`;
const start = pacificDayStart(new Date('2024-05-14T12:00:00Z'));
try {
  const day = await simulateQuotaDay({
    mysqlUrl: scratch.toString(),
    redis,
    redisPrefix,
    keys,
    queries: values.queries.split(',').map((q) => q.trim()).filter(Boolean),
    pacing: values.pacing === 'on',
    minIntervalMs,
    start,
    publishIntervalMs,
  });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`keys ${keys}, queries ${values.queries}, pacing ${values.pacing}, FETCH_INTERVAL_MS ${minIntervalMs}, one upload per query every ${publishIntervalMs / 1000} s`);
  out(`first paced interval: ${Math.round(day.firstIntervalMs / 1000)} s`);
  out(`searches made: ${day.searchCalls}; quota used per key: ${day.unitsPerKey.map((u) => `${u}/${day.dailyQuota}`).join(', ')}; quotaExceeded answers: ${day.quotaErrors}`);
  out(`calls per hour (PT): ${day.callsPerHour.join(' ')}`);
  out(`longest gap between searches of a query: ${Math.round(day.longestGapMs / 1000)} s; last search at ${day.lastCallAt?.toISOString() ?? 'never'}`);
  out(`freshness (publish → stored) over ${day.freshness.videos} videos: p50 ${Math.round(day.freshness.p50Ms / 1000)} s, p99 ${Math.round(day.freshness.p99Ms / 1000)} s`);
} finally {
  await dropDatabase(scratch.toString());
  await clearPrefix(redis, redisPrefix);
  redis.disconnect();
}
