// Where the machine's CPU went during a measured window: the server under test, the load
// generator (this process), MariaDB, Redis, and everything else. On two cores shared with
// other engineers' test runs, "everything else" is the noise figure of each row, and the split
// tells which side limited a rate. Linux only (/proc), in clock ticks of 1/100 s.
import { readFile } from 'node:fs/promises';

const TICKS_PER_SECOND = 100;

export interface CpuSample {
  readonly atMs: number;
  /** Busy time of all cores (user, nice, system, irq, softirq, steal), seconds. */
  readonly busyS: number;
  readonly byPid: ReadonlyMap<number, number>;
}

async function processCpuSeconds(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

export async function sampleCpu(pids: readonly number[]): Promise<CpuSample> {
  const [line = ''] = (await readFile('/proc/stat', 'utf8')).split('\n');
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  const busyS = [user, nice, system, irq, softirq, steal].reduce<number>((sum, n) => sum + (n ?? 0), 0) / TICKS_PER_SECOND;
  const byPid = new Map<number, number>();
  for (const pid of pids) {
    const seconds = await processCpuSeconds(pid);
    if (seconds !== null) byPid.set(pid, seconds);
  }
  return { atMs: performance.now(), busyS, byPid };
}

/**
 * Percent of one core each named process (or group of processes, summed) used between two
 * samples, and the rest of the machine.
 */
export function cpuSplit(
  before: CpuSample,
  after: CpuSample,
  named: Readonly<Record<string, number | readonly number[] | null>>,
): Record<string, number | null> {
  const seconds = Math.max((after.atMs - before.atMs) / 1000, 0.001);
  const pct = (cpuSeconds: number) => Math.round((cpuSeconds / seconds) * 100);
  const split: Record<string, number | null> = {};
  let accounted = 0;
  for (const [name, pids] of Object.entries(named)) {
    const list: readonly number[] = pids === null ? [] : typeof pids === 'number' ? [pids] : pids;
    let used: number | null = list.length === 0 ? null : 0;
    for (const pid of list) {
      const start = before.byPid.get(pid);
      const end = after.byPid.get(pid);
      if (start === undefined || end === undefined) {
        used = null;
        break;
      }
      used = (used ?? 0) + (end - start);
    }
    if (used === null) {
      split[name] = null;
      continue;
    }
    accounted += used;
    split[name] = pct(used);
  }
  split.otherCpuPct = pct(Math.max(0, after.busyS - before.busyS - accounted));
  return split;
}

/** CPU seconds one process used between two samples; null when it was not sampled both times. */
export function cpuSecondsBetween(before: CpuSample, after: CpuSample, pid: number | null): number | null {
  if (pid === null) return null;
  const start = before.byPid.get(pid);
  const end = after.byPid.get(pid);
  return start === undefined || end === undefined ? null : end - start;
}
