// Injected trouble for the YouTube endpoints: added latency, 5xx answers, short-term rate
// limits, dropped connections (the socket is destroyed, no answer at all), stalls (held for
// `stallMs`, then answered normally), requests that never answer, and one-off answers with any
// body of the error catalogue. Shares are drawn from the seeded generator so a test run is
// repeatable; `failNext` queues exact outcomes for tests that must not depend on chance. What
// each outcome costs is the quota model's business (youtube-routes.ts), not this module's.
import { ERROR_BODIES, isErrorBodyName, type ErrorBodyName } from './error-catalogue.js';
import { createRandom, hashString, pick, type Random } from './seeded-random.js';

/**
 * One queued outcome: an error body by catalogue name, a transient error by status (and
 * reason), or a hang, a stall or a dropped connection.
 */
export type FaultSpec = { body: ErrorBodyName } | { status: number; reason?: string } | { hang: true } | { stall: true } | { drop: true };

export interface FaultSettings {
  /** Share (0..1) of calls answered 500 backendError/internalError or 503 backendError. */
  serverErrorShare: number;
  /** Share (0..1) of calls answered 429/403 rateLimitExceeded or userRateLimitExceeded. */
  rateLimitShare: number;
  /** Share (0..1) of calls that never answer until faults are cleared or the client gives up. */
  hangShare: number;
  /** Share (0..1) of calls whose connection is dropped: the socket is destroyed, nothing is sent. */
  dropShare: number;
  /** Share (0..1) of calls held for `stallMs`, then answered normally. */
  stallShare: number;
  /** How long a stalled call is held (default 5,000 ms). */
  stallMs: number;
  /** Added to every call before it is looked at. */
  latencyMs: number;
  /**
   * Outcomes for the next calls, in order, before any share applies. The shares are drawn in
   * the order hang, 5xx, rate limit, drop, stall, each over the calls the ones before it left.
   */
  failNext: FaultSpec[];
}

export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'hang' }
  | { kind: 'drop' }
  | { kind: 'stall'; ms: number }
  | { kind: 'error'; body: ErrorBodyName };

/** How a waiting (hung or delayed) call ended. */
export type WaitOutcome = 'released' | 'abandoned' | 'closing';

export const DEFAULT_STALL_MS = 5_000;

const NO_FAULTS: FaultSettings = {
  serverErrorShare: 0,
  rateLimitShare: 0,
  hangShare: 0,
  dropShare: 0,
  stallShare: 0,
  stallMs: DEFAULT_STALL_MS,
  latencyMs: 0,
  failNext: [],
};

// The transient bodies the shares draw from, in a fixed order so a seed keeps its outcomes.
const SERVER_ERRORS: readonly ErrorBodyName[] = ['backendError500', 'internalError500', 'backendError503'];
const RATE_LIMITS: readonly ErrorBodyName[] = ['rateLimitExceeded429', 'rateLimitExceeded403', 'userRateLimitExceeded403', 'userRateLimitExceeded429'];
/** `{status, reason?}` names one of these; without a reason, the first of its status. */
const TRANSIENT = ERROR_BODIES.filter((spec) => spec.kind === 'server' || spec.kind === 'rateLimit');

function share(name: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new RangeError(`${name} must be a number from 0 to 1`);
  return value;
}

function duration(name: string, value: unknown, fallback: number): number {
  const ms = value ?? fallback;
  if (typeof ms !== 'number' || !(ms >= 0 && ms <= 600_000)) throw new RangeError(`${name} must be a number from 0 to 600000`);
  return ms;
}

const FLAG_SPECS = ['hang', 'stall', 'drop'] as const;

