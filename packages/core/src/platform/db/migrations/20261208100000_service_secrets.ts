// Secrets the service makes for itself, shared by every process through the database: today
// the cursor signing key when CURSOR_SECRET is not set (platform/db/service-secrets.ts).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE service_secrets (
      name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      value VARCHAR(200) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (name)
    ) ENGINE=InnoDB`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE service_secrets`.execute(db);
}
