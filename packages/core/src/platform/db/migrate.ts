// Applies pending migrations under Kysely's migration lock (GET_LOCK on MySQL), so several
// processes booting at once apply each migration exactly once.
import { Migrator, NO_MIGRATIONS, type MigrationResult } from 'kysely';
import { createDb, type Db } from './create-db.js';
import { ensureDatabase } from './ensure-database.js';
import { migrations } from './migrations/index.js';

export class MigrationError extends Error {
  constructor(
    message: string,
    readonly results: readonly MigrationResult[],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

function migrator(db: Db): Migrator {
  return new Migrator({
    db: db.kysely,
    provider: { getMigrations: async () => Promise.resolve({ ...migrations }) },
  });
}

/** Returns the names of the migrations applied by this call (empty when already current). */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const { error, results = [] } = await migrator(db).migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error');
    throw new MigrationError(
      `Migration ${failed?.migrationName ?? '(unknown)'} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`,
      results,
      { cause: error },
    );
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * migrateToLatest on a connection of its own with no statement deadline, for processes whose
 * pool has one (create-db.ts): DDL on a large table, or waiting while another process holds the
 * migration lock, may take minutes.
 */
/** Creates the database when it does not exist, then applies what is pending; returns their names. */
export async function migrateDatabase(mysqlUrl: string): Promise<string[]> {
  await ensureDatabase(mysqlUrl);
  const db = createDb({ url: mysqlUrl, poolSize: 1 });
  try {
    return await migrateToLatest(db);
  } finally {
    await db.close();
  }
}

export async function migrateDownAll(db: Db): Promise<void> {
  const { error } = await migrator(db).migrateTo(NO_MIGRATIONS);
  if (error !== undefined) throw error instanceof Error ? error : new Error(JSON.stringify(error));
}
