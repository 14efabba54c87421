// `npm run migrate`: creates the database if needed and applies pending migrations (the apps
// also do this on boot; this is for deploy pipelines that migrate first).
import { loadConfig, migrateDatabase, readProcessEnvironment } from '@tubefeed/core';

const config = loadConfig(readProcessEnvironment());
const applied = await migrateDatabase(config.mysql.url);
process.stdout.write(applied.length === 0 ? 'database is up to date\n' : `applied: ${applied.join(', ')}\n`);
