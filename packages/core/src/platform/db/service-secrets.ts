// A secret the deployment makes once and every process shares: 32 random bytes, created by the
// first process that asks (INSERT IGNORE, so processes asking at once agree on one), kept in
// MySQL with the data it protects. Never derived from other settings, which are often
// published (the compose file holds MYSQL_URL and REDIS_PREFIX).
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

export async function sharedSecret(db: Kysely<Database>, name: string, now: Date = new Date()): Promise<string> {
  const candidate = randomBytes(32).toString('base64url');
  await sql`INSERT IGNORE INTO service_secrets (name, value, created_at) VALUES (${name}, ${candidate}, ${now})`.execute(db);
  const row = await db.selectFrom('service_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow();
  return row.value;
}
