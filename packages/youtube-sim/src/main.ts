// CLI: runs the simulator as a stand-alone server for the offline demo and benchmarks. Prints
// the two settings a client needs, in .env form, on stdout; closes cleanly on SIGINT/SIGTERM.
// The only module of the package that reads the environment.
import { createYoutubeSimulator, DEFAULTS, type YoutubeSimulatorOptions } from './index.js';

type Env = Readonly<Record<string, string | undefined>>;

function value(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

function readInt(env: Env, name: string, min: number, max: number, problems: string[]): number | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  const parsed = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(parsed >= min && parsed <= max)) {
    problems.push(`${name}: must be a whole number from ${min} to ${max} (got "${raw.slice(0, 40)}")`);
    return undefined;
  }
  return parsed;
}

function list(env: Env, name: string): string[] | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

interface CliConfig {
  host: string;
  port: number;
  options: YoutubeSimulatorOptions;
}

function parseEnv(env: Env): CliConfig | { problems: string[] } {
  const problems: string[] = [];
  const port = readInt(env, 'SIM_PORT', 0, 65535, problems) ?? 8765;
  const seed = readInt(env, 'SIM_SEED', 0, 2 ** 32 - 1, problems);
  const dailyQuota = readInt(env, 'SIM_DAILY_QUOTA', 0, 1_000_000_000, problems);
  const publishIntervalMs = readInt(env, 'SIM_PUBLISH_INTERVAL_MS', 1, 86_400_000, problems);
  const maxIndexDelayMs = readInt(env, 'SIM_MAX_INDEX_DELAY_MS', 0, 86_400_000, problems);
  const keys = list(env, 'SIM_KEYS');
  const queries = list(env, 'SIM_QUERIES');
  if (keys?.some((key) => /\s/.test(key))) problems.push('SIM_KEYS: keys must not contain spaces');
  if (problems.length > 0) return { problems };
  return {
    host: value(env, 'SIM_HOST') ?? '127.0.0.1',
    port,
    options: {
      ...(seed === undefined ? {} : { seed }),
      ...(dailyQuota === undefined ? {} : { dailyQuota }),
      ...(publishIntervalMs === undefined ? {} : { publishIntervalMs }),
      ...(maxIndexDelayMs === undefined ? {} : { maxIndexDelayMs }),
      ...(keys === undefined ? {} : { keys }),
      ...(queries === undefined ? {} : { queries: queries.map((q) => ({ q })) }),
    },
  };
}

async function main(): Promise<void> {
  const config = parseEnv(process.env);
  if ('problems' in config) {
    process.stderr.write(`Invalid simulator settings:\n${config.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exitCode = 1;
    return;
  }
  const sim = createYoutubeSimulator(config.options);
  const baseUrl = await sim.listen({ host: config.host, port: config.port });
  process.stdout.write(`YOUTUBE_API_ROOT=${baseUrl}/\nYOUTUBE_API_KEYS=${sim.apiKeys().join(',')}\n`);
  process.stderr.write(
    `youtube-sim: seed ${sim.seed}, ${config.options.dailyQuota ?? DEFAULTS.dailyQuota} units/day per key, control API at ${baseUrl}/__sim\n`,
  );

  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    sim.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`youtube-sim: close failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`youtube-sim: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
