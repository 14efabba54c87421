// Scenario 1's server: a bare Fastify route in the API's server setup (same config loading,
// logger, Fastify options, production mode) answering a pre-serialized body: the exact bytes of
// the real `/getData?pageNo=1&limit=100` response, read once from a file. What /getData page 1
// reaches against it is its share of the ceiling.
//
// Why the real bytes and not filler of the same length: the load generator decodes every body
// to a string, and real JSON (accents, emoji) costs it several times more than ASCII filler,
// which made a filler baseline ~2.5x "faster" for reasons that have nothing to do with the server.
// Started by the harness: `node bench/dist/baseline-server.js --body-file PATH`.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { createLogger, loadConfigOrExit, readProcessEnvironment } from '@tubefeed/core';

const { values } = parseArgs({ options: { 'body-file': { type: 'string' } } });
if (values['body-file'] === undefined) {
  process.stderr.write('usage: baseline-server.js --body-file PATH\n');
  process.exit(2);
}
const body = readFileSync(values['body-file']);

const config = loadConfigOrExit(readProcessEnvironment(), 'baseline');
const log = createLogger(config.log, 'baseline');

// The options apps/api/src/app.ts gives Fastify.
const app = Fastify({
  loggerInstance: log,
  trustProxy: false,
  ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
});
app.get('/baseline', async (_request, reply) => reply.type('application/json; charset=utf-8').send(body));

let closing = false;
async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  await app.close();
  process.exit(0);
}
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());

await app.listen({ host: config.http.host, port: config.http.port });
