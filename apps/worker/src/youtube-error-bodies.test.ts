// Every error body YouTube sends, in every form (the simulator's catalogue of the error table in
// youtube-api.md), answered to a real search of the fetch pipeline: what the key pool does with
// the key that got it, and what the run does. One test per body.
//   quota      that bucket of the key's project is spent until Pacific midnight; the same call
//              moves to a key of another project
//   key        the key is disabled until an operator acts; the run goes on with another key
//   rateLimit, server   transient: retried with backoff, the key stays in use
//   parameter  our request is wrong: the run fails at once (not retried), the key stays in use
//   unknown    retried, counted; a key that keeps getting such answers is set aside (suspect)
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { nextPacificMidnight } from '@tubefeed/core';
import { clearRedisPrefix } from '@tubefeed/core/testing';
import { ERROR_BODIES, type ErrorBodyName } from '@tubefeed/youtube-sim';
import { createPipelineHarness, type PipelineHarness } from './testing/pipeline-harness.js';

const START = '2024-05-14T18:00:00Z';
let h: PipelineHarness;

beforeAll(async () => {
  h = await createPipelineHarness({ start: START, keys: [{}, {}] });
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  // Each body meets a pool that knows nothing yet (state lives in Redis in this harness).
  await clearRedisPrefix(h.redis, h.prefix);
  h.sim.clearFaults();
  h.sim.resetCalls();
});

/** Runs a fetch whose first search gets `name`, and says what became of the key that got it. */
async function answerFirstSearchWith(name: ErrorBodyName) {
  h.sim.setFaults({ failNext: [{ body: name }] });
  const outcome = await h.run().then(
    (result) => ({ result, error: undefined }),
    (error: unknown) => ({ result: undefined, error: error as { kind?: string } }),
  );
  const first = h.searchCalls()[0]!;
  const status = await h.pool.status();
  const key = status.keys.find((k) => k.masked === first.key)!;
  return { ...outcome, first, key, status };
}

describe('what the pool does with each error body YouTube sends', () => {
  it.each(ERROR_BODIES.map((body) => [body.name, body] as const))('%s', async (name, body) => {
    const { result, error, first, key } = await answerFirstSearchWith(name);
    expect(first.status).toBe(body.status);
    switch (body.kind) {
      case 'quota':
        expect(key).toMatchObject({ state: 'exhausted', exhaustedUntil: nextPacificMidnight(h.clock.now()) });
        expect(key.quota.search.remaining).toBe(0);
        expect(key.quota.units.exhaustedUntil).toBeNull(); // only the bucket that answered
        expect(result?.outcome).toBe('ok');
        break;
      case 'key':
        expect(key.state).toBe('disabled');
        expect(key.disabledReason).not.toBeNull();
        expect(result?.outcome).toBe('ok');
        break;
      case 'rateLimit':
      case 'server':
        expect(key).toMatchObject({ state: 'ok', errorsToday: { transient: 1 } });
        expect(result?.outcome).toBe('ok');
        break;
      case 'parameter':
        expect(key).toMatchObject({ state: 'ok', errorsToday: { request: 1 } });
        expect(error).toMatchObject({ kind: 'request' });
        expect(h.searchCalls()).toHaveLength(1); // not retried: the same request would fail again
        break;
      case 'unknown':
        expect(key).toMatchObject({ state: 'ok', errorsToday: { unknown: 1 } });
        expect(result?.outcome).toBe('ok'); // retried once, and answered
        break;
    }
  });

  it('sets a key that keeps getting unexplained answers aside after 3, instead of retrying it forever', async () => {
    const one = await createPipelineHarness({ start: START, keys: [{}] });
    try {
      one.sim.setFaults({ failNext: [{ body: 'unknown400' }, { body: 'unknown404' }, { body: 'unknown409' }, { body: 'unknown400' }] });
      await expect(one.run()).rejects.toMatchObject({ kind: 'unknown' });
      expect(one.searchCalls()).toHaveLength(3); // 1 try + 2 retries, then the run fails
      const [key] = (await one.pool.status()).keys;
      expect(key).toMatchObject({ state: 'suspect', suspectUntil: nextPacificMidnight(one.clock.now()), errorsToday: { unknown: 3 } });
      // Not called again until the next quota day (or an operator's enable).
      expect(await one.run()).toMatchObject({ outcome: 'keys_suspect', searchCalls: 0 });
      expect(one.searchCalls()).toHaveLength(3);
      expect((await one.pool.status()).state).toBe('keys_suspect');
      one.setTime(nextPacificMidnight(one.clock.now()));
      one.sim.clearFaults();
      expect((await one.run()).outcome).toBe('ok');
    } finally {
      await one.close();
    }
  });

  it('a project whose search bucket YouTube says is spent is passed over, with every key of it, until Pacific midnight', async () => {
    const two = await createPipelineHarness({ start: START, keys: [{ project: 'p1' }, { project: 'p1' }, { project: 'p2' }], pipelineKeys: (keys) => keys.map((k, i) => (i < 2 ? `p1:${k}` : k)) });
    try {
      two.sim.setQuotaUsed(0, { searchCalls: 100 }); // p1 spent elsewhere: our own count cannot know
      for (let i = 0; i < 4; i++) {
        expect((await two.run()).outcome).toBe('ok');
        two.advance(10_000);
      }
      const calls = two.searchCalls();
      const spent = calls.filter((c) => c.reason === 'quotaExceeded');
      expect(spent).toHaveLength(1); // one refusal names the project; its other key is never tried
      expect(calls.filter((c) => c.status === 200).every((c) => c.keyIndex === 2)).toBe(true);
      const status = await two.pool.status();
      expect(status.projects.map((p) => [p.label, p.keys, p.buckets.search.remaining])).toEqual([
        ['p1', 2, 0],
        [null, 1, 100 - calls.filter((c) => c.keyIndex === 2).length],
      ]);
      // videos.list draws from the other bucket, which p1 still has.
      const units = new Set<string | null>();
      for (let i = 0; i < 3; i++) units.add((await two.pool.acquire('units')).key.project);
      expect(units).toEqual(new Set(['p1', null]));
    } finally {
      await two.close();
    }
  });
});
