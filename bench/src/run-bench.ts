// `npm run bench [-- --quick] [-- --count N]`: the benchmark of issue 6, end to end. Seeds (or
// reuses) a dedicated database, starts the API as production runs it, measures every planned
// scenario, checks the targets, prints both tables and writes the results file. `--soak` runs
// the soak of issue 7 on the same data set instead (soak-scenario.ts). Progress goes to stderr,
// the tables to stdout. Every child, scratch database and Redis prefix is removed on exit, on
// errors and on SIGINT/SIGTERM.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, poolOptionsFromUrl, readProcessEnvironment } from '@tubefeed/core';
import { Cleanup } from './cleanup.js';
import { databaseUrl, dropAbandonedScratchDatabases, ensureBufferPool, mysqlServerPid, mysqlVersion, openMysql, prepareDataSet } from './database.js';
import { floodStarter } from './flood-process.js';
import { runFreshnessScenario } from './freshness-scenario.js';
import { listingKey, listingPath, readFeedFacts, runHttpScenario, walkCursor, walkListing, type HttpRunContext } from './http-scenarios.js';
import { runIngestScenario } from './ingest-scenario.js';
import { round } from './latency-stats.js';
import { gitFacts, machineFacts } from './machine.js';
import { BenchUsageError, USAGE, benchSettings, parseBenchOptions, planScenarios, planTargets, resultsFileName, type ScenarioPlan } from './plan.js';
import { ChildProcesses, residentMemory, startSqlCountingProxy } from '@tubefeed/core/testing/faults';
import { benchPrefix, clearPrefix, openRedis, redisServerPid, redisVersion, writeFeedSnapshot } from './redis-state.js';
import { apiRssUnderLoad, print, scenarioTable, targetTable, withBaselineRatios, writeResults } from './report.js';
import { SOAK_LIMITS, planSoakTargets, soakSettings } from './soak-plan.js';
import { soakSummaryTable, soakWindowTable, writeSoakResults } from './soak-report.js';
import { runSoak } from './soak-scenario.js';
import { resultWithoutFigures, type ScenarioResult } from './scenario-result.js';
import { startApi, startBaseline, type ServerHandle, type SystemEnv } from './servers.js';
import { openSseClients, runSseDelivery, type OpenSseClients } from './sse-scenario.js';
import { evaluateTargets } from './targets.js';

const BUFFER_POOL_BYTES = 2 * 1024 ** 3;

const log = (line: string) => process.stderr.write(`${line}\n`);
const say = (line: string) => log(`[bench] ${line}`);

function failedResult(plan: ScenarioPlan, error: Error): ScenarioResult {
  return resultWithoutFigures(plan, `FAILED: ${error.message.split('\n')[0]!.slice(0, 120)}`, { failed: true, error: error.message.slice(0, 2000) });
}

