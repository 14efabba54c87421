// A private redis-server on a port of its own, for scenarios that need a real Redis restart:
// the machine's shared Redis is never stopped or flushed by a test. Like the deployment's, it
// keeps nothing on disk, so a restart comes back empty.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisAnswers } from './redis-probe.js';
import { freePort } from './processes.js';

export interface PrivateRedis {
  readonly url: string;
  /** Kills the server (SIGKILL: no shutdown, nothing kept). */
  crash(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const answers = (port: number) => redisAnswers(`redis://127.0.0.1:${port}`, 500);

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'tf-redis-'));
  let server: ChildProcess | undefined;

  async function start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--maxmemory-policy', 'noeviction'],
      { stdio: 'ignore' },
    );
    server = child;
    const deadline = Date.now() + 10_000;
    while (!(await answers(port))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function crash(): Promise<void> {
    const child = server;
    if (child === undefined || child.exitCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  }

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    crash,
    restart: start,
    async stop() {
      await crash();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
