// The dependency state /health answers with, probed in the background instead of per request.
// A /health flood used to run a MySQL query, a Redis PING and a key-state read per request and
// slowed every other endpoint; now each process probes at most once per interval, one probe in
// flight at a time, and every caller shares its result.
//
// - Before the first probe has finished, callers wait for it (never a made-up "up").
// - Afterwards they get the latest report at once; it is at most `intervalMs` plus one probe
//   (each probe is bounded by the health service's timeout) old, so a dependency that goes down
//   shows within about two seconds.
// - The next probe is scheduled when the previous one settles, so a slow probe never overlaps
//   the next one.
// - It keeps probing while nobody asks: a SELECT 1, a PING and a key-state read a second cost
//   the service next to nothing, and load balancers and orchestrators ask all the time anyway;
//   pausing would only make the first answer after a quiet spell wait for a probe.
import type { HealthReport } from './health-service.js';

/** The timer functions the monitor schedules with (tests pass ones they fire by hand). */
export interface HealthTimers {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemHealthTimers: HealthTimers = {
  setTimeout: (run, ms) => {
    const timer = setTimeout(run, ms);
    // A process with nothing else to do should not stay up for its health probes.
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface HealthMonitorDeps {
  /** One probe of every dependency (HealthService.check); bounded by its own timeout. */
  readonly check: () => Promise<HealthReport>;
  /** Time between the end of one probe and the start of the next. */
  readonly intervalMs?: number;
  readonly timers?: HealthTimers;
}

export type HealthMonitor = ReturnType<typeof createHealthMonitor>;

export function createHealthMonitor({ check, intervalMs = 1000, timers = systemHealthTimers }: HealthMonitorDeps) {
  let latest: HealthReport | null = null;
  let inFlight: Promise<HealthReport> | null = null;
  let timer: unknown = null;
  let running = false;
  let probes = 0;

  function probe(): Promise<HealthReport> {
    if (inFlight !== null) return inFlight;
    probes += 1;
    const started = check().then(
      (report) => {
        latest = report;
        return report;
      },
      // check() reports a failing dependency as "down" and does not throw; if it ever did,
      // the last report stands and the next probe tries again.
      (error: unknown) => {
        if (latest !== null) return latest;
        throw error;
      },
    );
    inFlight = started;
    const settle = () => {
      inFlight = null;
      if (running) timer = timers.setTimeout(tick, intervalMs);
    };
    started.then(settle, settle);
    return started;
  }

  function tick(): void {
    timer = null;
    // A failure is already handled in probe(); nobody waits on this one.
    probe().catch(() => undefined);
  }

  return {
    /** Starts probing: the first probe at once, then one per interval. */
    start(): void {
      if (running) return;
      running = true;
      if (inFlight === null) tick();
    },

    /** Stops probing and waits for a probe in flight, so nothing runs on after the connections close. */
    async stop(): Promise<void> {
      running = false;
      if (timer !== null) timers.clearTimeout(timer);
      timer = null;
      await inFlight?.catch(() => undefined);
    },

    /**
     * The latest report; before there is one, the probe in flight (one is started if none is,
     * e.g. when asked before start()).
     */
    async current(): Promise<HealthReport> {
      return latest ?? probe();
    },

    /** How many probes have been started (for tests and diagnostics). */
    probes(): number {
      return probes;
    },
  };
}

/** Timers that fire only when told to (tests), like ManualClock for time. */
export class ManualHealthTimers implements HealthTimers {
  private readonly scheduled = new Map<number, { run: () => void; ms: number }>();
  private nextId = 1;

  setTimeout(run: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.scheduled.set(id, { run, ms });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.scheduled.delete(handle as number);
  }

  /** The delays of the timers set and not yet fired or cleared. */
  pending(): number[] {
    return [...this.scheduled.values()].map((timer) => timer.ms);
  }

  /** Fires every pending timer, as if its delay had passed. */
  fire(): void {
    const due = [...this.scheduled.values()];
    this.scheduled.clear();
    for (const timer of due) timer.run();
  }
}
