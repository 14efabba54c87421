// The harness's side of a flood (flood-client.ts): starts the client process, waits until it
// is being answered, and at the end stops it and reads what it measured. The flood must cover
// the whole measured window of the scenario beside it: `stop` fails when the client ended
// before it was told to.
import { fileURLToPath } from 'node:url';
import type { ChildProcesses } from '@tubefeed/core/testing/faults';
import { FLOOD_RESULT, FLOOD_STARTED } from './flood-protocol.js';
import type { LoadResult } from './load-runner.js';

export interface FloodSpec {
  readonly url: string;
  readonly connections: number;
  /** A cap: the flood is stopped before, when the scenario beside it ends. */
  readonly maxSeconds: number;
}

export interface RunningFlood {
  readonly pid: number;
  /** Stops the flood and returns its figures; throws if it had already ended by itself. */
  stop(): Promise<LoadResult>;
}

export type StartFlood = (spec: FloodSpec) => Promise<RunningFlood>;

/** How a harness with child processes starts a flood. */
export function floodStarter(system: { processes: ChildProcesses; env: (vars: Record<string, string>) => Record<string, string>; repoRoot: string }): StartFlood {
  return async (spec) => {
    const child = system.processes.start({
      label: 'health-flood',
      script: fileURLToPath(new URL('./flood-client.js', import.meta.url)),
      args: ['--url', spec.url, '--connections', String(spec.connections), '--max-seconds', String(spec.maxSeconds)],
      env: system.env({ NODE_ENV: 'production' }),
      cwd: system.repoRoot,
    });
    const deadline = Date.now() + 10_000;
    while (!child.recentOutput().includes(FLOOD_STARTED)) {
      if (child.hasExited() || Date.now() > deadline) {
        await child.stop();
        throw new Error(`the flood of ${spec.url} got no answer:\n${child.recentOutput().join('\n')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return {
      pid: child.pid,
      async stop() {
        const endedEarly = child.hasExited();
        await child.stop();
        const line = child.recentOutput().find((output) => output.startsWith(FLOOD_RESULT));
        if (endedEarly) throw new Error(`the flood of ${spec.url} ended before the measured window did:\n${child.recentOutput().join('\n')}`);
        if (line === undefined) throw new Error(`the flood of ${spec.url} reported no result:\n${child.recentOutput().join('\n')}`);
        return JSON.parse(line.slice(FLOOD_RESULT.length)) as LoadResult;
      },
    };
  };
}
