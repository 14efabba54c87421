// Creates the configured database when it does not exist yet, so a fresh MySQL needs no
// manual step. Connects without selecting a database, with a short timeout.
import { createConnection } from 'mysql2/promise';
import { poolOptionsFromUrl } from './create-db.js';

export async function ensureDatabase(mysqlUrl: string, connectTimeoutMs = 5000): Promise<void> {
  const { database, ...server } = poolOptionsFromUrl(mysqlUrl);
  const connection = await createConnection({ ...server, connectTimeout: connectTimeoutMs });
  try {
    await connection.query(
      `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await connection.end();
  }
}

export async function dropDatabase(mysqlUrl: string): Promise<void> {
  const { database, ...server } = poolOptionsFromUrl(mysqlUrl);
  const connection = await createConnection({ ...server, connectTimeout: 5000 });
  try {
    await connection.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(database)}`);
  } finally {
    await connection.end();
  }
}

export function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z0-9_$-]{1,64}$/.test(name)) throw new Error(`Unsupported database name "${name}"`);
  return `\`${name}\``;
}
