// Soak latencies in fixed windows: every response (or socket error) is filed by when it
// completed, relative to the end of the warm-up, so p50/p99 can be compared window to window
// and a drift shows as a trend rather than vanishing in one whole-run percentile. What
// completes before the first window (warm-up) or after the last (the load runs a little
// longer, so the last memory sample is taken under load) is counted, not windowed. Pure.
import { percentile, round } from './latency-stats.js';

export interface WindowSummary {
  /** 1-based, in order. */
  readonly index: number;
  readonly startS: number;
  readonly endS: number;
  readonly requests: number;
  readonly reqPerSec: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
  /** Unexpected statuses, socket errors and timeouts that completed in the window. */
  readonly errors: number;
}

export interface WindowTotals {
  readonly requests: number;
  readonly errors: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

export interface OutsideCount {
  readonly requests: number;
  readonly errors: number;
}

export class LatencyWindows {
  private readonly latencies: number[][];
  private readonly errors: number[];
  private readonly before = { requests: 0, errors: 0 };
  private readonly after = { requests: 0, errors: 0 };

  constructor(
    private readonly windowMs: number,
    readonly count: number,
  ) {
    if (!(windowMs > 0) || !Number.isInteger(count) || count < 1) throw new Error('windows need a positive length and count');
    this.latencies = Array.from({ length: count }, () => []);
    this.errors = Array.from({ length: count }, () => 0);
  }

  /** Files one request that completed `offsetMs` after the warm-up ended: its latency, or null for an error. */
  record(offsetMs: number, latencyMs: number | null): void {
    const index = Math.floor(offsetMs / this.windowMs);
    if (index < 0 || index >= this.count) {
      const outside = index < 0 ? this.before : this.after;
      outside.requests++;
      if (latencyMs === null) outside.errors++;
      return;
    }
    if (latencyMs === null) this.errors[index]!++;
    else this.latencies[index]!.push(latencyMs);
  }

  summaries(): WindowSummary[] {
    const seconds = this.windowMs / 1000;
    return this.latencies.map((samples, i) => {
      const requests = samples.length + this.errors[i]!;
      return {
        index: i + 1,
        startS: round(i * seconds, 3) ?? 0,
        endS: round((i + 1) * seconds, 3) ?? 0,
        requests,
        reqPerSec: round(requests / seconds, 0) ?? 0,
        p50Ms: round(percentile(samples, 50), 2),
        p99Ms: round(percentile(samples, 99), 2),
        maxMs: samples.length === 0 ? null : round(samples.reduce((max, n) => (n > max ? n : max), 0), 2),
        errors: this.errors[i]!,
      };
    });
  }

  /** Requests and errors of one window (0-based), without the cost of percentiles (for progress lines under load). */
  counts(index: number): { readonly requests: number; readonly errors: number } {
    const errors = this.errors[index] ?? 0;
    return { requests: (this.latencies[index]?.length ?? 0) + errors, errors };
  }

  /** Every window together (the warm-up excluded). */
  totals(): WindowTotals {
    const all = this.latencies.flat();
    const errors = this.errors.reduce((sum, n) => sum + n, 0);
    return { requests: all.length + errors, errors, p50Ms: round(percentile(all, 50), 2), p99Ms: round(percentile(all, 99), 2) };
  }

  /** Requests that completed before the first window (the warm-up) and after the last. */
  outside(): { readonly warmUp: OutsideCount; readonly afterEnd: OutsideCount } {
    return { warmUp: { ...this.before }, afterEnd: { ...this.after } };
  }
}

export interface P99Stability {
  readonly firstP99Ms: number | null;
  readonly lastP99Ms: number | null;
  /** Last window's p99 over the first's: above 1 means latency grew during the soak. */
  readonly lastOverFirst: number | null;
  readonly minP99Ms: number | null;
  readonly maxP99Ms: number | null;
}

export function p99Stability(windows: readonly WindowSummary[]): P99Stability {
  const p99s = windows.map((w) => w.p99Ms).filter((p): p is number => p !== null);
  const firstP99Ms = windows[0]?.p99Ms ?? null;
  const lastP99Ms = windows.at(-1)?.p99Ms ?? null;
  return {
    firstP99Ms,
    lastP99Ms,
    lastOverFirst: firstP99Ms === null || lastP99Ms === null || firstP99Ms === 0 ? null : round(lastP99Ms / firstP99Ms, 3),
    minP99Ms: p99s.length === 0 ? null : Math.min(...p99s),
    maxP99Ms: p99s.length === 0 ? null : Math.max(...p99s),
  };
}

export interface GaugeRange {
  readonly min: number | null;
  readonly max: number | null;
  readonly samples: number;
}

/** Lowest and highest reading of each half of the soak, and how much each rose. */
export interface GaugeHalves {
  readonly low: HalfChange;
  readonly high: HalfChange;
  /**
   * The smaller of the two rises: what the gauge grew by for certain. Garbage collection makes
   * resident memory a sawtooth, and V8 hands memory back to the system now and then and grows
   * again: one reading, or the lowest or highest alone, moves by tens of MB with nothing kept.
   * Memory that is kept lifts the floor and the peaks of the sawtooth alike.
   */
  readonly growth: number | null;
}

export interface HalfChange {
  readonly firstHalf: number | null;
  readonly secondHalf: number | null;
  readonly rise: number | null;
}

/**
 * A sampled gauge (resident memory) in the same windows: its lowest and highest reading in
 * each, and per half of the soak (an odd window count leaves the middle one out), since a major
 * collection can be more than one window apart under load.
 */
export class GaugeWindows {
  private readonly ranges: Array<{ min: number | null; max: number | null; samples: number }>;

  constructor(
    private readonly windowMs: number,
    readonly count: number,
  ) {
    if (!(windowMs > 0) || !Number.isInteger(count) || count < 1) throw new Error('windows need a positive length and count');
    this.ranges = Array.from({ length: count }, () => ({ min: null, max: null, samples: 0 }));
  }

  /** A reading `offsetMs` after the warm-up ended; readings outside the windows are ignored. */
  record(offsetMs: number, value: number): void {
    const range = this.ranges[Math.floor(offsetMs / this.windowMs)];
    if (offsetMs < 0 || range === undefined) return;
    range.min = range.min === null ? value : Math.min(range.min, value);
    range.max = range.max === null ? value : Math.max(range.max, value);
    range.samples++;
  }

  windows(): GaugeRange[] {
    return this.ranges.map((range) => ({ ...range }));
  }

  halves(): GaugeHalves {
    const half = Math.floor(this.count / 2);
    const first = this.ranges.slice(0, half);
    const second = this.ranges.slice(this.count - half);
    const extreme = (ranges: readonly GaugeRange[], pick: 'min' | 'max') => {
      const values = ranges.map((range) => range[pick]).filter((value): value is number => value !== null);
      return values.length === 0 ? null : pick === 'min' ? Math.min(...values) : Math.max(...values);
    };
    const change = (pick: 'min' | 'max'): HalfChange => {
      const firstHalf = extreme(first, pick);
      const secondHalf = extreme(second, pick);
      return { firstHalf, secondHalf, rise: firstHalf === null || secondHalf === null ? null : secondHalf - firstHalf };
    };
    const low = change('min');
    const high = change('max');
    return { low, high, growth: low.rise === null || high.rise === null ? null : Math.min(low.rise, high.rise) };
  }
}