function summary(result: ScenarioResult): string {
  const parts = [
    result.reqPerSec === null ? null : `${result.reqPerSec.toLocaleString('en-US')} ${result.group === 'ingest' ? 'videos/s' : 'req/s'}`,
    result.p50Ms === null ? null : `p50 ${result.p50Ms} ms`,
    result.p99Ms === null ? null : `p99 ${result.p99Ms} ms`,
    result.errors === null ? null : `${result.errors} errors`,
    typeof result.extra.sqlPerRequest === 'number' ? `${result.extra.sqlPerRequest} SQL/request` : null,
    typeof result.extra.rssMb === 'number' ? `RSS ${result.extra.rssMb} MB` : null,
    typeof result.extra.searchCallsPer1000Videos === 'number' ? `${result.extra.searchCallsPer1000Videos} searches per 1,000 videos` : null,
    typeof result.extra.relayP50Ms === 'number' ? `commit -> relayed p50 ${result.extra.relayP50Ms} ms` : null,
    typeof result.extra.firstArrivalP50Ms === 'number'
      ? `per video first/last client p50 ${result.extra.firstArrivalP50Ms}/${String(result.extra.lastArrivalP50Ms)} ms`
      : null,
    typeof result.extra.deliveryMaxMs === 'number' ? `delivery max ${result.extra.deliveryMaxMs} ms` : null,
    typeof result.extra.serverCpuUsPerDelivery === 'number'
      ? `API ${result.extra.serverCpuUsPerDelivery} us CPU per delivery (cpu% srv ${String(result.extra.deliveryServerCpuPct)} sse ${String(result.extra.deliverySseClientsCpuPct)} harness ${String(result.extra.deliveryHarnessCpuPct)} other ${String(result.extra.deliveryOtherCpuPct)})`
      : null,
    typeof result.extra.rssPer1000ClientsMb === 'number' ? `API RSS ${String(result.extra.rssBeforeClientsMb)} -> ${String(result.extra.rssWithClientsMb)} MB, +${result.extra.rssPer1000ClientsMb} MB per 1,000 clients` : null,
  ];
  return `${result.name}: ${parts.filter((p) => p !== null).join(', ') || result.note}`;
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let options;
  try {
    options = parseBenchOptions(argv);
  } catch (error) {
    if (error instanceof BenchUsageError) {
      log(error.message);
      return 2;
    }
    throw error;
  }
  const settings = benchSettings(options);
  const startedAt = performance.now();
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
  const environment = readProcessEnvironment(repoRoot);
  const config = loadConfig(environment);
  // Children get only what they are given, plus what any process needs to run.
  const inherited: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) {
    const value = environment[name];
    if (value !== undefined) inherited[name] = value;
  }
  const env = (vars: Record<string, string>) => ({ ...inherited, ...vars });

  const cleanup = new Cleanup();
  const processes = new ChildProcesses(log);
  const system: SystemEnv = { env, processes, repoRoot };
  // Children first (they use the databases and prefixes the cleanup steps remove), then the rest.
  const tearDown = async () => {
    await processes.stopAll();
    return cleanup.run();
  };
  process.on('exit', () => processes.killAllNow());
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    say(`${signal}: stopping children, dropping scratch databases, clearing Redis prefixes`);
    void tearDown().then((failures) => {
      for (const failure of failures) say(`cleanup: ${failure}`);
      process.exit(130);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const notes: string[] = [];
  const results: ScenarioResult[] = [];
  try {
    say(
      options.soakSeconds === null
        ? `${settings.mode} run: ${settings.rows.toLocaleString('en-US')} rows, ${settings.warmupS} s warm-up + ${settings.durationS} s per HTTP scenario`
        : `soak on the ${settings.rows.toLocaleString('en-US')}-row data set: ${options.soakSeconds} s`,
    );
    const server = openMysql(databaseUrl(config.mysql.url, 'information_schema'));
    cleanup.defer('mysql connection', () => server.close());
    const redis = openRedis(config.redis.url);
    cleanup.defer('redis connection', () => void redis.disconnect());

    const machine = { ...machineFacts(), mariadb: await mysqlVersion(server), redis: await redisVersion(redis) };
    const git = gitFacts(repoRoot);
    const mysqlPid = await mysqlServerPid(server);
    const redisPid = await redisServerPid(redis);
    await dropAbandonedScratchDatabases(server, config.mysql.url, say);

    const pool = await ensureBufferPool(server, BUFFER_POOL_BYTES);
    const mb = (bytes: number) => `${Math.round(bytes / 1024 ** 2)} MB`;
    const poolLine = pool.changed
      ? `innodb_buffer_pool_size raised from ${mb(pool.beforeBytes)} to ${mb(pool.afterBytes)} (production sizes it to RAM; the 1M data set is ~1 GB)`
      : pool.error !== null
        ? `innodb_buffer_pool_size is ${mb(pool.beforeBytes)} and could not be raised: ${pool.error}`
        : `innodb_buffer_pool_size is ${mb(pool.beforeBytes)} (left as it is)`;
    say(poolLine);
    notes.push(poolLine);

    const prefix = benchPrefix(config.redis.prefix, 'main', process.pid);
    cleanup.defer('main redis prefix', () => clearPrefix(redis, prefix));
    await clearPrefix(redis, prefix);
    const dataSet = await prepareDataSet({
      server,
      baseUrl: config.mysql.url,
      rows: settings.rows,
      redisUrl: config.redis.url,
      redisPrefix: prefix,
      processes,
      repoRoot,
      env,
      log: say,
    });

    if (options.soakSeconds !== null) {
      const soak = soakSettings(options);
      const run = await runSoak(soak, {
        system,
        dataSet,
        server,
        mysqlBaseUrl: config.mysql.url,
        redisUrl: config.redis.url,
        redis,
        basePrefix: config.redis.prefix,
        mysqlPid,
        redisPid,
        cleanup,
        log: say,
      });
      const targets = evaluateTargets(planSoakTargets(), [run.result]);
      const other = run.result.extra.otherCpuPct;
      const noisyWindows = run.windows.filter((w) => typeof w.cpu.otherCpuPct === 'number' && w.cpu.otherCpuPct >= 25);
      notes.push(
        `Load: autocannon in the harness process (which also runs the simulator), ${soak.connections} connections on ${soak.path} as in the page-1 scenario, unthrottled (the API runs with RATE_LIMIT_MAX=${soak.rateLimitMax}); one run covering the ${soak.warmupS} s warm-up, the windows and one more second.`,
        `The worker (FETCH_INTERVAL_MS=${soak.fetchIntervalMs}, QUOTA_PACING=off) fetched from the simulator (one video every ${soak.publishIntervalMs} ms) into ${dataSet.database}, which the API serves; the rows it added were deleted afterwards and the feed counts rebuilt (${run.restoreS} s), leaving the seeded data set as it was.`,
        'Memory: VmRSS from /proc; the API\'s V8 heap from its /metrics on a private listener, read at the end of the warm-up and of each window, as a Prometheus scrape would.',
        `Freshness under load: page 1 and the simulator's ground truth polled every ${soak.freshnessPollMs} ms from the load generator's process (its event-loop delay p99 is in the summary); no new video is timed in the last ${soak.freshnessTailS} s.`,
        `cpu%: percent of one core used by the API, the worker, the load generator (with the simulator), MariaDB, and everything else on the machine (other: the noise figure; ${String(other)}% over the soak).`,
      );
      if (noisyWindows.length > 0) {
        const line = `Noisy: other processes used >= 25% of a core during the windows ${noisyWindows.map((w) => `${w.startS}-${w.endS} s (${String(w.cpu.otherCpuPct)}%)`).join(', ')}.`;
        notes.push(line);
        say(line);
      }
      const durationS = round((performance.now() - startedAt) / 1000, 1) ?? 0;
      const outputPath = fileURLToPath(new URL(soak.mode === 'quick' ? '../results.soak.quick.json' : '../results.soak.json', import.meta.url));
      // A soak shorter than the issue's minute must not replace the results of a whole one.
      const complete = soak.seconds >= SOAK_LIMITS.minSeconds;
      if (complete) {
        await writeSoakResults(outputPath, {
          mode: 'soak',
          dataSet: soak.mode,
          date: new Date().toISOString(),
          git,
          machine: {
            ...machine,
            bufferPool: { beforeBytes: pool.beforeBytes, afterBytes: pool.afterBytes, changed: pool.changed, error: pool.error },
          },
          rows: soak.rows,
          database: dataSet.database,
          settings: { ...soak, seededThisRun: !dataSet.reused, seedSeconds: dataSet.seedSeconds === null ? null : round(dataSet.seedSeconds, 1), restoreS: run.restoreS },
          soak: run.result,
          windows: run.windows,
          targets,
          notes,
          durationS,
        });
      }
      print('');
      print(soakWindowTable(run.windows));
      print('');
      print(soakSummaryTable(run.result));
      print('');
      print(targetTable(targets));
      print('');
      for (const note of notes) print(`- ${note}`);
      print('');
      const missed = targets.filter((t) => !t.met).length;
      print(`${targets.length - missed}/${targets.length} targets met; ${complete ? `results in ${outputPath}` : `a soak under ${SOAK_LIMITS.minSeconds} s: no results file written`} (${durationS} s)`);
      return 0;
    }

    // The worker writes this on boot and after every run (and the seeder after seeding, but a
    // reused database is not seeded again).
    await writeFeedSnapshot(redis, prefix, dataSet.url);
    // Both API processes must accept each other's cursors; never printed or stored.
    const cursorSecret = randomBytes(24).toString('base64url');
    const limiter = options.rateLimitOff ? { extraEnv: { RATE_LIMIT_MAX: '0' } } : {};
    const api = await startApi(system, 'api', { mysqlUrl: dataSet.url, redisUrl: config.redis.url, prefix, cursorSecret, ...limiter });
    say(`API up at ${api.url} (pid ${api.child.pid}, NODE_ENV=production, LOG_LEVEL=warn, rate limiter ${options.rateLimitOff ? 'off' : 'on'})`);
    const bootMemory = await residentMemory(api.child.pid);
    const facts = await readFeedFacts(api.url);
    say(`page 1 (limit=100) is ${facts.pageOneBytes.toLocaleString('en-US')} bytes; ${facts.totalCount.toLocaleString('en-US')} videos`);
    const scratchDir = await mkdtemp(join(tmpdir(), 'tubefeed-bench-'));
    cleanup.defer('scratch directory', () => rm(scratchDir, { recursive: true, force: true }));
    const bodyFile = join(scratchDir, 'page-one-limit-100.json');
    await writeFile(bodyFile, facts.pageOneBody);
    // A second API process, idle except for the statement-counting passes, whose MySQL traffic
    // goes through the counting proxy (the measured API talks to MySQL directly).
    const mysqlTarget = poolOptionsFromUrl(dataSet.url);
    const proxy = await startSqlCountingProxy({ host: mysqlTarget.host ?? '127.0.0.1', port: mysqlTarget.port ?? 3306 });
    cleanup.defer('sql counting proxy', () => proxy.close());
    const proxiedUrl = new URL(dataSet.url);
    proxiedUrl.hostname = '127.0.0.1';
    proxiedUrl.port = String(proxy.port);
    const countingApi = await startApi(system, 'api-count', { mysqlUrl: proxiedUrl.toString(), redisUrl: config.redis.url, prefix, cursorSecret, ...limiter });

    const startFlood = floodStarter(system);
    let baseline: ServerHandle | null = null;
    // The sse-clients group's streams: opened for the first of its scenarios that needs them,
    // held through the next, closed by the delivery scenario (or here, if it fails first).
    let sse: OpenSseClients | null = null;
    const openSse = async (): Promise<OpenSseClients> =>
      (sse ??= await openSseClients(settings, { system, apiUrl: api.url, apiPid: api.child.pid, scratchDir, log: say }));
    cleanup.defer('sse clients', async () => {
      await sse?.audience.close().catch(() => undefined);
    });
    const cursors = new Map<number, string>();
    const listingCursors = new Map<string, string>();
    const context = (): HttpRunContext => ({
      apiUrl: api.url,
      apiPid: api.child.pid,
      mysqlPid,
      redisPid,
      baselineUrl: baseline?.url ?? null,
      baselinePid: baseline?.child.pid ?? null,
      facts,
      cursors,
      listingCursors,
      settings,
      counting: { apiUrl: countingApi.url, proxy },
      startFlood,
      sseClientPids: sse?.audience.pids ?? [],
    });
    const live = { system, mysqlBaseUrl: config.mysql.url, redisUrl: config.redis.url, redis, basePrefix: config.redis.prefix, cleanup, log: say };

    const selected = planScenarios(settings).filter((plan) => options.only.length === 0 || options.only.includes(plan.group));
    // Every deep cursor the selected scenarios use, found in one walk.
    const cursorDepths = [
      ...new Set(selected.flatMap((plan) => (plan.kind === 'http' && plan.request.kind === 'videos' && plan.request.depth > 0 ? [plan.request.depth] : []))),
    ];
    for (const plan of selected) {
      if (interrupted) break;
      let result: ScenarioResult;
      try {
        switch (plan.kind) {
          case 'http': {
            if (plan.request.kind === 'baseline') baseline = await startBaseline(system, bodyFile);
            if (plan.sseClients !== null) await openSse();
            if (plan.request.kind === 'videos' && plan.request.depth > 0 && !cursors.has(plan.request.depth)) {
              const depths = cursorDepths.map((d) => d.toLocaleString('en-US')).join(' and ');
              say(`walking /videos with limit=${settings.cursorWalkLimit} to ${depths} rows deep (public API only; the cursor is opaque)`);
              const walk = await walkCursor(api.url, cursorDepths, settings.cursorWalkLimit);
              for (const [depth, cursor] of walk.cursors) cursors.set(depth, cursor);
              say(`deep cursors reached in ${walk.requests.toLocaleString('en-US')} requests, ${walk.seconds.toFixed(1)} s`);
            }
            if (plan.request.kind === 'listing' && plan.request.page > 1 && !listingCursors.has(listingKey(plan.request))) {
              const walk = await walkListing(api.url, listingPath(plan.request, facts), plan.request.limit, plan.request.page);
              listingCursors.set(listingKey(plan.request), walk.cursor);
            }
            try {
              result = await runHttpScenario(plan, context());
            } finally {
              if (baseline !== null) {
                await baseline.child.stop();
                baseline = null;
              }
            }
            break;
          }
          case 'ingest':
            result = await runIngestScenario(settings, live);
            break;
          case 'freshness':
            result = await runFreshnessScenario(settings, live);
            break;
          case 'sse-delivery': {
            const open = await openSse();
            try {
              result = await runSseDelivery(plan, settings, {
                open,
                apiPid: api.child.pid,
                mysqlPid,
                redisPid,
                dataSet,
                server,
                redis,
                prefix,
                push: config.push,
                cleanup,
                log: say,
              });
            } finally {
              // Closed already when the scenario got that far; its report errors are its own.
              await open.audience.close().catch(() => undefined);
              sse = null;
            }
            if (result.extra.failed === true) say(`${plan.name} FAILED: ${String(result.extra.error)}`);
            break;
          }
          case 'memory': {
            const memory = await residentMemory(api.child.pid);
            const underLoad = apiRssUnderLoad(results);
            const loadNote = underLoad === null ? '' : `; under load max ${underLoad.maxMb} MB (${underLoad.scenario})`;
            result = {
              name: 'memory',
              group: 'memory',
              reqPerSec: null,
              p50Ms: null,
              p99Ms: null,
              errors: null,
              connections: null,
              note: `API VmRSS after the runs ${round(memory.rssMb, 1)} MB (peak ${round(memory.peakRssMb, 1)} MB)${loadNote}`,
              extra: {
                rssMb: round(memory.rssMb, 1),
                peakRssMb: round(memory.peakRssMb, 1),
                rssAfterBootMb: round(bootMemory.rssMb, 1),
                rssUnderLoadMaxMb: underLoad?.maxMb ?? null,
                rssUnderLoadMaxScenario: underLoad?.scenario ?? null,
              },
            };
            break;
          }
        }
      } catch (error) {
        if (interrupted) break;
        const apiGone = api.child.hasExited() ? ' (the API process has exited: see its last output above)' : '';
        const failure = new Error(`${(error as Error).message}${apiGone}`);
        say(`${plan.name} FAILED: ${failure.message}`);
        result = failedResult(plan, failure);
      }
      results.push(result);
      say(summary(result));
    }
    if (interrupted) return 130;

    const measured = withBaselineRatios(results);
    const targets = evaluateTargets(planTargets(settings), measured);
    notes.push(
      'Page 1 is served from the snapshot the worker writes to Redis; the harness writes it before starting the API, as the worker does on boot (a reused database gets no seeder run, which also writes it).',
      `Load: autocannon in the harness process, a process of its own, on the same 2 cores as the server. ${settings.throughputConnections} connections for the throughput scenarios (baseline, page 1, deep pages, 304, /videos?limit=${settings.cursorThroughput.pageLimit}, /health) to saturate the cores; ${settings.latencyConnections} for the latency scenarios (/videos?limit=${settings.listLimit}, search) so p99 shows service time rather than queueing.`,
      `SQL/request: exact, from ${settings.sqlCountRequests} sequential requests (after 20 of warm-up) to a second API process of the same build, database and Redis prefix, whose MySQL connection runs through a counting proxy in the harness (statements, SELECTs and statements containing COUNT(). MariaDB's Com_select is server-wide and other test suites on this machine made it useless.`,
      `Freshness: each video is timed from when the harness first saw it in the simulator's ground truth (publishedAt has 1 s resolution), both polled every ${settings.freshness.pollMs} ms.`,
    );
    notes.push(
      'cpu% in the notes column: percent of one core over the measured window used by the server (srv), the load generator (load), MariaDB (db), Redis (redis) and everything else on the machine (other: the noise figure).',
      'srv/db/redis us/req: CPU time of the server under test, MariaDB and Redis over the measured window divided by the requests answered in it (whichever side limited the rate). MariaDB and Redis are shared with other test suites on this machine: their figures include that work (the baseline row, which uses neither, shows how much).',
      `RSS max: the highest VmRSS of the server under test read every ${settings.rssSampleMs} ms during the measured window (the baseline row: the baseline server's); the memory row has the API's maximum over all its scenarios.`,
      `x base: req/s over the baseline's, for the scenarios at the baseline's concurrency (${settings.throughputConnections} connections).`,
    );
    if (results.some((r) => r.group === 'sse-clients')) {
      const { sse: s } = settings;
      notes.push(
        `SSE clients: ${s.clients.toLocaleString('en-US')} connections to /videos/stream (all videos) on the measured API process, from ${s.processes} client processes of their own (${s.openConcurrency} opening at a time each), all holding their ready event before page 1 is measured beside them (${settings.throughputConnections} connections, as without them, back to back). RSS per 1,000 clients: the API's VmRSS (median of 5 readings) with the clients open and idle, less before opening them, over the clients in thousands.`,
        `SSE delivery: ${s.videos} videos stored one at a time, ${s.storeIntervalMs} ms apart, with the repository's upsertBatch into ${dataSet.database} (videos and outbox rows in one transaction), a feed relay (createFeedRelay, as the worker runs, here in the harness's process) kicked after each store; store -> delivery is from the commit to each client's receipt of the video's event, over every (client, video) pair, on one machine clock. The videos are deleted and the feed counts rebuilt afterwards.`,
      );
    }
    if (dataSet.migrationsApplied.length > 0) notes.push(`Migrations applied to the data set before the run: ${dataSet.migrationsApplied.join(', ')}.`);
    const noisy = measured.filter((r) => typeof r.extra.otherCpuPct === 'number' && r.extra.otherCpuPct >= 25);
    if (noisy.length > 0) {
      const line = `Noisy: other processes used >= 25% of a core during ${noisy.map((r) => `${r.name} (${String(r.extra.otherCpuPct)}%)`).join(', ')}.`;
      notes.push(line);
      say(line);
    }
    const durationS = round((performance.now() - startedAt) / 1000, 1) ?? 0;
    // A partial run (--only) or one without the rate limiter must not replace the results of a whole one.
    const fileName = resultsFileName(options);
    const outputPath = fileName === null ? null : fileURLToPath(new URL(`../${fileName}`, import.meta.url));
    if (outputPath !== null) await writeResults(outputPath, {
      mode: settings.mode,
      date: new Date().toISOString(),
      git,
      machine: {
        ...machine,
        bufferPool: { beforeBytes: pool.beforeBytes, afterBytes: pool.afterBytes, changed: pool.changed, error: pool.error },
      },
      rows: settings.rows,
      database: dataSet.database,
      settings: {
        ...settings,
        seededThisRun: !dataSet.reused,
        seedSeconds: dataSet.seedSeconds === null ? null : round(dataSet.seedSeconds, 1),
        migrationsApplied: dataSet.migrationsApplied,
      },
      scenarios: measured,
      targets,
      notes,
      durationS,
    });

    print('');
    print(scenarioTable(measured));
    print('');
    print(targetTable(targets));
    print('');
    const missed = targets.filter((t) => !t.met).length;
    for (const note of notes) print(`- ${note}`);
    print('');
    const written = outputPath !== null
      ? `results in ${outputPath}`
      : `${[...(options.only.length > 0 ? [`--only ${options.only.join(',')}`] : []), ...(options.rateLimitOff ? ['--rate-limit-off'] : [])].join(' ')}: no results file written`;
    print(`${targets.length - missed}/${targets.length} targets met; ${written} (${durationS} s)`);
    return results.some((r) => r.extra.failed === true) ? 1 : 0;
  } finally {
    const failures = await tearDown();
    for (const failure of failures) say(`cleanup: ${failure}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
