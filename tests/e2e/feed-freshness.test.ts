// End to end: the simulator publishes, the worker (BullMQ, as deployed) fetches, the API serves.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { until } from '@tubefeed/core/testing';
import { startStack, type Stack } from './stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    sim: { seed: 5, historyMs: 10 * 60_000, publishIntervalMs: 700 },
    env: { FETCH_INTERVAL_MS: '1000', QUOTA_PACING: 'off' },
  });
});
afterAll(async () => {
  await stack.close();
});

const pageOne = async () =>
  (await stack.api.app.inject({ method: 'GET', url: '/getData?limit=100' })).json<{ videos: Array<{ video_id: string }> }>();

it('makes what the simulator publishes visible on /getData page 1 within one fetch interval', async () => {
  await until('the first videos', async () => ((await pageOne()).videos.length > 0 ? true : undefined));
  const lags: number[] = [];
  for (let i = 0; i < 4; i++) {
    const seenBefore = new Set(stack.sim.groundTruth('cricket').map((v) => v.videoId));
    const fresh = await until('a new upload', () => stack.sim.groundTruth('cricket').find((v) => !seenBefore.has(v.videoId)));
    const publishedAt = Date.now(); // the simulator runs on the real clock
    await until('the upload on page 1', async () => ((await pageOne()).videos.some((v) => v.video_id === fresh.videoId) ? true : undefined), 10_000, 20);
    lags.push(Date.now() - publishedAt);
  }
  // One interval (1 s) plus what a run and the snapshot refresh take.
  expect(Math.max(...lags)).toBeLessThan(1000 + 700);
});
