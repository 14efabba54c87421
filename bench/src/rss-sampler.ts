// Resident memory of a server while it is under load: VmRSS read from /proc at a fixed interval
// over a measured window. A reading after the run misses what the load itself holds (sockets,
// buffers, garbage not yet collected), which is what a container's memory limit has to cover.
import { residentMemory } from '@tubefeed/core/testing/faults';

export interface RssReadings {
  /** Highest VmRSS read during the window, MB; null when no reading succeeded. */
  readonly maxMb: number | null;
  readonly samples: number;
}

export interface RssSampler {
  stop(): Promise<RssReadings>;
}

/** Reads `pid`'s VmRSS now and every `intervalMs` until stopped (and once more when stopped). */
export function startRssSampler(pid: number, intervalMs: number): RssSampler {
  let maxMb: number | null = null;
  let samples = 0;
  let pending: Promise<void> = Promise.resolve();
  const read = () => {
    // One reading at a time: a slow /proc read never piles up behind the timer.
    pending = pending.then(async () => {
      try {
        const { rssMb } = await residentMemory(pid);
        maxMb = maxMb === null ? rssMb : Math.max(maxMb, rssMb);
        samples++;
      } catch {
        // The process is gone (it exited under load): the scenario fails on its own errors.
      }
    });
  };
  read();
  const timer = setInterval(read, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      read();
      await pending;
      return { maxMb, samples };
    },
  };
}
