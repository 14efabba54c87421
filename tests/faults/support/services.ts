// The API and the worker as real processes, started from their built entry points exactly as
// deployed, for scenarios that kill or signal them; and `npm start`'s launcher (its simulator
// in-process, the API and the worker as its children, their lines prefixed `[api] `,
// `[worker] `). Each child gets a complete environment (no .env file is read: it runs in a
// scratch directory) and its output is kept for assertions and failure messages. The process
// handling itself is the benchmark harness's.
import { tmpdir } from 'node:os';
import { ChildProcesses, type ManagedChild } from '@tubefeed/core/testing';
import { repoRoot } from './build.js';

export type ServiceName = 'api' | 'worker' | 'launcher';

const ENTRY_POINTS: Record<ServiceName, string> = {
  api: `${repoRoot}/apps/api/dist/server.js`,
  worker: `${repoRoot}/apps/worker/dist/main.js`,
  launcher: `${repoRoot}/apps/cli/dist/start.js`,
};

/** A child of the harness's process handling, so its helpers (e.g. waitForHttp) take it too. */
export interface ServiceProcess extends ManagedChild {
  readonly name: ServiceName;
  /** Every line the process printed so far (JSON log lines in production format). */
  output(): string[];
  /** Sends a signal and returns at once. */
  signal(signal: NodeJS.Signals): void;
  /** SIGKILL, resolved when the process is gone. */
  kill(): Promise<void>;
}

export class Services {
  private readonly lines = new Map<number, string[]>();
  private readonly children = new ChildProcesses((line) => {
    const match = /^\[(\w+)#(\d+)\] (.*)$/.exec(line);
    if (match) this.lines.get(Number(match[2]))?.push(match[3]!);
  });
  private started = 0;

  /** `env` is the service's whole configuration; the logging defaults below can be overridden. */
  start(name: ServiceName, env: Readonly<Record<string, string>>): ServiceProcess {
    const id = ++this.started;
    this.lines.set(id, []);
    const child: ManagedChild = this.children.start({
      label: `${name}#${id}`,
      script: ENTRY_POINTS[name],
      cwd: tmpdir(),
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', LOG_FORMAT: 'json', LOG_LEVEL: 'info', ...env },
    });
    const output = () => [...(this.lines.get(id) ?? [])];
    return {
      ...child,
      name,
      output,
      signal: (signal) => {
        if (!child.hasExited()) process.kill(child.pid, signal);
      },
      kill: async () => {
        if (!child.hasExited()) process.kill(child.pid, 'SIGKILL');
        await child.exited;
      },
    };
  }

  /** Stops whatever still runs (test teardown). */
  async stopAll(): Promise<void> {
    await this.children.stopAll(10_000);
  }
}

/** The parsed JSON log lines of a process (other lines skipped). */
export function logRecords(process: Pick<ServiceProcess, 'output'>): Array<Record<string, unknown>> {
  return process.output().flatMap((line) => {
    try {
      // A log line is an object; anything else JSON could be (a number, a string) is skipped.
      const parsed = JSON.parse(line) as Record<string, unknown> | null;
      return typeof parsed === 'object' && parsed !== null ? [parsed] : [];
    } catch {
      return [];
    }
  });
}
