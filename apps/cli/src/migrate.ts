// `npm run migrate`: creates the database if needed, applies pending migrations, and renders
// the stored video JSON that is missing or from another renderer version (the apps also do
// all this on boot, the worker the rendering in the background; this is for deploy pipelines
// that migrate first, so a new version starts with every row rendered).
import { createDb, createVideoRepository, loadConfig, migrateDatabase, readProcessEnvironment, systemClock } from '@tubefeed/core';

const config = loadConfig(readProcessEnvironment());
const applied = await migrateDatabase(config.mysql.url);
process.stdout.write(applied.length === 0 ? 'database is up to date\n' : `applied: ${applied.join(', ')}\n`);
// No statement deadline: one connection, batches of rows.
const db = createDb({ url: config.mysql.url, poolSize: 1 });
try {
  const rendered = await createVideoRepository({ db: db.kysely, clock: systemClock }).renderStaleJson();
  if (rendered > 0) process.stdout.write(`video JSON rendered: ${rendered}\n`);
} finally {
  await db.close();
}
