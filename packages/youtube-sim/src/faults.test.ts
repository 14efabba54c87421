// Injected faults as the real client experiences them: 5xx and rate limits, the client's own
// retry on a 503, latency, stalls (held, then answered normally), dropped connections, and hung
// calls ended by a client timeout, by clearing the faults, or by closing the simulator. Every one
// of them reached Google with a usable key, so every one costs its search call.
import { afterEach, describe, expect, it } from 'vitest';
import { failure, startSim, type SimHarness } from './testing/sim-harness.js';

let h: SimHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function start(): Promise<SimHarness> {
  h = await startSim({ publishIntervalMs: 60_000, historyMs: 3_600_000 });
  return h;
}

const params = { part: ['snippet'], q: 'lynx', type: ['video'], order: 'date', maxResults: 10 };

describe('faults', () => {
  it('answers a queued 503, then serves normally; the faulted call costs its search call too', async () => {
    const sim = await start();
    sim.sim.setFaults({ failNext: [{ status: 503 }] });
    const message = 'The service is currently unavailable.';
    expect(await failure(sim.client().search.list(params, { retry: false }))).toEqual({
      status: 503,
      data: { error: { code: 503, message, errors: [{ message, domain: 'global', reason: 'backendError' }], status: 'UNAVAILABLE' } },
    });
    const ok = await sim.client().search.list(params, { retry: false });
    expect(ok.data.items).toHaveLength(10);
    expect(sim.sim.quota()[0]!.search.used).toBe(2);
    expect(sim.sim.calls().map((c) => [c.status, c.reason, c.bucket, c.units])).toEqual([
      [503, 'backendError', 'search', 1],
      [200, null, 'search', 1],
    ]);
  });

  it('lets the client retry a 503 on its own (default retry config)', async () => {
    const sim = await start();
    sim.sim.setFaults({ failNext: [{ status: 503 }] });
    const response = await sim.client().search.list(params);
    expect(response.status).toBe(200);
    expect(sim.sim.calls().map((c) => c.status)).toEqual([503, 200]);
  });

  it('produces 500 internalError and the rate-limit bodies', async () => {
    const sim = await start();
    sim.sim.setFaults({
      failNext: [
        { status: 500, reason: 'internalError' },
        { status: 429, reason: 'rateLimitExceeded' },
        { status: 403, reason: 'userRateLimitExceeded' },
      ],
    });
    const internal = await failure(sim.client().search.list(params, { retry: false }));
    expect(internal).toEqual({
      status: 500,
      data: {
        error: {
          code: 500,
          message: 'Internal error encountered.',
          errors: [{ message: 'Internal error encountered.', domain: 'global', reason: 'internalError' }],
          status: 'INTERNAL',
        },
      },
    });
    const limited = await failure(sim.client().search.list(params, { retry: false }));
    expect(limited.status).toBe(429);
    expect(limited.data).toMatchObject({ error: { code: 429, errors: [{ domain: 'global', reason: 'rateLimitExceeded' }], status: 'RESOURCE_EXHAUSTED' } });
    const user = await failure(sim.client().search.list(params, { retry: false }));
    expect(user).toEqual({
      status: 403,
      data: {
        error: {
          code: 403,
          message: 'User Rate Limit Exceeded',
          errors: [{ message: 'User Rate Limit Exceeded', domain: 'global', reason: 'userRateLimitExceeded' }],
        },
      },
    });
    expect(sim.sim.quota()[0]!.search.used).toBe(3);
  });

  it('applies shares: serverErrorShare 1 fails every call until cleared', async () => {
    const sim = await start();
    sim.sim.setFaults({ serverErrorShare: 1 });
    for (let i = 0; i < 5; i++) {
      const error = await failure(sim.client().search.list(params, { retry: false }));
      expect([500, 503]).toContain(error.status);
    }
    sim.sim.clearFaults();
    expect((await sim.client().search.list(params, { retry: false })).status).toBe(200);
  });

  it('adds latency', async () => {
    const sim = await start();
    sim.sim.setFaults({ latencyMs: 150 });
    const started = performance.now();
    await sim.client().search.list(params, { retry: false });
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });

  it('hangs a call until the client times out (charged all the same), then serves the next one', async () => {
    const sim = await start();
    sim.sim.setFaults({ failNext: [{ hang: true }] });
    const started = performance.now();
    const error = await failure(sim.client().search.list(params, { retry: false, timeout: 200 }));
    const elapsed = performance.now() - started;
    expect(error.status).toBeUndefined();
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(2_000);
    await expect.poll(() => sim.sim.calls()[0]?.reason).toBe('clientClosed');
    expect(sim.sim.hangingCalls()).toBe(0);
    expect(sim.sim.calls()[0]).toMatchObject({ status: null, bucket: 'search', units: 1 });
    expect(sim.sim.quota()[0]!.search.used).toBe(1);
    expect((await sim.client().search.list(params, { retry: false, timeout: 2_000 })).status).toBe(200);
  });

  it('answers a hung call normally once the faults are cleared', async () => {
    const sim = await start();
    sim.sim.setFaults({ failNext: [{ hang: true }] });
    const pending = sim.client().search.list(params, { retry: false });
    await expect.poll(() => sim.sim.hangingCalls()).toBe(1);
    expect(sim.sim.calls()).toEqual([]);
    sim.sim.clearFaults();
    expect((await pending).status).toBe(200);
    expect(sim.sim.calls()[0]).toMatchObject({ status: 200, units: 1 });
    expect(sim.sim.quota()[0]!.search.used).toBe(1);
  });

  it('closes promptly while a call hangs', async () => {
    const sim = await start();
    sim.sim.setFaults({ hangShare: 1 });
    const pending = failure(sim.client().search.list(params, { retry: false }));
    await expect.poll(() => sim.sim.hangingCalls()).toBe(1);
    const started = performance.now();
    await sim.close();
    h = undefined;
    expect(performance.now() - started).toBeLessThan(1_000);
    expect((await pending).status).toBeUndefined();
  });

  it('holds a stalled call for stallMs, then answers it normally and charges it', async () => {
    const sim = await start();
    sim.sim.setFaults({ stallMs: 300, failNext: [{ stall: true }] });
    const started = performance.now();
    const pending = sim.client().search.list(params, { retry: false, timeout: 5_000 });
    await expect.poll(() => sim.sim.hangingCalls()).toBe(1);
    const response = await pending;
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(response.status).toBe(200);
    expect(response.data.items).toHaveLength(10);
    expect(sim.sim.hangingCalls()).toBe(0);
    expect(sim.sim.calls().map((c) => [c.status, c.reason, c.units])).toEqual([[200, null, 1]]);
    expect(sim.sim.quota()[0]!.search.used).toBe(1);
  });

  it('stalls for 5 seconds by default, so a client timeout below that gives up on a stalled call', async () => {
    const sim = await start();
    expect(sim.sim.setFaults({ stallShare: 1 }).stallMs).toBe(5_000);
    const error = await failure(sim.client().search.list(params, { retry: false, timeout: 200 }));
    expect(error.status).toBeUndefined();
    await expect.poll(() => sim.sim.calls()[0]?.reason).toBe('clientClosed');
    expect(sim.sim.quota()[0]!.search.used).toBe(1);
  });

  it('drops the connection without an answer: a network error for the client, the call charged', async () => {
    const sim = await start();
    sim.sim.setFaults({ failNext: [{ drop: true }] });
    const error = await sim
      .client()
      .search.list(params, { retry: false })
      .then(
        () => undefined,
        (e: unknown) => e as { status?: number; code?: string; response?: unknown },
      );
    expect(error).toBeDefined();
    expect(error!.status).toBeUndefined();
    expect(error!.response).toBeUndefined();
    expect(error!.code).toBe('ECONNRESET');
    expect(sim.sim.calls()).toEqual([expect.objectContaining({ status: null, reason: 'connectionDropped', bucket: 'search', units: 1, keyIndex: 0 })]);
    expect(sim.sim.quota()[0]!.search.used).toBe(1);
    expect((await sim.client().search.list(params, { retry: false })).status).toBe(200);
  });

  it('applies drop and stall shares until cleared', async () => {
    const sim = await start();
    sim.sim.setFaults({ dropShare: 1 });
    for (let i = 0; i < 3; i++) expect((await failure(sim.client().search.list(params, { retry: false }))).status).toBeUndefined();
    sim.sim.setFaults({ stallShare: 1, stallMs: 100 });
    for (let i = 0; i < 2; i++) {
      const started = performance.now();
      expect((await sim.client().search.list(params, { retry: false })).status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    }
    sim.sim.clearFaults();
    expect(sim.sim.calls().map((c) => c.reason)).toEqual(['connectionDropped', 'connectionDropped', 'connectionDropped', null, null]);
    expect(sim.sim.quota()[0]!.search.used).toBe(5);
  });

  it('draws the shares from the seed: the same seed gives the same mix of faults', async () => {
    const outcomes = async () => {
      const sim = await start();
      sim.sim.setFaults({ serverErrorShare: 0.3, dropShare: 0.3, stallShare: 0.3, stallMs: 1 });
      const seen: string[] = [];
      for (let i = 0; i < 40; i++) {
        seen.push(
          await sim
            .client()
            .search.list(params, { retry: false })
            .then(
              () => 'ok',
              (e: unknown) => String((e as { status?: number }).status ?? 'dropped'),
            ),
        );
      }
      await sim.close();
      h = undefined;
      return seen;
    };
    const first = await outcomes();
    expect(new Set(first)).toEqual(new Set(['ok', 'dropped', '500', '503']));
    expect(await outcomes()).toEqual(first);
  });
});
