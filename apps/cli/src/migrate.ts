// `npm run migrate`: creates the database if needed, applies pending migrations, and renders
// the stored video JSON that is missing or from another renderer version (the apps also do
// all this on boot, the worker the rendering in the background; this is for deploy pipelines
// that migrate first, so a new version starts with every row rendered).
//
// `npm run migrate -- --rerender-newer` also renders again the rows a newer version wrote: after
// rolling back to this version (otherwise they are rendered on every read that lists them).
import { parseArgs } from 'node:util';
import { createDb, createVideoRepository, loadConfigOrExit, migrateDatabase, readProcessEnvironment, systemClock } from '@tubefeed/core';

const { values } = parseArgs({ options: { 'rerender-newer': { type: 'boolean', default: false } } });
const config = loadConfigOrExit(readProcessEnvironment(), 'migrate');
const applied = await migrateDatabase(config.mysql.url);
process.stdout.write(applied.length === 0 ? 'database is up to date\n' : `applied: ${applied.join(', ')}\n`);
// No statement deadline: one connection, batches of rows.
const db = createDb({ url: config.mysql.url, poolSize: 1 });
try {
  const rendered = await createVideoRepository({ db: db.kysely, clock: systemClock }).renderStaleJson({ newerToo: values['rerender-newer'] });
  if (rendered > 0) process.stdout.write(`video JSON rendered: ${rendered}\n`);
} finally {
  await db.close();
}
