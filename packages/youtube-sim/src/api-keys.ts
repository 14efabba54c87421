// API keys, their Google Cloud projects and the daily quota. Quota belongs to the project
// (keys of one project share it) and is counted per Pacific day of the SIM clock: it resets at
// midnight America/Los_Angeles, 23 or 25 hours apart around DST changes. Keys this module
// generates start with "sim-" so they can never be mistaken for (or flagged as) real Google keys.
import { nextPacificMidnight, pacificDayKey } from '@tubefeed/core/time';
import { hashString, randomChars, randomFor } from './seeded-random.js';
import type { SimClock } from './sim-clock.js';

export const KEY_STATES = ['ok', 'blocked', 'notConfigured'] as const;
/** ok; blocked: the key may not call this API; notConfigured: the API is off in the key's project. */
export type KeyState = (typeof KEY_STATES)[number];

export interface SimProject {
  readonly id: string;
  /** The 12-digit number Google's error bodies quote. */
  readonly number: string;
  dailyQuota: number;
  dayKey: string;
  used: number;
}

export interface SimKey {
  readonly key: string;
  readonly index: number;
  readonly project: SimProject;
  state: KeyState;
  /** Answer an exhausted quota with the older `dailyLimitExceeded` body instead of `quotaExceeded`. */
  legacyQuotaBody: boolean;
}

export interface NewKey {
  /** Defaults to a generated `sim-…` key. */
  key?: string;
  /** Keys naming the same project share its quota; default: a project of its own. */
  project?: string;
  /** Daily units for the key's project (when the project is new or this is given). */
  dailyQuota?: number;
  state?: KeyState;
  legacyQuotaBody?: boolean;
}

export interface KeyPatch {
  state?: KeyState;
  /** Units used today by the key's project. */
  quotaUsed?: number;
  dailyQuota?: number;
  legacyQuotaBody?: boolean;
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
  dailyQuota: number;
  used: number;
  remaining: number;
  dayKey: string;
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

  constructor(
    private readonly clock: SimClock,
    private readonly seed: number,
    private readonly defaultDailyQuota: number,
  ) {
    checkUnits('dailyQuota', defaultDailyQuota);
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
    const projectId = spec.project ?? `project-${this.keys.length + 1}`;
    let project = this.projects.get(projectId);
    if (project === undefined) {
      project = {
        id: projectId,
        number: String(100_000_000_000 + (hashString(projectId, this.seed) % 900_000_000_000)),
        dailyQuota: this.defaultDailyQuota,
        dayKey: pacificDayKey(this.clock.now()),
        used: 0,
      };
      this.projects.set(projectId, project);
    }
    if (spec.dailyQuota !== undefined) project.dailyQuota = checkUnits('dailyQuota', spec.dailyQuota);
    const simKey: SimKey = {
      key,
      index: this.keys.length,
      project,
      state: checkState(spec.state ?? 'ok'),
      legacyQuotaBody: spec.legacyQuotaBody ?? false,
    };
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

  update(ref: string | number, patch: KeyPatch): SimKey | undefined {
    const simKey = this.resolve(ref);
    if (simKey === undefined) return undefined;
    if (patch.state !== undefined) simKey.state = checkState(patch.state);
    if (patch.legacyQuotaBody !== undefined) simKey.legacyQuotaBody = patch.legacyQuotaBody;
    if (patch.dailyQuota !== undefined) simKey.project.dailyQuota = checkUnits('dailyQuota', patch.dailyQuota);
    if (patch.quotaUsed !== undefined) {
      this.rollOver(simKey.project);
      simKey.project.used = checkUnits('quotaUsed', patch.quotaUsed);
    }
    return simKey;
  }

  /** Takes `units` from the key's project unless that would go over today's quota (then nothing is taken). */
  charge(simKey: SimKey, units: number): ChargeResult {
    const { project } = simKey;
    this.rollOver(project);
    if (project.used + units > project.dailyQuota) return { ok: false, project };
    project.used += units;
    return { ok: true };
  }

  view(simKey: SimKey): KeyView {
    const { project } = simKey;
    this.rollOver(project);
    return {
      key: maskKey(simKey.key),
      index: simKey.index,
      project: project.id,
      projectNumber: project.number,
      state: simKey.state,
      legacyQuotaBody: simKey.legacyQuotaBody,
      dailyQuota: project.dailyQuota,
      used: project.used,
      remaining: Math.max(0, project.dailyQuota - project.used),
      dayKey: project.dayKey,
      resetAt: nextPacificMidnight(this.clock.now()).toISOString(),
    };
  }

  views(): KeyView[] {
    return this.keys.map((simKey) => this.view(simKey));
  }

  /** A new Pacific day starts with a full quota (also when a manual clock is moved backwards). */
  private rollOver(project: SimProject): void {
    const today = pacificDayKey(this.clock.now());
    if (project.dayKey !== today) {
      project.dayKey = today;
      project.used = 0;
    }
  }
}

function checkUnits(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a whole number of units, got ${value}`);
  return value;
}

function checkState(state: string): KeyState {
  if (!(KEY_STATES as readonly string[]).includes(state)) {
    throw new RangeError(`state must be one of ${KEY_STATES.join(', ')}, got ${state}`);
  }
  return state as KeyState;
}
