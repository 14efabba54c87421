// A load generator in a process of its own, for load that runs beside a measured scenario (the
// /health flood): in the harness's process it would share that event loop with the measured
// requests and delay their timing, which is exactly what must not be blamed on the server.
// `node flood-client.js --url U --connections N --max-seconds S` prints FLOOD_STARTED after the
// first answer, loads until SIGTERM (or S seconds), then prints one line: FLOOD_RESULT and the
// LoadResult as JSON.
import { parseArgs } from 'node:util';
import { FLOOD_RESULT, FLOOD_STARTED } from './flood-protocol.js';
import { runLoad } from './load-runner.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      connections: { type: 'string' },
      'max-seconds': { type: 'string' },
      'expect-status': { type: 'string', default: '200' },
    },
    strict: true,
  });
  if (values.url === undefined || values.connections === undefined || values['max-seconds'] === undefined) {
    throw new Error('usage: flood-client --url URL --connections N --max-seconds S [--expect-status 200]');
  }
  const stop = new AbortController();
  process.once('SIGTERM', () => stop.abort());
  let started = false;
  const result = await runLoad({
    url: values.url,
    connections: Number(values.connections),
    durationS: Number(values['max-seconds']),
    expectStatus: Number(values['expect-status']),
    stop: stop.signal,
    onComplete: () => {
      if (started) return;
      started = true;
      process.stdout.write(`${FLOOD_STARTED}\n`);
    },
  });
  process.stdout.write(`${FLOOD_RESULT}${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
