// API keys, their Google Cloud projects and the projects' daily quota buckets. Quota belongs to
// the project (keys of one project share all three buckets) and is counted per Pacific day of
// the SIM clock: every bucket empties at midnight America/Los_Angeles, 23 or 25 hours apart
// around DST changes. Keys this module generates start with "sim-" so they can never be mistaken
// for (or flagged as) real Google keys.
import { nextPacificMidnight, pacificDayKey } from '@tubefeed/core/time';
import { hashString, randomChars, randomFor } from './seeded-random.js';
import {
  BUCKET_LIMIT_FIELDS,
  BUCKET_USED_FIELDS,
  checkCount,
  DEFAULT_BUCKET_LIMITS,
  QUOTA_BUCKETS,
  type BucketLimits,
  type BucketView,
  type QuotaBucket,
} from './quota-buckets.js';
import type { SimClock } from './sim-clock.js';

export const KEY_STATES = [
  'ok',
  'invalid',
  'invalidLegacy',
  'expired',
  'expiredLegacy',
  'blocked',
  'notConfigured',
  'refererBlocked',
  'refererBlockedNoErrors',
  'ipBlocked',
  'androidAppBlocked',
  'iosAppBlocked',
  'ipRefererBlocked',
] as const;
/**
 * ok, or why every call with the key is refused (each answers with one body of the error
 * catalogue): invalid / invalidLegacy (deleted key), expired / expiredLegacy, blocked (the key
 * may not call this API), notConfigured (the API is off in the key's project), refererBlocked,
 * refererBlockedNoErrors (the older body without `errors`), ipBlocked, androidAppBlocked,
 * iosAppBlocked, ipRefererBlocked (the legacy usageLimits body).
 */
export type KeyState = (typeof KEY_STATES)[number];

interface SimBucket {
  limit: number;
  used: number;
}

export interface SimProject {
  readonly id: string;
  /** The 12-digit number Google's error bodies quote. */
  readonly number: string;
  readonly buckets: Record<QuotaBucket, SimBucket>;
  dayKey: string;
}

export interface SimKey {
  readonly key: string;
  readonly index: number;
  readonly project: SimProject;
  state: KeyState;
  /** Answer an exhausted bucket with the older `dailyLimitExceeded` body instead of `quotaExceeded`. */
  legacyQuotaBody: boolean;
}

export interface NewKey extends BucketLimits {
  /** Defaults to a generated `sim-…` key. */
  key?: string;
  /** Keys naming the same project share its three buckets; default: a project of its own. */
  project?: string;
  state?: KeyState;
  legacyQuotaBody?: boolean;
}

/** Limits apply to the key's project; `…Used` set how much of a bucket the project has used today. */
export interface KeyPatch extends BucketLimits {
  state?: KeyState;
  legacyQuotaBody?: boolean;
  searchCallsUsed?: number;
  unitsUsed?: number;
  insertCallsUsed?: number;
}

export interface KeyView {
  /** Masked: enough to tell keys apart, never the whole key. */
  key: string;
  index: number;
  project: string;
  /** The project number Google's error bodies quote. */
  projectNumber: string;
  state: KeyState;
  legacyQuotaBody: boolean;
  /** search.list calls today (the project's). */
  search: BucketView;
  /** Units of every other read method today (the project's). */
  units: BucketView;
  /** videos.insert calls today (the project's). */
  insert: BucketView;
  /** The Pacific day the counts belong to. */
  dayKey: string;
  /** The next Pacific midnight, when every bucket empties. */
  resetAt: string;
}

export type ChargeResult = { ok: true } | { ok: false; project: SimProject };

const KEY_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** `sim-…1a2b`: the form used in logs, the call log and the control API. */
export function maskKey(key: string): string {
  if (key.length <= 8) return `…${key.slice(-2)}`;
  return `${key.slice(0, 4)}…${key.slice(-4)}`;
}

export class KeyRegistry {
  private readonly byKey = new Map<string, SimKey>();
  private readonly keys: SimKey[] = [];
  private readonly projects = new Map<string, SimProject>();
  private readonly defaultLimits: Record<QuotaBucket, number>;

  constructor(
    private readonly clock: SimClock,
    private readonly seed: number,
    defaultLimits: BucketLimits = {},
  ) {
    this.defaultLimits = { ...DEFAULT_BUCKET_LIMITS };
    for (const bucket of QUOTA_BUCKETS) {
      const field = BUCKET_LIMIT_FIELDS[bucket];
      const limit = defaultLimits[field];
      if (limit !== undefined) this.defaultLimits[bucket] = checkCount(field, limit);
    }
  }

  /** The n-th generated key of a seed: the same seed always hands out the same keys. */
  generatedKey(n: number): string {
    return `sim-${randomChars(randomFor(this.seed, `key\u0000${n}`), KEY_ALPHABET, 20)}`;
  }

