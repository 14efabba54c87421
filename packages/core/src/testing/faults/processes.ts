// Child processes of the harness (API, baseline server, worker, seeder): started with an
// explicit environment, their output forwarded line by line with a label, and all of them
// stopped on exit, on errors and on SIGINT, so a benchmark never leaves servers behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

export interface StartOptions {
  readonly label: string;
  /** A JS file, run with the current Node binary. */
  readonly script: string;
  readonly args?: readonly string[];
  /** Options for Node itself, before the script (e.g. API_NODE_OPTIONS). */
  readonly nodeOptions?: readonly string[];
  /** The complete environment of the child (nothing is inherited beyond it). */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
}

export interface ManagedChild {
  readonly label: string;
  readonly pid: number;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  hasExited(): boolean;
  /** The last lines the child printed (for error messages). */
  recentOutput(): string[];
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export type LineSink = (line: string) => void;

const RECENT_LINES = 20;

export class ChildProcesses {
  private readonly children = new Set<ManagedChild>();

  constructor(private readonly sink: LineSink) {}

  start(options: StartOptions): ManagedChild {
    const child: ChildProcess = spawn(process.execPath, [...(options.nodeOptions ?? []), options.script, ...(options.args ?? [])], {
      cwd: options.cwd,
      env: { ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid === undefined) throw new Error(`${options.label}: could not start ${options.script}`);
    const recent: string[] = [];
    const onLine = (line: string) => {
      recent.push(line);
      if (recent.length > RECENT_LINES) recent.shift();
      this.sink(`[${options.label}] ${line}`);
    };
    for (const stream of [child.stdout, child.stderr]) {
      if (stream !== null) createInterface({ input: stream }).on('line', onLine);
    }
    let done = false;
    let stopping = false;
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code, signal) => {
        done = true;
        if (!stopping && (code !== 0 || signal !== null)) this.sink(`[${options.label}] exited unexpectedly (code ${String(code)}, signal ${String(signal)})`);
        resolve(code);
      });
      child.once('error', (error) => {
        onLine(`spawn error: ${error.message}`);
        done = true;
        resolve(null);
      });
    });
    const managed: ManagedChild = {
      label: options.label,
      pid: child.pid,
      exited,
      hasExited: () => done,
      recentOutput: () => [...recent],
      stop: async (graceMs = 10_000) => {
        stopping = true;
        if (!done) {
          child.kill('SIGTERM');
          let timer: NodeJS.Timeout | undefined;
          const killed = await Promise.race([
            exited.then(() => false),
            new Promise<boolean>((resolve) => {
              timer = setTimeout(() => resolve(true), graceMs);
            }),
          ]);
          clearTimeout(timer);
          if (killed) {
            this.sink(`[${options.label}] did not stop within ${graceMs} ms; killing it`);
            child.kill('SIGKILL');
            await exited;
          }
        }
        this.children.delete(managed);
      },
    };
    this.children.add(managed);
    void exited.then(() => this.children.delete(managed));
    return managed;
  }

  /** Runs a child to completion; rejects on a non-zero exit. */
  async run(options: StartOptions): Promise<void> {
    const child = this.start(options);
    const code = await child.exited;
    if (code !== 0) throw new Error(`${options.label} exited with code ${String(code)}:\n${child.recentOutput().join('\n')}`);
  }

  async stopAll(graceMs = 10_000): Promise<void> {
    await Promise.all([...this.children].map((child) => child.stop(graceMs)));
  }

  /** Synchronous last resort for process 'exit': SIGKILL whatever is still running. */
  killAllNow(): void {
    for (const child of this.children) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // Already gone: nothing to do.
      }
    }
  }
}

/** A TCP port that was free a moment ago (the OS picks it). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 200; fails when the child exits first or after `timeoutMs`. */
export async function waitForHttp(url: string, child: ManagedChild, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.hasExited()) throw new Error(`${child.label} exited before ${url} answered:\n${child.recentOutput().join('\n')}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // Not listening yet: try again below.
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms:\n${child.recentOutput().join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface ResidentMemory {
  /** VmRSS: resident now. */
  readonly rssMb: number;
  /** VmHWM: the peak resident size. */
  readonly peakRssMb: number;
}

/** Resident memory of a process from /proc (Linux). */
export async function residentMemory(pid: number): Promise<ResidentMemory> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (match === null) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(match[1]) / 1024;
  };
  return { rssMb: kb('VmRSS'), peakRssMb: kb('VmHWM') };
}

