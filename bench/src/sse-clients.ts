// The harness's side of the SSE audience (sse-client.ts): thousands of open /videos/stream
// connections from a few processes of their own, started and waited for until every client got
// its `ready` event, held open while other scenarios measure beside them, and at the end
// stopped, each process handing over what its clients received (sse-protocol.ts).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ManagedChild } from '@tubefeed/core/testing/faults';
import type { SystemEnv } from './servers.js';
import { SSE_DELIVERED, SSE_FAILED, SSE_READY, type SseClientReport } from './sse-protocol.js';

export interface SseAudienceSpec {
  /** The stream's whole URL (`${api}/videos/stream`). */
  readonly url: string;
  readonly clients: number;
  readonly processes: number;
  /** Connections each process has opening at once. */
  readonly openConcurrency: number;
  /** The ids of the videos the harness will store: each client must receive each once. */
  readonly videoIds: readonly string[];
  readonly readyTimeoutMs: number;
  /** Where the processes write their reports. */
  readonly scratchDir: string;
}

export interface SseAudience {
  readonly pids: readonly number[];
  /** Seconds from starting the processes until every client had its `ready` event. */
  readonly readyS: number;
  /** Resolves true once every client has every expected video, false at the timeout. */
  waitDelivered(timeoutMs: number): Promise<boolean>;
  /** Stops the processes (once) and returns their reports. */
  close(): Promise<SseClientReport[]>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `clients` split as evenly as possible over `processes`. */
export function shareClients(clients: number, processes: number): number[] {
  const count = Math.max(1, Math.min(processes, clients));
  return Array.from({ length: count }, (_, i) => Math.floor(clients / count) + (i < clients % count ? 1 : 0));
}

function printed(child: ManagedChild, marker: string): string | undefined {
  return child.recentOutput().find((line) => line.startsWith(marker));
}

export async function openSseAudience(system: SystemEnv, spec: SseAudienceSpec): Promise<SseAudience> {
  const started = performance.now();
  const script = fileURLToPath(new URL('./sse-client.js', import.meta.url));
  const children = shareClients(spec.clients, spec.processes).map((clients, i) => {
    const out = join(spec.scratchDir, `sse-clients-${i + 1}.json`);
    const child = system.processes.start({
      label: `sse-clients-${i + 1}`,
      script,
      args: ['--url', spec.url, '--clients', String(clients), '--expect', spec.videoIds.join(','), '--out', out, '--open-concurrency', String(spec.openConcurrency)],
      env: system.env({ NODE_ENV: 'production' }),
      cwd: system.repoRoot,
    });
    return { child, out };
  });
  let closing: Promise<SseClientReport[]> | null = null;

  async function collect(): Promise<SseClientReport[]> {
    const endedEarly = children.filter(({ child }) => child.hasExited());
    await Promise.all(children.map(({ child }) => child.stop()));
    if (endedEarly.length > 0) {
      const { child } = endedEarly[0]!;
      throw new Error(`${child.label} exited before it was stopped:\n${child.recentOutput().join('\n')}`);
    }
    return Promise.all(
      children.map(async ({ child, out }) => {
        try {
          return JSON.parse(await readFile(out, 'utf8')) as SseClientReport;
        } catch (error) {
          throw new Error(`${child.label} left no report (${(error as Error).message}):\n${child.recentOutput().join('\n')}`, { cause: error });
        }
      }),
    );
  }
  const close = () => (closing ??= collect());

  const deadline = Date.now() + spec.readyTimeoutMs;
  for (;;) {
    const failed = children.find(({ child }) => child.hasExited() || printed(child, SSE_FAILED) !== undefined);
    if (failed !== undefined || Date.now() > deadline) {
      const { child } = failed ?? children.find(({ child }) => printed(child, SSE_READY) === undefined)!;
      await Promise.all(children.map(({ child }) => child.stop()));
      const why = failed === undefined ? `not every client got its ready event within ${spec.readyTimeoutMs} ms` : 'a stream could not be opened';
      throw new Error(`${spec.clients.toLocaleString('en-US')} SSE clients: ${why} (${child.label}):\n${child.recentOutput().join('\n')}`);
    }
    if (children.every(({ child }) => printed(child, SSE_READY) !== undefined)) break;
    await sleep(50);
  }
  const readyS = (performance.now() - started) / 1000;

  return {
    pids: children.map(({ child }) => child.pid),
    readyS,
    async waitDelivered(timeoutMs) {
      const until = Date.now() + timeoutMs;
      while (Date.now() <= until) {
        if (children.every(({ child }) => printed(child, SSE_DELIVERED) !== undefined)) return true;
        if (children.some(({ child }) => child.hasExited())) return false;
        await sleep(20);
      }
      return false;
    },
    close,
  };
}
