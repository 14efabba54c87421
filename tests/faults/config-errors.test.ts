// Operator mistakes at boot, through the entry points as deployed: every process that reads the
// configuration (the API, the worker, `npm start`'s launcher, and the command-line tools) answers
// an invalid value with one line per problem on stderr, naming the variable, what it accepts and
// what it got, and exits 1 without a stack trace. A valid configuration whose dependencies
// cannot be reached (MySQL refusing connections, the port taken) ends the same way: one line
// that says why, exit 1.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabase } from '@tubefeed/core';
import { testMysqlUrl, testRedisUrl, uniqueName } from '@tubefeed/core/testing';
import { repoRoot } from './support/build.js';

interface Ended {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command` with exactly `env` (plus PATH), in a scratch directory (no .env file is read). */
async function run(command: string, args: readonly string[], env: Record<string, string>, cwd = tmpdir()): Promise<Ended> {
  const child = spawn(command, args, { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(killer);
  return { code, stdout, stderr };
}

const BAD = { PORT: 'abc', FETCH_MAX_PAGES: '99', MYSQL_URL: 'mysql//nowhere', LOG_LEVEL: 'loud' };
const PROBLEMS = [
  'PORT: must be an integer from 0 to 65535 (got "abc")',
  'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
  'MYSQL_URL: must be a URL starting with mysql:// or mariadb:// (got "mysql//nowhere")',
  'FETCH_MAX_PAGES: must be an integer from 2 to 20 (got "99")',
];
const STACK_LINE = /^\s+at /m;

const ENTRY_POINTS = {
  api: 'apps/api/dist/server.js',
  worker: 'apps/worker/dist/main.js',
  start: 'apps/cli/dist/start.js',
  migrate: 'apps/cli/dist/migrate.js',
  seed: 'apps/cli/dist/seed.js',
  'simulate-day': 'apps/cli/dist/simulate-day.js',
} as const;

describe('an invalid setting', () => {
  it.concurrent.each(Object.entries(ENTRY_POINTS))('%s prints one line per problem and exits 1', async (name, script) => {
    const ended = await run(process.execPath, [`${repoRoot}/${script}`], BAD);
    expect(ended.code, ended.stderr).toBe(1);
    expect(ended.stderr.split('\n').filter((line) => line !== '')).toEqual(PROBLEMS.map((problem) => `${name}: invalid setting ${problem}`));
    expect(ended.stdout).toBe('');
  });

  it('npm start prints the same lines and fails, without a stack trace', async () => {
    const ended = await run('npm', ['start'], BAD, repoRoot);
    expect(ended.code).toBe(1);
    for (const problem of PROBLEMS) expect(ended.stderr).toContain(`start: invalid setting ${problem}\n`);
    expect(ended.stderr).not.toMatch(STACK_LINE);
    expect(ended.stdout).not.toMatch(STACK_LINE);
  });

  it('never echoes a secret, even a malformed one', async () => {
    const ended = await run(process.execPath, [`${repoRoot}/${ENTRY_POINTS.api}`], {
      YOUTUBE_API_KEYS: 'AIzaSECRET-looking key!',
      MYSQL_URL: 'postgres://app:hunter2@db/tubefeed',
    });
    expect(ended.code).toBe(1);
    expect(ended.stderr).toContain('api: invalid setting YOUTUBE_API_KEYS: must be a comma-separated list of API keys');
    expect(ended.stderr).toContain('api: invalid setting MYSQL_URL: must be a URL starting with mysql:// or mariadb:// (got "postgres://app:***@db/tubefeed")');
    expect(ended.stderr).not.toMatch(/SECRET-looking|hunter2/);
  });
});

describe('a dependency out of reach at boot', () => {
  const servers: Server[] = [];
  const database = testMysqlUrl(uniqueName('cfg'));
  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    await dropDatabase(database);
  });

  /** A port that refuses connections: one just closed. */
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  const fatalLines = (stdout: string) =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string; reason?: string; code?: string })
      .filter((entry) => entry.level === 60);

  it.each(['api', 'worker'] as const)('%s: MySQL refusing connections is one fatal line, exit 1', async (name) => {
    const port = await closedPort();
    const ended = await run(process.execPath, [`${repoRoot}/${ENTRY_POINTS[name]}`], {
      NODE_ENV: 'production',
      LOG_FORMAT: 'json',
      MYSQL_URL: `mysql://root@127.0.0.1:${port}/tubefeed`,
      REDIS_URL: testRedisUrl(),
      REDIS_PREFIX: uniqueName('cfg'),
      PORT: '0',
    });
    expect(ended.code).toBe(1);
    const fatal = fatalLines(ended.stdout);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.msg).toBe(`${name} could not start: ${fatal[0]!.reason}`);
    expect(fatal[0]!.code).toBe('ECONNREFUSED');
    expect(ended.stdout + ended.stderr).not.toMatch(STACK_LINE);
  });

  it('api: a port already taken is one fatal line, exit 1', async () => {
    const taken = createServer();
    servers.push(taken);
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    const ended = await run(process.execPath, [`${repoRoot}/${ENTRY_POINTS.api}`], {
      NODE_ENV: 'production',
      LOG_FORMAT: 'json',
      MYSQL_URL: database,
      REDIS_URL: testRedisUrl(),
      REDIS_PREFIX: uniqueName('cfg'),
      HOST: '127.0.0.1',
      PORT: String(port),
    });
    expect(ended.code).toBe(1);
    const fatal = fatalLines(ended.stdout);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.code).toBe('EADDRINUSE');
    expect(fatal[0]!.msg).toMatch(new RegExp(`^api could not start: cannot listen on HOST=127\\.0\\.0\\.1 PORT=${port}: `));
    expect(ended.stdout + ended.stderr).not.toMatch(STACK_LINE);
  });
});
