// Facts about where the figures were measured: absolute numbers (search p99, memory) only mean
// something next to them, and the commit says what code produced them.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

export interface MachineFacts {
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly totalMemoryGiB: number;
  readonly node: string;
  readonly platform: string;
}

export function machineFacts(): MachineFacts {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cpuCount: list.length,
    totalMemoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

export interface GitFacts {
  readonly commit: string | null;
  /** Uncommitted changes in the working tree when the run started. */
  readonly dirty: boolean | null;
}

export function gitFacts(repoRoot: string): GitFacts {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git('rev-parse', 'HEAD');
    let dirty: boolean | null = null;
    try {
      dirty = git('status', '--porcelain') !== '';
    } catch {
      dirty = null;
    }
    return { commit, dirty };
  } catch {
    return { commit: null, dirty: null };
  }
}
