// The simulator's own notion of "now". Publishing, search indexing and the Pacific quota day all
// read this clock, so a test can freeze time, jump to one millisecond before midnight PT, or
// fast-forward ten minutes of uploads without waiting. It has the same `now(): Date` shape as
// core's Clock, so it can be handed to code that expects one.

export type ClockMode = 'real' | 'manual';

/**
 * `{ mode: 'real' }` follows the wall clock, optionally shifted (`offsetMs`, or so that it starts
 * at `now`); `{ mode: 'manual' }` or a bare instant starts a frozen clock that moves only when
 * told to.
 */
export type ClockOption =
  | { mode: 'real'; now?: Date | string | number; offsetMs?: number }
  | { mode: 'manual'; now?: Date | string | number }
  | Date
  | string
  | number;

export interface ClockState {
  now: string;
  mode: ClockMode;
}

export class SimClock {
  private modeValue: ClockMode;
  /** real mode: offset added to Date.now(); manual mode: the frozen instant. */
  private value: number;

  constructor(option: ClockOption = { mode: 'real' }, private readonly wallClock: () => number = Date.now) {
    if (typeof option === 'object' && !(option instanceof Date)) {
      this.modeValue = option.mode;
      const offsetMs = option.mode === 'real' ? (option.offsetMs ?? 0) : 0;
      const start = option.now === undefined ? wallClock() + offsetMs : toMillis(option.now);
      this.value = option.mode === 'real' ? start - wallClock() : start;
    } else {
      this.modeValue = 'manual';
      this.value = toMillis(option);
    }
  }

  get mode(): ClockMode {
    return this.modeValue;
  }

  nowMs(): number {
    return this.modeValue === 'real' ? this.wallClock() + this.value : this.value;
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  /** Jumps to an instant; a real clock keeps running from there. */
  set(to: Date | string | number): void {
    const target = toMillis(to);
    this.value = this.modeValue === 'real' ? target - this.wallClock() : target;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError(`advance needs a finite number of milliseconds, got ${ms}`);
    this.value += ms;
  }

  /** Switches mode without a jump: a frozen clock resumes from where it stood, and vice versa. */
  setMode(mode: ClockMode): void {
    if (mode === this.modeValue) return;
    const current = this.nowMs();
    this.modeValue = mode;
    this.set(current);
  }

  state(): ClockState {
    return { now: this.now().toISOString(), mode: this.modeValue };
  }
}

export function toMillis(value: Date | string | number): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) throw new RangeError(`not a valid instant: ${String(value)}`);
  return ms;
}