/** Validates a (partial) settings object; missing fields mean "no such fault". */
export function parseFaultSettings(input: Partial<FaultSettings>): FaultSettings {
  const failNext = (input.failNext ?? []).map((spec, i): FaultSpec => {
    for (const flag of FLAG_SPECS) {
      if (flag in spec) {
        if ((spec as Record<string, unknown>)[flag] !== true) throw new RangeError(`failNext[${i}].${flag} must be true`);
        return { [flag]: true } as FaultSpec;
      }
    }
    if ('body' in spec) {
      if (!isErrorBodyName(spec.body)) throw new RangeError(`failNext[${i}].body must be one of: ${ERROR_BODIES.map((b) => b.name).join(', ')}`);
      return { body: spec.body };
    }
    const { status, reason: given } = spec as { status: number; reason?: string };
    const transient = TRANSIENT.find((kind) => kind.status === status && (given === undefined || kind.reason === given));
    if (transient === undefined) {
      const known = TRANSIENT.map((kind) => `${kind.status} ${kind.reason}`).join(', ');
      throw new RangeError(`failNext[${i}] must be {body}, {hang: true}, {stall: true}, {drop: true} or one of: ${known}`);
    }
    return { status, reason: transient.reason! };
  });
  return {
    serverErrorShare: share('serverErrorShare', input.serverErrorShare),
    rateLimitShare: share('rateLimitShare', input.rateLimitShare),
    hangShare: share('hangShare', input.hangShare),
    dropShare: share('dropShare', input.dropShare),
    stallShare: share('stallShare', input.stallShare),
    stallMs: duration('stallMs', input.stallMs, DEFAULT_STALL_MS),
    latencyMs: duration('latencyMs', input.latencyMs, 0),
    failNext,
  };
}

export class FaultInjector {
  private settings: FaultSettings = { ...NO_FAULTS, failNext: [] };
  private readonly random: Random;
  private readonly waiting = new Set<(outcome: WaitOutcome) => void>();
  private closing = false;

  constructor(seed: number) {
    this.random = createRandom(hashString('faults', seed));
  }

  current(): FaultSettings {
    return { ...this.settings, failNext: [...this.settings.failNext] };
  }

  /** Replaces the whole fault configuration. */
  set(input: Partial<FaultSettings>): FaultSettings {
    this.settings = parseFaultSettings(input);
    return this.current();
  }

  /** No more faults; calls hanging so far go on to a normal answer. */
  clear(): void {
    this.settings = { ...NO_FAULTS, failNext: [] };
    this.releaseAll('released');
  }

  /** Decides the fate of one call (consumes a `failNext` entry when there is one). */
  decide(): FaultDecision {
    const { stallMs } = this.settings;
    const queued = this.settings.failNext.shift();
    if (queued !== undefined) {
      if ('hang' in queued) return { kind: 'hang' };
      if ('drop' in queued) return { kind: 'drop' };
      if ('stall' in queued) return { kind: 'stall', ms: stallMs };
      if ('body' in queued) return { kind: 'error', body: queued.body };
      const transient = TRANSIENT.find((kind) => kind.status === queued.status && kind.reason === queued.reason);
      if (transient !== undefined) return { kind: 'error', body: transient.name };
    }
    // New kinds are drawn after the older ones, so a seed gives the same outcomes as before
    // wherever only the older kinds are set.
    const { hangShare, serverErrorShare, rateLimitShare, dropShare, stallShare } = this.settings;
    if (hangShare > 0 && this.random() < hangShare) return { kind: 'hang' };
    if (serverErrorShare > 0 && this.random() < serverErrorShare) return { kind: 'error', body: pick(this.random, SERVER_ERRORS) };
    if (rateLimitShare > 0 && this.random() < rateLimitShare) return { kind: 'error', body: pick(this.random, RATE_LIMITS) };
    if (dropShare > 0 && this.random() < dropShare) return { kind: 'drop' };
    if (stallShare > 0 && this.random() < stallShare) return { kind: 'stall', ms: stallMs };
    return { kind: 'none' };
  }

  /** Calls currently held by a hang, a stall or latency. */
  waitingCount(): number {
    return this.waiting.size;
  }

  latencyMs(): number {
    return this.settings.latencyMs;
  }

  /**
   * Waits until released (faults cleared), abandoned (`abandon` fires: the client went away),
   * the simulator closes, or `ms` pass (then 'released'). `ms` undefined waits without a limit.
   */
  wait(ms: number | undefined, onAbandon: (abandon: () => void) => void): Promise<WaitOutcome> {
    if (this.closing) return Promise.resolve('closing');
    return new Promise<WaitOutcome>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (outcome: WaitOutcome) => {
        if (!this.waiting.delete(finish)) return;
        if (timer !== undefined) clearTimeout(timer);
        resolve(outcome);
      };
      this.waiting.add(finish);
      if (ms !== undefined) timer = setTimeout(() => finish('released'), ms);
      onAbandon(() => finish('abandoned'));
    });
  }

  /** Ends every wait at once so that closing the server never waits for a hung call. */
  shutdown(): void {
    this.closing = true;
    this.releaseAll('closing');
  }

  private releaseAll(outcome: WaitOutcome): void {
    for (const finish of [...this.waiting]) finish(outcome);
  }
}
