// The soak's output: a table per window, a summary of the whole soak, and its results file
// (bench/results.soak.json; bench/results.soak.quick.json for --quick).
import { writeFile } from 'node:fs/promises';
import { num, table, type RunRecord } from './report.js';
import type { ScenarioResult } from './scenario-result.js';
import type { GaugeRange } from './latency-windows.js';
import type { SoakWindow } from './soak-scenario.js';

export interface SoakResults extends RunRecord {
  readonly mode: 'soak';
  /** Which data set: the full one (1,000,000 rows) or --quick's. */
  readonly dataSet: 'full' | 'quick';
  readonly soak: ScenarioResult;
  readonly windows: readonly SoakWindow[];
}

const rangeCell = (range: GaugeRange) => `${num(range.min, 1)}-${num(range.max, 1)}`;

const cpuCell = (cpu: SoakWindow['cpu']) =>
  `${String(cpu.apiCpuPct)} / ${String(cpu.workerCpuPct)} / ${String(cpu.loadGeneratorCpuPct)} / ${String(cpu.mysqlCpuPct)} / ${String(cpu.otherCpuPct)}`;

export function soakWindowTable(windows: readonly SoakWindow[]): string {
  return table(
    ['window s', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'API RSS MB low-high', 'API heap MB', 'worker RSS MB low-high', 'fetch runs', 'videos stored', 'cpu% api / worker / load / db / other'],
    windows.map((w) => [
      `${w.startS}-${w.endS}`,
      num(w.reqPerSec),
      num(w.p50Ms, 2),
      num(w.p99Ms, 2),
      num(w.maxMs, 1),
      num(w.errors),
      rangeCell(w.apiRssRange),
      num(w.apiHeapUsedMb, 1),
      rangeCell(w.workerRssRange),
      num(w.fetchRuns),
      num(w.videosStored),
      cpuCell(w.cpu),
    ]),
    [false, true, true, true, true, true, true, true, true, true, true, false],
  );
}

export function soakSummaryTable(result: ScenarioResult): string {
  const x = result.extra;
  const n = (key: string, digits = 0) => {
    const value = x[key];
    return typeof value === 'number' ? num(value, digits) : '-';
  };
  const rows: Array<[string, string]> = [
    ['load', `${String(x.path)}, ${n('connections')} connections, ${n('warmupS')} s warm-up + ${n('soakS', 1)} s measured`],
    ['requests', `${n('requests')} measured (${num(result.reqPerSec)} req/s); ${n('warmUpRequests')} in the warm-up`],
    ['errors', `${num(result.errors)} (load ${n('loadErrors')}, warm-up ${n('warmUpErrors')}, after the last window ${n('afterEndErrors')}, page-1 polls ${n('pageOnePollErrors')}); statuses ${String(x.statusCounts)}`],
    ['latency, whole soak', `p50 ${num(result.p50Ms, 2)} ms, p99 ${num(result.p99Ms, 2)} ms`],
    ['p99 per window', `first ${n('firstWindowP99Ms', 2)} ms, last ${n('lastWindowP99Ms', 2)} ms (x${n('p99LastOverFirst', 2)}); min ${n('minWindowP99Ms', 2)}, max ${n('maxWindowP99Ms', 2)}`],
    ['API RSS', `start ${n('apiRssStartMb', 1)} MB, end ${n('apiRssEndMb', 1)} MB; halves: lowest ${n('apiRssLowFirstHalfMb', 1)} -> ${n('apiRssLowSecondHalfMb', 1)}, highest ${n('apiRssHighFirstHalfMb', 1)} -> ${n('apiRssHighSecondHalfMb', 1)} (growth ${n('apiRssGrowthMb', 1)}); peak ${n('apiPeakRssMb', 1)}`],
    ['API V8 heap used', `start ${n('apiHeapUsedStartMb', 1)} MB, end ${n('apiHeapUsedEndMb', 1)} MB`],
    ['worker RSS', `start ${n('workerRssStartMb', 1)} MB, end ${n('workerRssEndMb', 1)} MB; halves: lowest ${n('workerRssLowFirstHalfMb', 1)} -> ${n('workerRssLowSecondHalfMb', 1)}, highest ${n('workerRssHighFirstHalfMb', 1)} -> ${n('workerRssHighSecondHalfMb', 1)} (growth ${n('workerRssGrowthMb', 1)})`],
    ['worker', `${n('fetchRuns')} fetch runs (${n('fetchRunsPerS', 2)}/s; ${String(x.fetchOutcomes)}), ${n('videosStored')} videos stored, ${n('videosPublished')} published`],
    ['freshness under load', `publish -> page 1: p50 ${n('freshnessP50Ms')} ms, p99 ${n('freshnessP99Ms')} ms, max ${n('freshnessMaxMs')} ms over ${n('freshnessVideos')} videos (${n('freshnessNotVisibleByEnd')} not visible by the end)`],
    ['cpu%, whole soak', `api ${n('apiCpuPct')}, worker ${n('workerCpuPct')}, load ${n('loadGeneratorCpuPct')}, db ${n('mysqlCpuPct')}, redis ${n('redisCpuPct')}, other ${n('otherCpuPct')}; harness event-loop delay p99 ${n('harnessLoopDelayP99Ms', 1)} ms`],
  ];
  return table(['soak', 'figures'], rows, [false, false]);
}

export async function writeSoakResults(path: string, results: SoakResults): Promise<void> {
  const { extra, ...standard } = results.soak;
  const document = { ...results, soak: { ...standard, ...extra } };
  await writeFile(path, `${JSON.stringify(document, null, 2)}\n`);
}