  add(spec: NewKey = {}): SimKey {
    let key = spec.key;
    if (key === undefined) {
      for (let n = this.keys.length; key === undefined || this.byKey.has(key); n++) key = this.generatedKey(n);
    }
    if (!/^[\x21-\x7e]{1,200}$/.test(key)) throw new RangeError('a key must be 1-200 printable ASCII characters without spaces');
    if (this.byKey.has(key)) throw new RangeError(`key ${maskKey(key)} already exists`);
    const state = checkState(spec.state ?? 'ok');
    const limits = checkLimits(spec);
    const projectId = spec.project ?? `project-${this.keys.length + 1}`;
    let project = this.projects.get(projectId);
    if (project === undefined) {
      const bucket = (name: QuotaBucket): SimBucket => ({ limit: this.defaultLimits[name], used: 0 });
      project = {
        id: projectId,
        number: String(100_000_000_000 + (hashString(projectId, this.seed) % 900_000_000_000)),
        buckets: { search: bucket('search'), units: bucket('units'), insert: bucket('insert') },
        dayKey: pacificDayKey(this.clock.now()),
      };
      this.projects.set(projectId, project);
    }
    for (const [bucket, limit] of limits) project.buckets[bucket].limit = limit;
    const simKey: SimKey = { key, index: this.keys.length, project, state, legacyQuotaBody: spec.legacyQuotaBody ?? false };
    this.keys.push(simKey);
    this.byKey.set(key, simKey);
    return simKey;
  }

  get(key: string): SimKey | undefined {
    return this.byKey.get(key);
  }

  /** A key by its full text or by its index ("0", "1", …). */
  resolve(ref: string | number): SimKey | undefined {
    if (typeof ref === 'number' || /^\d{1,6}$/.test(ref)) return this.keys[Number(ref)];
    return this.byKey.get(ref);
  }

  list(): readonly SimKey[] {
    return this.keys;
  }

  /** Applies the whole patch or, when a field is invalid, nothing. */
  update(ref: string | number, patch: KeyPatch): SimKey | undefined {
    const simKey = this.resolve(ref);
    if (simKey === undefined) return undefined;
    const state = patch.state === undefined ? undefined : checkState(patch.state);
    const limits = checkLimits(patch);
    const used: Array<[QuotaBucket, number]> = [];
    for (const bucket of QUOTA_BUCKETS) {
      const field = BUCKET_USED_FIELDS[bucket];
      const value = patch[field];
      if (value !== undefined) used.push([bucket, checkCount(field, value)]);
    }
    const { project } = simKey;
    this.rollOver(project);
    if (state !== undefined) simKey.state = state;
    if (patch.legacyQuotaBody !== undefined) simKey.legacyQuotaBody = patch.legacyQuotaBody;
    for (const [bucket, limit] of limits) project.buckets[bucket].limit = limit;
    for (const [bucket, value] of used) project.buckets[bucket].used = value;
    return simKey;
  }

  /** Takes `cost` from one bucket of the key's project unless that would go over today's limit (then nothing is taken). */
  charge(simKey: SimKey, bucket: QuotaBucket, cost: number): ChargeResult {
    const { project } = simKey;
    this.rollOver(project);
    const state = project.buckets[bucket];
    if (state.used + cost > state.limit) return { ok: false, project };
    state.used += cost;
    return { ok: true };
  }

  view(simKey: SimKey): KeyView {
    const { project } = simKey;
    this.rollOver(project);
    const bucket = (name: QuotaBucket): BucketView => {
      const { limit, used } = project.buckets[name];
      return { limit, used, remaining: Math.max(0, limit - used) };
    };
    return {
      key: maskKey(simKey.key),
      index: simKey.index,
      project: project.id,
      projectNumber: project.number,
      state: simKey.state,
      legacyQuotaBody: simKey.legacyQuotaBody,
      search: bucket('search'),
      units: bucket('units'),
      insert: bucket('insert'),
      dayKey: project.dayKey,
      resetAt: nextPacificMidnight(this.clock.now()).toISOString(),
    };
  }

  views(): KeyView[] {
    return this.keys.map((simKey) => this.view(simKey));
  }

  /** A new Pacific day starts with empty buckets (also when a manual clock is moved backwards). */
  private rollOver(project: SimProject): void {
    const today = pacificDayKey(this.clock.now());
    if (project.dayKey !== today) {
      project.dayKey = today;
      for (const bucket of QUOTA_BUCKETS) project.buckets[bucket].used = 0;
    }
  }
}

function checkLimits(limits: BucketLimits): Array<[QuotaBucket, number]> {
  const out: Array<[QuotaBucket, number]> = [];
  for (const bucket of QUOTA_BUCKETS) {
    const field = BUCKET_LIMIT_FIELDS[bucket];
    const value = limits[field];
    if (value !== undefined) out.push([bucket, checkCount(field, value)]);
  }
  return out;
}

function checkState(state: string): KeyState {
  if (!(KEY_STATES as readonly string[]).includes(state)) {
    throw new RangeError(`state must be one of ${KEY_STATES.join(', ')}, got ${state}`);
  }
  return state as KeyState;
}
