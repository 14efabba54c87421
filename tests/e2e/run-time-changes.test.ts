// Changes made through the admin API reach a running worker without a restart: a followed
// query gets a fetch schedule and is fetched, a dropped one loses it, and a key added mid-day
// shortens the paced interval at once.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createFetchQueue } from '@tubefeed/core';
import { createTestRedis, silentLogger, until } from '@tubefeed/core/testing';
import { startStack, type Stack } from './stack.js';

const auth = { authorization: `Basic ${Buffer.from('admin:pw-123456').toString('base64')}` };
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    sim: { seed: 8, keys: [{}] },
    env: {
      // A small daily quota makes pacing visible at any time of day: 10 searches a day per key.
      YOUTUBE_SEARCH_CALLS_PER_DAY: '10',
      QUOTA_PACING: 'on',
      ADMIN_PASSWORD: 'pw-123456',
    },
  });
});
afterAll(async () => {
  await stack.close();
});

async function schedules(): Promise<Map<string, number>> {
  const connection = createTestRedis();
  const queue = createFetchQueue(connection, stack.config.redis.prefix, silentLogger);
  try {
    return new Map((await queue.getJobSchedulers(0, -1)).map((s) => [s.key, s.every ?? 0]));
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

it('a query followed at run time is scheduled and fetched; dropping it removes the schedule', async () => {
  const followed = await stack.api.app.inject({ method: 'POST', url: '/admin/queries', headers: auth, payload: { text: 'football' } });
  expect(followed.statusCode).toBe(201);
  const id = followed.json<{ id: number }>().id;
  await until('the schedule', async () => ((await schedules()).has(`fetch-query-${id}`) ? true : undefined));
  await until('a fetch of it', () => Promise.resolve(stack.results.some((r) => r.queryId === id && r.outcome === 'ok') ? true : undefined));
  const dropped = await stack.api.app.inject({ method: 'DELETE', url: `/admin/queries/${id}`, headers: auth });
  expect(dropped.statusCode).toBe(204);
  await until('the schedule to go', async () => ((await schedules()).has(`fetch-query-${id}`) ? undefined : true));
});

it('a key added mid-day shortens the paced interval', async () => {
  const cricket = 'fetch-query-1';
  const before = (await schedules()).get(cricket)!;
  // The budget, not FETCH_INTERVAL_MS (10 s), sets the interval.
  expect(before).toBeGreaterThan(stack.config.fetch.intervalMs);
  const added = await stack.api.app.inject({ method: 'POST', url: '/admin/keys', headers: auth, payload: { key: stack.sim.addKey() } });
  expect(added.statusCode).toBe(201);
  // The new key brings a whole day's quota, more than the first key has left.
  const after = await until('the new interval', async () => {
    const every = (await schedules()).get(cricket)!;
    return every < before * 0.6 ? every : undefined;
  });
  expect(after).toBeGreaterThanOrEqual(stack.config.fetch.intervalMs);
});
