// What every scenario reports. The four standard figures are null where they do not apply
// (ingest has no latency, memory no rate); anything else a scenario measured goes in `extra`,
// which results.json spreads next to the standard fields.
import type { ScenarioGroup, ScenarioPlan } from './plan.js';

export type ExtraValue = number | string | boolean | null;

export interface ScenarioResult {
  readonly name: string;
  /** 'soak': the soak mode's one result (issue 7), not a scenario group of the benchmark. */
  readonly group: ScenarioGroup | 'soak';
  /** Requests per second (ingest: videos stored per second). */
  readonly reqPerSec: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly errors: number | null;
  /** Load concurrency (HTTP scenarios). */
  readonly connections: number | null;
  /** One short line for the table: what the row means when it is not plain HTTP load. */
  readonly note: string;
  readonly extra: Readonly<Record<string, ExtraValue>>;
}

/** A standard field or an extra of a result; null when absent or not a number. */
export function figureOf(result: ScenarioResult, field: string): number | null {
  const standard: Record<string, number | null> = {
    reqPerSec: result.reqPerSec,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    errors: result.errors,
  };
  const value = field in standard ? standard[field] : result.extra[field];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The row of a scenario that has no figures (it failed, or this build lacks its route): why, and what to record. */
export function resultWithoutFigures(plan: ScenarioPlan, note: string, extra: Readonly<Record<string, ExtraValue>>): ScenarioResult {
  return {
    name: plan.name,
    group: plan.group,
    reqPerSec: null,
    p50Ms: null,
    p99Ms: null,
    errors: null,
    connections: plan.kind === 'http' ? plan.connections : null,
    note,
    extra,
  };
}
