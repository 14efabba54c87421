// `npm start`: runs the whole system from one terminal. The API and the worker run as child
// processes with prefixed output; when no YouTube keys are configured, the YouTube simulator
// runs in this process and both children are pointed at it. Ctrl-C stops everything.
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { concurrently, type ConcurrentlyCommandInput } from 'concurrently';
import { API_NODE_OPTIONS, SIMULATOR_DEFAULT_QUOTA, loadConfigOrExit, readProcessEnvironment } from '@tubefeed/core';
import { createYoutubeSimulator, type YoutubeSimulator } from '@tubefeed/youtube-sim';

const SIMULATOR_PORT = 8765;
// The offline demo gives each simulated key (a project of its own) far more than YouTube's 100
// searches and 10,000 units a day, so the feed keeps moving all day; the service counts the same
// figures (SIMULATOR_SEARCH_CALLS_PER_DAY, SIMULATOR_UNITS_PER_DAY). Against real YouTube,
// YouTube's own apply.
const DEMO_QUOTA = SIMULATOR_DEFAULT_QUOTA;

const root = fileURLToPath(new URL('../../../', import.meta.url));
const env = readProcessEnvironment();
const config = loadConfigOrExit(env, 'start');

function say(line: string): void {
  process.stdout.write(`[start] ${line}\n`);
}

async function freePort(preferred: number): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => {
      const any = createServer();
      any.listen(0, '127.0.0.1', () => {
        const { port } = any.address() as { port: number };
        any.close(() => resolve(port));
      });
    });
    probe.listen(preferred, '127.0.0.1', () => probe.close(() => resolve(preferred)));
  });
}

const childEnv: Record<string, string> = { LOG_FORMAT: env.LOG_FORMAT ?? 'pretty' };
let simulator: YoutubeSimulator | undefined;

if (config.youtube.apiKeys.length === 0) {
  simulator = createYoutubeSimulator({ searchCallsPerDay: DEMO_QUOTA.searchCallsPerDay, unitsPerDay: DEMO_QUOTA.unitsPerDay });
  const url = await simulator.listen({ host: '127.0.0.1', port: await freePort(SIMULATOR_PORT) });
  const keys = simulator.apiKeys();
  childEnv.SIMULATOR_URL = `${url}/`;
  childEnv.SIMULATOR_KEYS = keys.join(',');
  childEnv.SIMULATOR_SEARCH_CALLS_PER_DAY = String(DEMO_QUOTA.searchCallsPerDay);
  childEnv.SIMULATOR_UNITS_PER_DAY = String(DEMO_QUOTA.unitsPerDay);
  say(
    `YOUTUBE_API_KEYS is empty: running the YouTube simulator at ${url}/ with ${keys.length} demo keys; ` +
      `the API and worker fetch from it (control API: ${url}/__sim). Set YOUTUBE_API_KEYS to use real YouTube.`,
  );
} else {
  say(`using YouTube at ${config.youtube.apiRoot} with ${config.youtube.apiKeys.length} key(s)`);
}

// concurrently runs each command through a shell; `exec` replaces that shell with Node, so a
// stop signal reaches the API and the worker themselves and the status they exit with (0 after
// a graceful stop) is the command's, not the killed shell's. cmd.exe has no exec and needs none.
const exec = process.platform === 'win32' ? '' : 'exec ';
const commands: ConcurrentlyCommandInput[] = [
  { name: 'api', command: `${exec}node ${API_NODE_OPTIONS.join(' ')} ${root}apps/api/dist/server.js`, env: childEnv, prefixColor: 'cyan' },
  { name: 'worker', command: `${exec}node ${root}apps/worker/dist/main.js`, env: childEnv, prefixColor: 'magenta' },
];
say(`API on http://${config.http.host === '0.0.0.0' ? 'localhost' : config.http.host}:${config.http.port}/ ; Ctrl-C stops everything`);

const { result } = concurrently(commands, {
  prefix: '[{name}]',
  killOthersOn: ['failure', 'success'],
  killSignal: 'SIGTERM',
  handleInput: false,
});

let exitCode = 0;
try {
  await result;
} catch {
  exitCode = 1;
}
await simulator?.close();
process.exit(exitCode);
