// Processes run under an open-file limit of their own (`prlimit --nofile=N:N`, which needs
// root or a hard limit at least N): the API as deployed, so its connection cap is derived from
// a known limit, and slow-client attackers (slow-clients-script.ts, transpiled to plain
// JavaScript here and run by Node), so their connections never count against the test's own.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import ts from 'typescript';
import { until, type ManagedChild } from '@tubefeed/core/testing';
import type { SlowClientOptions, SlowClientReport } from './slow-clients-script.js';

const RECENT_LINES = 40;

export interface LimitedProcess extends ManagedChild {
  /** Every line printed so far. */
  output(): string[];
}

/** `node <script>` under `prlimit --nofile=<openFiles>`, with exactly `env`; lines kept and passed to `onLine`. */
export function startLimited(
  label: string,
  script: string,
  options: { openFiles: number; env: Readonly<Record<string, string>>; args?: readonly string[]; niceness?: number; onLine?: (line: string) => void },
): LimitedProcess & { readonly child: ChildProcess } {
  const limited = ['prlimit', `--nofile=${options.openFiles}:${options.openFiles}`, process.execPath, script, ...(options.args ?? [])];
  const command = options.niceness === undefined ? limited : ['nice', '-n', String(options.niceness), ...limited];
  const child = spawn(command[0]!, command.slice(1), {
    cwd: tmpdir(),
    env: { ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // Without prlimit (or nice) the spawn fails with an 'error' event: say so, do not crash.
  child.once('error', (error) => process.stderr.write(`${label}: could not start ${command[0]!}: ${error.message}\n`));
  if (child.pid === undefined) throw new Error(`${label}: prlimit could not start ${script}`);
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      options.onLine?.(line);
    });
  }
  let done = false;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      done = true;
      resolve(code);
    });
  });
  return {
    child,
    label,
    // nice and prlimit execute the next command in their own place: this is the Node process.
    pid: child.pid,
    exited,
    hasExited: () => done,
    output: () => [...lines],
    recentOutput: () => lines.slice(-RECENT_LINES),
    async stop(graceMs = 10_000) {
      if (done) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface SlowClients {
  /** The attackers' reports added up (their latest lines). */
  report(): SlowClientReport;
  /** Waits until the summed report satisfies `condition`. */
  waitFor(what: string, condition: (report: SlowClientReport) => boolean, timeoutMs: number): Promise<SlowClientReport>;
  /** Stops re-opening closed connections. */
  hold(): void;
  stop(): Promise<void>;
}

/**
 * `processes` attackers holding `connections` connections between them to `port`, each under
 * an open-file limit with room for its share.
 */
export function startSlowClients(options: Omit<SlowClientOptions, 'connections'> & { connections: number; processes: number }): SlowClients {
  const directory = mkdtempSync(join(tmpdir(), 'slow-clients-'));
  const script = join(directory, 'slow-clients.mjs');
  const source = readFileSync(new URL('./slow-clients-script.ts', import.meta.url), 'utf8');
  writeFileSync(script, ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText);

  const share = Math.ceil(options.connections / options.processes);
  const latest: SlowClientReport[] = [];
  const attackers = Array.from({ length: options.processes }, (_, i) =>
    startLimited(`slow-clients#${i + 1}`, script, {
      openFiles: share + 256,
      // The attackers of a real attack run on machines of their own: here they only get the
      // CPU the API leaves, or on a 2-core machine they would win by taking its CPU instead.
      niceness: 19,
      env: { PATH: process.env.PATH ?? '' },
      args: [JSON.stringify({ ...options, connections: share } satisfies SlowClientOptions)],
      onLine: (line) => {
        if (line.startsWith('{')) latest[i] = JSON.parse(line) as SlowClientReport;
      },
    }),
  );
  const report = (): SlowClientReport => {
    const sum = (field: keyof Omit<SlowClientReport, 'maxTimedOutLifetimeMs' | 'reopening'>) => latest.reduce((total, r) => total + r[field], 0);
    return {
      open: sum('open'),
      connecting: sum('connecting'),
      opened: sum('opened'),
      timedOut: sum('timedOut'),
      evicted: sum('evicted'),
      connectFailures: sum('connectFailures'),
      maxTimedOutLifetimeMs: Math.max(0, ...latest.map((r) => r.maxTimedOutLifetimeMs)),
      reopening: latest.some((r) => r.reopening),
    };
  };
  return {
    report,
    async waitFor(what, condition, timeoutMs) {
      try {
        return await until(
          what,
          () => {
            const exited = attackers.find((attacker) => attacker.hasExited());
            if (exited !== undefined) throw new Error(`${exited.label} exited:\n${exited.recentOutput().join('\n')}`);
            const current = report();
            return latest.filter(Boolean).length === attackers.length && condition(current) ? current : undefined;
          },
          timeoutMs,
          50,
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}; the attackers report ${JSON.stringify(report())}`, { cause: error });
      }
    },
    hold() {
      for (const attacker of attackers) attacker.child.stdin?.write('hold\n');
    },
    async stop() {
      for (const attacker of attackers) attacker.child.stdin?.end('exit\n');
      await Promise.all(attackers.map((attacker) => attacker.stop(5000)));
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
