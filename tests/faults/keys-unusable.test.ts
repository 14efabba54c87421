// Fault: no YouTube key can be used. Every key is out of quota, or every key is refused by
// YouTube (blocked, API not enabled, invalid). The worker and the API run as deployed (their
// runtimes, tests/e2e/stack.ts) on one fake clock shared with the simulator, so Pacific midnight
// can be reached; pacing is off, so the worker runs every second and only the key pool stands
// between it and YouTube.
//
// What is promised: the run that finds out makes one call per key and no more; after it, no
// search call at all until the quota resets (Pacific midnight) or an operator acts (adds a key,
// or enables a rejected one); GET /health says so (state, and when searching resumes or that it
// takes an operator); then searching resumes on the usable keys only. The key state survives a
// Redis that lost everything (it keeps nothing on disk): exhausted and rejected keys stay
// uncalled and the admin key list still shows why.
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, groupKey, nextPacificMidnight, type FetchRunResult } from '@tubefeed/core';
import { createTestRedis, until } from '@tubefeed/core/testing';
import type { CallRecord } from '@tubefeed/youtube-sim';
import { startStack, type Stack } from '../e2e/stack.js';

const START = '2024-05-14T18:00:00.000Z'; // 11:00 Pacific (PDT)
const RESET = nextPacificMidnight(new Date(START)).toISOString(); // 2024-05-15T07:00:00.000Z
const QUERY = 'heron';
const PASSWORD = 'keys-fault-secret';
const ADMIN = { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` };
const KEYS = ['tfKeyAlpha0000000000000001', 'tfKeyBravo0000000000000002', 'tfKeyCharlie000000000000003'] as const;
/** A key YouTube does not know. */
const UNKNOWN_KEY = 'tfKeyUnknown000000000000009';
const QUIET_RUNS = 6;

interface AdminKey {
  id: number;
  masked: string;
  state: string;
  exhaustedUntil: string | null;
  rejectedReason: string | null;
}

interface Scenario {
  readonly stack: Stack;
  readonly clock: ManualClock;
  /** Moves the service's clock and the simulator's together. */
  setTime(to: string | Date): void;
  searchCalls(): CallRecord[];
  /** Resolves with the first run completed after this call that matches. */
  nextRun(what: string, matches?: (result: FetchRunResult) => boolean): Promise<FetchRunResult>;
  /** Waits for `count` more runs and returns them. */
  runs(count: number): Promise<FetchRunResult[]>;
  /**
   * The /health body; given `matching`, the first that matches it. /health answers from a
   * background probe (once a second), so a change shows at the next probe, not at once.
   */
  health(matching?: Record<string, unknown>): Promise<Record<string, unknown>>;
  adminKeys(): Promise<AdminKey[]>;
}

let current: Stack | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function start(workerKeys: readonly string[]): Promise<Scenario> {
  const clock = new ManualClock(START);
  const stack = await startStack({
    clock,
    sim: { clock: { mode: 'manual', now: START }, keys: [...KEYS], publishIntervalMs: 20_000 },
    env: {
      YOUTUBE_API_KEYS: workerKeys.join(','),
      SEARCH_QUERIES: QUERY,
      QUOTA_PACING: 'off',
      FETCH_INTERVAL_MS: '1000',
      ADMIN_PASSWORD: PASSWORD,
    },
  });
  current = stack;
  const scenario: Scenario = {
    stack,
    clock,
    setTime(to) {
      clock.set(to);
      stack.sim.setTime(clock.now());
    },
    searchCalls: () => stack.sim.calls().filter((call) => call.endpoint === 'search.list'),
    async nextRun(what, matches = () => true) {
      const from = stack.results.length;
      return until(what, () => stack.results.slice(from).find(matches), 30_000);
    },
    async runs(count) {
      const from = stack.results.length;
      await until(`${count} more runs`, () => (stack.results.length >= from + count ? true : undefined), 30_000);
      return stack.results.slice(from);
    },
    async health(matching) {
      return until('/health to match', async () => {
        const response = await stack.api.app.inject({ method: 'GET', url: '/health' });
        expect(response.statusCode).toBe(200);
        const body = response.json<Record<string, unknown>>();
        if (matching === undefined) return body;
        try {
          expect(body).toMatchObject(matching);
          return body;
        } catch {
          // Not yet: the next probe may show it.
          return undefined;
        }
      });
    },
    async adminKeys() {
      const response = await stack.api.app.inject({ method: 'GET', url: '/admin/keys', headers: ADMIN });
      expect(response.statusCode).toBe(200);
      return response.json<{ keys: AdminKey[] }>().keys;
    },
  };
  await scenario.nextRun('a first complete run', (result) => result.outcome === 'ok');
  return scenario;
}

describe('every key out of quota', () => {
  it('makes no search call until Pacific midnight, says so on /health, then resumes', async () => {
    const s = await start(KEYS);
    for (let i = 0; i < KEYS.length; i++) s.stack.sim.setQuotaUsed(i, { searchCalls: 100 });
    s.setTime(new Date(Date.parse(START) + 60_000));
    const callsBefore = s.searchCalls().length;

    // The run that finds out: one call per key, each answered quotaExceeded.
    const finding = await s.nextRun('the run that finds every key out of quota', (result) => result.outcome === 'quota_exhausted');
    expect(finding).toMatchObject({ searchCalls: 3, quotaResetAt: RESET });
    const found = s.searchCalls().slice(callsBefore);
    expect(found.map((call) => [call.keyIndex, call.status, call.reason]).sort()).toEqual([
      [0, 403, 'quotaExceeded'],
      [1, 403, 'quotaExceeded'],
      [2, 403, 'quotaExceeded'],
    ]);

    // Then nothing, through the rest of the Pacific day.
    const quietFrom = s.searchCalls().length;
    for (const hour of [1, 4, 9, 12.99]) {
      s.setTime(new Date(Date.parse(START) + hour * 3_600_000));
      const quiet = await s.runs(QUIET_RUNS / 2);
      expect(quiet.map((result) => [result.outcome, result.searchCalls])).toEqual(quiet.map(() => ['quota_exhausted', 0]));
    }
    expect(s.searchCalls().length).toBe(quietFrom);

    const health = await s.health({ checks: { youtube: 'quota_exhausted' } });
    expect(health).toMatchObject({
      isError: false,
      checks: { youtube: 'quota_exhausted' },
      quotaResetAt: RESET,
      keys: { ok: 0, exhausted: 3, disabled: 0 },
      youtube: { searching: false, resumesAt: RESET },
    });
    expect((health.youtube as { message: string }).message).toContain(`no search until ${RESET} (midnight Pacific time)`);
    expect((await s.adminKeys()).map((key) => [key.state, key.exhaustedUntil])).toEqual(KEYS.map(() => ['exhausted', RESET]));

    // Pacific midnight: a new quota for every key.
    s.setTime(RESET);
    const resumed = await s.nextRun('a run after the reset', (result) => result.outcome === 'ok');
    expect(resumed.searchCalls).toBeGreaterThan(0);
    expect(s.searchCalls().slice(quietFrom).every((call) => call.status === 200)).toBe(true);
    await s.health({ checks: { youtube: 'ok' }, quotaResetAt: null, youtube: { searching: true, resumesAt: null } });
    expect((await s.adminKeys()).map((key) => key.state)).toEqual(['active', 'active', 'active']);
  });
});

describe('every key rejected by YouTube (blocked, API not enabled, invalid)', () => {
  it('makes no search call until an operator adds a key or enables one, and says so on /health', async () => {
    const s = await start([KEYS[0], KEYS[1], UNKNOWN_KEY]);
    s.stack.sim.updateKey(0, { state: 'blocked' });
    s.stack.sim.updateKey(1, { state: 'notConfigured' });
    const callsBefore = s.searchCalls().length;

    const finding = await s.nextRun('the run that finds no usable key', (result) => result.outcome === 'keys_disabled');
    expect(finding.searchCalls).toBeLessThanOrEqual(3);
    // Each key was refused at most once, ever (the unknown one maybe already in the first run).
    const refusals = s.searchCalls().filter((call) => call.status !== 200);
    expect(refusals.map((call) => call.reason).sort()).toEqual(['accessNotConfigured', 'badRequest', 'forbidden']);
    expect(s.searchCalls().slice(callsBefore).every((call) => call.status !== 200)).toBe(true);

    const quietFrom = s.searchCalls().length;
    const quiet = await s.runs(QUIET_RUNS);
    expect(quiet.map((result) => [result.outcome, result.searchCalls])).toEqual(quiet.map(() => ['keys_disabled', 0]));
    s.setTime(RESET); // a new quota day changes nothing for a rejected key
    await s.runs(2);
    expect(s.searchCalls().length).toBe(quietFrom);

    const health = await s.health({ checks: { youtube: 'keys_disabled' } });
    expect(health).toMatchObject({
      isError: false,
      checks: { youtube: 'keys_disabled' },
      quotaResetAt: null,
      keys: { ok: 0, exhausted: 0, disabled: 3 },
      youtube: { searching: false, resumesAt: null },
    });
    expect((health.youtube as { message: string }).message).toContain('no search until an operator adds a key (POST /admin/keys)');
    const keys = await s.adminKeys();
    expect(keys.map((key) => [key.state, key.rejectedReason])).toEqual([
      ['rejected', 'API_KEY_SERVICE_BLOCKED'],
      ['rejected', 'SERVICE_DISABLED'],
      ['rejected', 'API_KEY_INVALID'],
    ]);

    // An operator adds a good key: searching resumes on it alone.
    const added = await s.stack.api.app.inject({ method: 'POST', url: '/admin/keys', headers: ADMIN, payload: { key: KEYS[2] } });
    expect(added.statusCode).toBe(201);
    await s.nextRun('a run with the added key', (result) => result.outcome === 'ok');
    const withAdded = s.searchCalls().slice(quietFrom);
    expect(withAdded.length).toBeGreaterThan(0);
    expect(withAdded.every((call) => call.keyIndex === 2 && call.status === 200)).toBe(true);
    await s.health({ checks: { youtube: 'ok' }, keys: { ok: 1, exhausted: 0, disabled: 3 } });

    // YouTube unblocks the first key and an operator enables it again: it is used once more.
    s.stack.sim.updateKey(0, { state: 'ok' });
    const enabled = await s.stack.api.app.inject({ method: 'PATCH', url: `/admin/keys/${keys[0]!.id}`, headers: ADMIN, payload: { enabled: true } });
    expect(enabled.json()).toMatchObject({ state: 'active', rejectedReason: null });
    const enabledFrom = s.searchCalls().length;
    await s.runs(4);
    const afterEnable = s.searchCalls().slice(enabledFrom);
    expect(new Set(afterEnable.map((call) => call.keyIndex))).toEqual(new Set([0, 2]));
    expect(afterEnable.every((call) => call.status === 200)).toBe(true);

    // Every key switched off by an operator: searching is off, not unconfigured.
    for (const key of await s.adminKeys()) {
      await s.stack.api.app.inject({ method: 'PATCH', url: `/admin/keys/${key.id}`, headers: ADMIN, payload: { enabled: false } });
    }
    await s.health({ checks: { youtube: 'keys_disabled' }, youtube: { searching: false, resumesAt: null } });
  });
});

describe('key state after Redis lost everything', () => {
  it('keeps exhausted and rejected keys uncalled, and the admin list still says why', async () => {
    const s = await start([...KEYS, UNKNOWN_KEY]);
    s.stack.sim.setQuotaUsed(0, { searchCalls: 100 });
    s.stack.sim.updateKey(1, { state: 'blocked' });
    // Round robin reaches every key within a few runs; each bad one is called once and marked.
    await until(
      'every bad key found out',
      async () => {
        const states = (await s.adminKeys()).map((key) => key.state);
        return states.join() === 'exhausted,rejected,active,rejected' ? true : undefined;
      },
      30_000,
      100,
    );
    const before = await s.adminKeys();

    // Redis restarted with nothing on disk: the pool's key state (and usage counts) are gone.
    const redis = createTestRedis();
    const lost = await redis.keys(groupKey(s.stack.config.redis.prefix, null, 'yt', '*'));
    expect(lost.length).toBeGreaterThan(0);
    await redis.del(...lost);
    redis.disconnect();

    const from = s.searchCalls().length;
    const runs = await s.runs(QUIET_RUNS);
    expect(runs.every((result) => result.outcome === 'ok')).toBe(true);
    const after = s.searchCalls().slice(from);
    expect(after.length).toBeGreaterThanOrEqual(QUIET_RUNS - 1); // the first may have called before `from`
    expect(after.every((call) => call.keyIndex === 2 && call.status === 200)).toBe(true);

    const keys = await s.adminKeys();
    expect(keys.map((key) => [key.state, key.exhaustedUntil, key.rejectedReason])).toEqual([
      ['exhausted', RESET, null],
      ['rejected', null, 'API_KEY_SERVICE_BLOCKED'],
      ['active', null, null],
      ['rejected', null, 'API_KEY_INVALID'],
    ]);
    expect(keys.map((key) => key.masked)).toEqual(before.map((key) => key.masked));
    // The API reads its key list (with the states saved in MySQL) through a cache of 30 s, and its
    // background health probe has read it since boot: let the cache expire on the fake clock.
    s.setTime(new Date(s.clock.now().getTime() + 31_000));
    await s.health({ checks: { youtube: 'ok' }, keys: { ok: 1, exhausted: 1, disabled: 2 } });

    // The quota day turns: the spent key is back, the rejected ones still wait for an operator.
    s.setTime(RESET);
    const resetFrom = s.searchCalls().length;
    await s.runs(4);
    const afterReset = s.searchCalls().slice(resetFrom);
    expect(new Set(afterReset.map((call) => call.keyIndex))).toEqual(new Set([0, 2]));
    expect((await s.adminKeys()).map((key) => key.state)).toEqual(['active', 'rejected', 'active', 'rejected']);
  });
});
