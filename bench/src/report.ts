// The output: the scenario table and the targets table on stdout, and the results file
// (bench/results.json for the default full run, results.<N>.json for another count,
// results.quick.json for --quick: plan.ts's resultsFileName).
import { writeFile } from 'node:fs/promises';
import { round } from './latency-stats.js';
import { figureOf, type ScenarioResult } from './scenario-result.js';
import type { TargetResult } from './targets.js';

/** What every results file (the benchmark's and the soak's) records about its run. */
export interface RunRecord {
  readonly date: string;
  readonly git: { readonly commit: string | null; readonly dirty: boolean | null };
  readonly machine: Readonly<Record<string, unknown>>;
  readonly rows: number;
  readonly database: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly targets: readonly TargetResult[];
  readonly notes: readonly string[];
  readonly durationS: number;
}

export interface BenchResults extends RunRecord {
  readonly mode: 'full' | 'quick';
  readonly scenarios: readonly ScenarioResult[];
}

export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, alignRight: readonly boolean[]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => (alignRight[i] === true ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (alignRight[i] === true ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export const num = (value: number | null, digits = 0) =>
  value === null ? '-' : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/**
 * Each throughput scenario's rate over the baseline's (extra `reqPerSecVsBaseline`): only where
 * the load was the baseline's (same concurrency), since a rate at 4 connections is a latency.
 */
export function withBaselineRatios(results: readonly ScenarioResult[]): ScenarioResult[] {
  const baseline = results.find((r) => r.group === 'baseline');
  const ceiling = baseline?.reqPerSec ?? null;
  return results.map((r) => {
    if (ceiling === null || ceiling === 0 || r.reqPerSec === null || r.connections === null || r.connections !== baseline?.connections) return r;
    return { ...r, extra: { ...r.extra, reqPerSecVsBaseline: round(r.reqPerSec / ceiling, 3) } };
  });
}

/** The API's highest resident memory over the HTTP scenarios run so far, and where it was read. */
export function apiRssUnderLoad(results: readonly ScenarioResult[]): { maxMb: number; scenario: string } | null {
  let highest: { maxMb: number; scenario: string } | null = null;
  for (const r of results) {
    const rss = figureOf(r, 'rssMaxMb');
    // The baseline row's memory is the baseline server's, not the API's.
    if (r.group === 'baseline' || rss === null) continue;
    if (highest === null || rss > highest.maxMb) highest = { maxMb: rss, scenario: r.name };
  }
  return highest;
}

const extraNum = (r: ScenarioResult, field: string, digits: number) => num(figureOf(r, field), digits);

export function scenarioTable(results: readonly ScenarioResult[]): string {
  return table(
    ['scenario', 'conc.', 'req/s', 'x base', 'p50 ms', 'p99 ms', 'errors', 'srv us/req', 'db us/req', 'RSS max MB', 'notes'],
    results.map((r) => [
      r.name,
      num(r.connections),
      num(r.reqPerSec, r.group === 'ingest' ? 1 : 0),
      extraNum(r, 'reqPerSecVsBaseline', 2),
      num(r.p50Ms, r.group === 'freshness' ? 0 : 2),
      num(r.p99Ms, r.group === 'freshness' ? 0 : 2),
      num(r.errors),
      extraNum(r, 'serverCpuUsPerRequest', 0),
      extraNum(r, 'mysqlCpuUsPerRequest', 0),
      extraNum(r, 'rssMaxMb', 0),
      r.note,
    ]),
    [false, true, true, true, true, true, true, true, true, true, false],
  );
}

export function targetTable(targets: readonly TargetResult[]): string {
  return table(
    ['target', 'value', 'limit', 'met', 'from'],
    targets.map((t) => [t.target, t.value === null ? 'n/a' : `${num(t.value, t.unit === 'ms' || t.unit === 'MB' ? 1 : 2)} ${t.unit}`, `${t.comparison} ${num(t.limit, t.limit % 1 === 0 ? 0 : 2)}`, t.met ? 'yes' : 'NO', t.detail]),
    [false, true, true, false, false],
  );
}

/** results.json: every scenario as {name, reqPerSec, p50Ms, p99Ms, errors, ...extra}. */
export function resultsDocument(results: BenchResults): unknown {
  return {
    ...results,
    scenarios: results.scenarios.map(({ extra, ...standard }) => ({ ...standard, ...extra })),
    targets: results.targets.map(({ target, value, limit, met, ...rest }) => ({ target, value, limit, met, ...rest })),
  };
}

export async function writeResults(path: string, results: BenchResults): Promise<void> {
  await writeFile(path, `${JSON.stringify(resultsDocument(results), null, 2)}\n`);
}

export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}
