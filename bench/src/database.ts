// The MySQL side of the benchmark: the dedicated databases (named from MYSQL_URL, so a run
// never touches the deployment's own data), the seeded data set (reused when it already holds
// the right number of rows, and brought to the current schema either way) and the buffer pool
// check.
import { access, readFile } from 'node:fs/promises';
import { createDb, dropDatabase, ensureDatabase, poolOptionsFromUrl, quoteIdentifier, rebuildFeedCounts } from '@tubefeed/core';
import type { ChildProcesses } from '@tubefeed/core/testing/faults';

export type Row = Record<string, unknown>;

/** One pooled connection for the harness's own statements (never used during load). */
export interface MysqlHandle {
  query(statement: string, params?: readonly unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

export function openMysql(url: string): MysqlHandle {
  const db = createDb({ url, poolSize: 1 });
  const pool = db.pool.promise();
  return {
    async query(statement, params = []) {
      const [rows] = await pool.query(statement, [...params]);
      return Array.isArray(rows) ? (rows as Row[]) : [];
    },
    close: () => db.close(),
  };
}

/** MYSQL_URL with another database name (same server and credentials). */
export function databaseUrl(baseUrl: string, database: string): string {
  quoteIdentifier(database);
  const url = new URL(baseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export function baseDatabaseName(baseUrl: string): string {
  return poolOptionsFromUrl(baseUrl).database;
}

/** The seeded data set's database: one per size, kept between runs. */
export function benchDatabaseName(baseUrl: string, rows: number): string {
  return `${baseDatabaseName(baseUrl)}_bench_${rows}`;
}

/** Scratch databases of the ingest and freshness scenarios: named by the harness's pid. */
export function scratchDatabaseName(baseUrl: string, label: string, pid: number): string {
  return `${baseDatabaseName(baseUrl)}_bench_${label}_${pid}`;
}

export async function scalar(handle: MysqlHandle, statement: string, params: readonly unknown[] = []): Promise<unknown> {
  const [row] = await handle.query(statement, params);
  return row === undefined ? undefined : Object.values(row)[0];
}

export async function mysqlVersion(handle: MysqlHandle): Promise<string> {
  return String(await scalar(handle, 'SELECT VERSION()'));
}

/** MariaDB's process id when it runs on this machine (for the CPU split), else null. */
export async function mysqlServerPid(handle: MysqlHandle): Promise<number | null> {
  try {
    const pidFile = String(await scalar(handle, 'SELECT @@pid_file'));
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    await access(`/proc/${pid}/stat`);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null; // Another machine, or a pid file we cannot read: the split counts it as "other".
  }
}

export interface BufferPoolFacts {
  readonly beforeBytes: number;
  readonly afterBytes: number;
  readonly changed: boolean;
  /** Why it could not be changed, when it could not. */
  readonly error: string | null;
}

/**
 * Production servers size the InnoDB buffer pool to their RAM; a 128 MB default against a
 * ~1 GB data set would measure the disk, not the service. MariaDB resizes it online.
 */
export async function ensureBufferPool(handle: MysqlHandle, wantedBytes: number): Promise<BufferPoolFacts> {
  const read = async () => Number(await scalar(handle, 'SELECT @@GLOBAL.innodb_buffer_pool_size'));
  const beforeBytes = await read();
  // "At least ~2 GB": the server rounds to whole chunks, so accept a little under.
  if (beforeBytes >= wantedBytes * 0.95) return { beforeBytes, afterBytes: beforeBytes, changed: false, error: null };
  try {
    await handle.query(`SET GLOBAL innodb_buffer_pool_size = ${Math.round(wantedBytes)}`);
    // The resize runs in the background; wait for it to finish (bounded).
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const [row] = await handle.query("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_resize_status'");
      const status = typeof row?.Value === 'string' ? row.Value : '';
      if (status === '' || /completed|finished/i.test(status)) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const afterBytes = await read();
    return { beforeBytes, afterBytes, changed: afterBytes !== beforeBytes, error: null };
  } catch (error) {
    return { beforeBytes, afterBytes: beforeBytes, changed: false, error: (error as Error).message };
  }
}

export interface SeededState {
  readonly total: number;
  readonly searchRows: number;
}

/**
 * What a database holds (videos and search rows); null when it is not a seeded data set. The
 * videos are counted, not read from the maintained total: that counts the videos the feeds
 * list, which leaves out the ones the details mark unavailable once the counts do.
 */
export async function seededState(handle: MysqlHandle, database: string): Promise<SeededState | null> {
  const name = quoteIdentifier(database);
  const exists = await handle.query('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [database]);
  if (exists.length === 0) return null;
  try {
    const total = Number(await scalar(handle, `SELECT COUNT(*) FROM ${name}.videos`));
    const searchRows = Number(await scalar(handle, `SELECT COUNT(*) FROM ${name}.video_search`));
    return { total, searchRows };
  } catch {
    // Tables missing: a half-created database.
    return null;
  }
}

export interface DataSet {
  readonly database: string;
  readonly url: string;
  readonly rows: number;
  readonly reused: boolean;
  readonly seedSeconds: number | null;
  /** Migrations this run applied to the data set (a reused one seeded by an older build). */
  readonly migrationsApplied: readonly string[];
}

/** Names of the migrations a database has applied (Kysely's table); empty when it has none. */
export async function appliedMigrations(handle: MysqlHandle, database: string): Promise<string[]> {
  try {
    const rows = await handle.query(`SELECT name FROM ${quoteIdentifier(database)}.kysely_migration ORDER BY name`);
    return rows.map((row) => String(row.name));
  } catch (error) {
    if ((error as { code?: string }).code === 'ER_NO_SUCH_TABLE') return [];
    throw error;
  }
}

export interface PrepareDataSetOptions {
  readonly server: MysqlHandle;
  readonly baseUrl: string;
  readonly rows: number;
  /** The seeder refreshes page-1 snapshots: under this prefix, never the deployment's own. */
  readonly redisUrl: string;
  readonly redisPrefix: string;
  readonly processes: ChildProcesses;
  readonly repoRoot: string;
  readonly env: (vars: Record<string, string>) => Record<string, string>;
  readonly log: (line: string) => void;
}

/**
 * Reuses the size's database when it holds exactly `rows` videos; otherwise seeds it afresh.
 * Either way the data set is then brought up to date by the build's own migration command
 * (`apps/cli/dist/migrate.js`), as a deployment migrates before it starts the new build: a data
 * set seeded by an older build gets the migrations added since (and whatever that command does
 * to rows an older build wrote) instead of being served as it was.
 */
export async function prepareDataSet(options: PrepareDataSetOptions): Promise<DataSet> {
  const { server, baseUrl, rows, processes, repoRoot, env, log, redisUrl, redisPrefix } = options;
  const database = benchDatabaseName(baseUrl, rows);
  const url = databaseUrl(baseUrl, database);
  const childEnv = env({ MYSQL_URL: url, REDIS_URL: redisUrl, REDIS_PREFIX: redisPrefix, NODE_ENV: 'production', LOG_LEVEL: 'warn' });
  const state = await seededState(server, database);
  if (state !== null && state.total === rows && state.searchRows === rows) {
    log(`reusing ${database}: ${rows.toLocaleString('en-US')} videos already seeded; applying pending migrations`);
    const migrationsApplied = await migrateDataSet(options, database, childEnv);
    if ((await ensureDetails(server, database, log)) > 0) await recountFeeds(url);
    return { database, url, rows, reused: true, seedSeconds: null, migrationsApplied };
  }
  if (state !== null) {
    log(`${database} holds ${state.total} videos / ${state.searchRows} search rows, not ${rows}: dropping and seeding it again`);
    await dropDatabase(url);
  }
  log(`seeding ${rows.toLocaleString('en-US')} videos into ${database} (one time; ~2 min per million)`);
  const started = performance.now();
  await ensureDatabase(url);
  await processes.run({
    label: 'seed',
    script: `${repoRoot}/apps/cli/dist/seed.js`,
    args: ['--count', String(rows)],
    env: childEnv,
    cwd: repoRoot,
  });
  // The seeder migrates before it loads; the command runs anyway, so both paths end the same way.
  const migrationsApplied = await migrateDataSet(options, database, childEnv);
  if ((await ensureDetails(server, database, log)) > 0) await recountFeeds(url);
  await analyze(server, database);
  const seeded = await seededState(server, database);
  if (seeded === null || seeded.total !== rows || seeded.searchRows !== rows) {
    throw new Error(`seeding ${database} ended with ${JSON.stringify(seeded)}, expected ${rows} videos and search rows`);
  }
  return { database, url, rows, reused: false, seedSeconds: (performance.now() - started) / 1000, migrationsApplied };
}

/** Videos given details per UPDATE when a data set is enriched (one short transaction each). */
const DETAILS_SLICE = 50_000;

/**
 * Gives every video of the data set what a videos.list enrichment stores (issue 15), as a
 * catalog enriched for a while holds it, derived from the id so every data set of a size is the
 * same: views spread evenly over 1 to 10 million on a log scale (about 3 % unknown), likes a
 * fortieth of them (some hidden), durations 20 % shorts, 60 % 2-20 min, 15 % 20-60 min, 5 % 1-10 h,
 * half English, 0.5 % live, 0.5 % upcoming, 2 % completed broadcasts, 0.5 % unavailable.
 * A data set seeded before these columns existed is filled once, in slices; afterwards this
 * finds nothing to do. Returns how many videos it filled.
 */
export async function ensureDetails(server: MysqlHandle, database: string, log: (line: string) => void): Promise<number> {
  const name = quoteIdentifier(database);
  const missing = Number(await scalar(server, `SELECT COUNT(*) FROM ${name}.videos WHERE details_at IS NULL`));
  if (missing === 0) return 0;
  log(`${database}: giving ${missing.toLocaleString('en-US')} videos enrichment details (views, likes, duration, live state, language), once`);
  const started = performance.now();
  const maxId = Number(await scalar(server, `SELECT COALESCE(MAX(id), 0) FROM ${name}.videos`));
  // h: a well-mixed 32-bit number per id (Knuth's multiplicative hash).
  const h = '((id * 2654435761) % 4294967296)';
  const views = `FLOOR(POW(10, (${h} % 7000) / 1000))`;
  for (let from = 0; from < maxId; from += DETAILS_SLICE) {
    await server.query(
      `UPDATE ${name}.videos SET
         view_count = IF(${h} % 33 = 0, NULL, ${views}),
         like_count = IF(${h} % 33 = 0 OR ${h} % 29 = 0, NULL, FLOOR(${views} / 40)),
         comment_count = IF(${h} % 33 = 0, NULL, FLOOR(${views} / 400)),
         duration_s = CASE
           WHEN (${h} DIV 7) % 20 < 4 THEN 15 + ${h} % 46
           WHEN (${h} DIV 7) % 20 < 16 THEN 120 + ${h} % 1081
           WHEN (${h} DIV 7) % 20 < 19 THEN 1200 + ${h} % 2401
           ELSE 3600 + ${h} % 32401 END,
         live_state = CASE WHEN ${h} % 200 = 0 THEN 'live' WHEN ${h} % 200 = 1 THEN 'upcoming' WHEN ${h} % 50 = 2 THEN 'completed' ELSE 'none' END,
         default_language = ELT(1 + (${h} DIV 13) % 10, 'en', 'en', 'en', 'en', 'en-US', 'es', 'de', 'ja', 'pt-BR', 'fr'),
         available = IF(${h} % 199 = 3, 0, 1),
         unavailable_since = IF(${h} % 199 = 3, first_seen_at, NULL),
         details_at = first_seen_at,
         details_due_at = first_seen_at + INTERVAL 30 DAY
       WHERE id > ? AND id <= ? AND details_at IS NULL`,
      [from, from + DETAILS_SLICE],
    );
  }
  log(`${database}: details given in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await analyze(server, database);
  return missing;
}

/**
 * After ensureDetails marked some videos unavailable: their query links say so too, and the feed
 * counts (which count listed videos only) are computed again, as the enrichment keeps them.
 */
async function recountFeeds(url: string): Promise<void> {
  const db = createDb({ url, poolSize: 1 });
  try {
    await db.pool.promise().query('UPDATE video_queries q JOIN videos v ON v.id = q.video_pk SET q.available = v.available WHERE q.available <> v.available');
    await rebuildFeedCounts(db.kysely);
  } finally {
    await db.close();
  }
}

/** Fresh statistics, as a long-running server would have. */
async function analyze(server: MysqlHandle, database: string): Promise<void> {
  const name = quoteIdentifier(database);
  await server.query(`ANALYZE TABLE ${name}.videos, ${name}.video_search, ${name}.video_queries, ${name}.feed_buckets`);
}

/**
 * Runs the build's migration command against the data set and returns what it applied. When it
 * applied something the statistics are refreshed (a migration may add columns or indexes), and
 * the data set must still hold its seeded rows, or the run would measure something else.
 */
async function migrateDataSet(options: PrepareDataSetOptions, database: string, childEnv: Record<string, string>): Promise<string[]> {
  const { server, rows, processes, repoRoot, log } = options;
  const before = new Set(await appliedMigrations(server, database));
  const started = performance.now();
  await processes.run({ label: 'migrate', script: `${repoRoot}/apps/cli/dist/migrate.js`, env: childEnv, cwd: repoRoot });
  const applied = (await appliedMigrations(server, database)).filter((name) => !before.has(name));
  if (applied.length === 0) return applied;
  log(`${database}: applied ${applied.join(', ')} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await analyze(server, database);
  const state = await seededState(server, database);
  if (state === null || state.total !== rows || state.searchRows !== rows) {
    throw new Error(`migrating ${database} left ${JSON.stringify(state)}, expected ${rows} videos and search rows`);
  }
  return applied;
}

/** Highest ids of the rows a fetching worker adds to a data set: videos, followed queries, keys. */
export interface DataSetMarks {
  readonly videoId: number;
  readonly queryId: number;
  readonly keyId: number;
}

export async function dataSetMarks(handle: MysqlHandle, database: string): Promise<DataSetMarks> {
  const name = quoteIdentifier(database);
  const max = async (table: string) => Number((await scalar(handle, `SELECT COALESCE(MAX(id), 0) FROM ${name}.${table}`)) ?? 0);
  return { videoId: await max('videos'), queryId: await max('search_queries'), keyId: await max('api_keys') };
}

/**
 * Takes a seeded data set back to what it held at `marks` (the soak's worker fetches into it,
 * the sse-clients group stores into it): deletes every row added since, then recomputes the
 * feed counts as the seeder does after loading, so the next run finds exactly the seeded rows
 * and reuses the data set.
 */
export async function restoreDataSet(url: string, marks: DataSetMarks): Promise<void> {
  const db = createDb({ url, poolSize: 1 });
  try {
    const pool = db.pool.promise();
    const { videoId, queryId, keyId } = marks;
    // The push outbox rows written with those videos (relayed or not).
    await pool.query('DELETE FROM feed_events WHERE video_pk > ?', [videoId]);
    await pool.query('DELETE FROM video_queries WHERE video_pk > ? OR query_id > ?', [videoId, queryId]);
    await pool.query('DELETE FROM video_search WHERE video_pk > ?', [videoId]);
    await pool.query('DELETE FROM videos WHERE id > ?', [videoId]);
    await pool.query('DELETE FROM feed_buckets WHERE scope > ?', [queryId]);
    await pool.query('DELETE FROM feed_scopes WHERE scope > ?', [queryId]);
    await pool.query('DELETE FROM search_queries WHERE id > ?', [queryId]);
    await pool.query('DELETE FROM api_keys WHERE id > ?', [keyId]);
    await rebuildFeedCounts(db.kysely);
  } finally {
    await db.close();
  }
}

/** Drops scratch databases of earlier runs whose harness process is gone (a crash or kill -9). */
export async function dropAbandonedScratchDatabases(handle: MysqlHandle, baseUrl: string, log: (line: string) => void): Promise<void> {
  const base = baseDatabaseName(baseUrl);
  const rows = await handle.query('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [`${base}\\_bench\\_%\\_%`]);
  for (const row of rows) {
    const name = String(row.name);
    const match = new RegExp(`^${base.replace(/[$-]/g, '\\$&')}_bench_(ingest|fresh)_(\\d+)$`).exec(name);
    if (match === null) continue;
    const pid = Number(match[2]);
    if (pid === process.pid || processAlive(pid)) continue;
    log(`dropping ${name}, left behind by an earlier run`);
    await dropDatabase(databaseUrl(baseUrl, name));
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
