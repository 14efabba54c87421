// A private Redis Cluster of local processes: three masters (no replicas) on free ports, made one
// cluster with `redis-cli --cluster create`, for the tests that prove the service runs unchanged
// on a cluster. Like the deployment's Redis it keeps nothing on disk. Each node's cluster bus
// gets a free port of its own (`--cluster-port`), not port + 10000, which may be taken or past
// 65535 for the ports the OS hands out.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './faults/processes.js';
import { redisAnswers } from './faults/redis-probe.js';

export interface ClusterNode {
  readonly host: string;
  readonly port: number;
  /** The node alone (a plain connection sees only its own slots). */
  readonly url: string;
}

export interface RedisCluster {
  /** The whole cluster, in REDIS_URL's cluster form. */
  readonly url: string;
  readonly nodes: readonly ClusterNode[];
  /** Kills one node (SIGKILL: no shutdown); the others go on serving their slots until they deem it failed. */
  crashNode(index: number): Promise<void>;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

/** The output and exit code of a command. */
function run(command: string, args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

async function clusterState(port: number): Promise<string> {
  const client = new Redis({ host: HOST, port, lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined); // the answer below says it
  try {
    await client.connect();
    const info = await client.cluster('INFO');
    return /cluster_state:(\w+)/.exec(String(info))?.[1] ?? 'unknown';
  } catch (error) {
    return `unreachable (${(error as Error).message})`;
  } finally {
    client.disconnect();
  }
}

export async function startRedisCluster({ masters = 3, timeoutMs = 20_000 } = {}): Promise<RedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'tf-redis-cluster-'));
  const servers: ChildProcess[] = [];
  const nodes: ClusterNode[] = [];
  const taken = new Set<number>();
  const port = async (): Promise<number> => {
    for (;;) {
      const candidate = await freePort(HOST);
      if (!taken.has(candidate)) {
        taken.add(candidate);
        return candidate;
      }
    }
  };

  async function stop(): Promise<void> {
    await Promise.all(
      servers.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await gone;
      }),
    );
    await rm(dir, { recursive: true, force: true });
  }

  try {
    for (let i = 0; i < masters; i++) {
      const [p, bus] = [await port(), await port()];
      // prettier-ignore
      const child = spawn('redis-server', [
        '--port', String(p), '--cluster-port', String(bus), '--bind', HOST,
        '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${p}.conf`), '--cluster-node-timeout', '5000',
        '--save', '', '--appendonly', 'no', '--dir', dir, '--maxmemory-policy', 'noeviction', '--daemonize', 'no',
      ], { stdio: 'ignore' });
      servers.push(child);
      nodes.push({ host: HOST, port: p, url: `redis://${HOST}:${p}` });
    }
    const deadline = Date.now() + timeoutMs;
    for (const [i, node] of nodes.entries()) {
      while (!(await redisAnswers(node.url, 500))) {
        if (servers[i]!.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server (cluster node) did not start on port ${node.port}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const created = await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `${n.host}:${n.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    if (created.code !== 0) throw new Error(`redis-cli --cluster create failed:\n${created.output}`);
    // Every node must see every slot covered before a client may rely on any of them.
    for (const node of nodes) {
      let state = await clusterState(node.port);
      while (state !== 'ok') {
        if (Date.now() > deadline) throw new Error(`cluster node ${node.port} still says cluster_state:${state}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        state = await clusterState(node.port);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url: `redis-cluster://${nodes.map((n) => `${n.host}:${n.port}`).join(',')}`,
    nodes,
    async crashNode(index) {
      const child = servers[index];
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
    },
    stop,
  };
}
