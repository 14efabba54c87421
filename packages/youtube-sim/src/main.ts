// CLI: runs the simulator as a stand-alone server for the offline demo and benchmarks. Prints
// the two settings a client needs, in .env form, on stdout; closes cleanly on SIGINT/SIGTERM.
// The only module of the package that reads the environment (cli-env.ts parses it).
import { parseSimulatorEnv } from './cli-env.js';
import { createYoutubeSimulator } from './index.js';

async function main(): Promise<void> {
  const config = parseSimulatorEnv(process.env);
  if ('problems' in config) {
    process.stderr.write(`Invalid simulator settings:\n${config.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exitCode = 1;
    return;
  }
  const sim = createYoutubeSimulator(config.options);
  const baseUrl = await sim.listen({ host: config.host, port: config.port });
  process.stdout.write(`YOUTUBE_API_ROOT=${baseUrl}/\nYOUTUBE_API_KEYS=${sim.apiKeys().join(',')}\n`);
  const quota = sim.quota()[0];
  const perDay = quota === undefined ? 'no keys' : `${quota.search.limit} searches and ${quota.units.limit} units/day per project`;
  process.stderr.write(`youtube-sim: seed ${sim.seed}, ${perDay}, control API at ${baseUrl}/__sim\n`);

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
