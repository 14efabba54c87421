// `npm run migrate`: creates the database if needed and applies pending migrations (the apps
// also do this on boot; this is for deploy pipelines that migrate first).
import { createDb, ensureDatabase, loadConfig, migrateToLatest, readProcessEnvironment } from '@tubefeed/core';

const config = loadConfig(readProcessEnvironment());
await ensureDatabase(config.mysql.url);
const db = createDb(config.mysql);
try {
  const applied = await migrateToLatest(db);
  process.stdout.write(applied.length === 0 ? 'database is up to date\n' : `applied: ${applied.join(', ')}\n`);
} finally {
  await db.close();
}
