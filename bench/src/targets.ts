// Turns the planned targets into {target, value, limit, met} from the scenarios' figures.
// Pure: a scenario that failed or was skipped leaves its targets with value null, not met.
import { round } from './latency-stats.js';
import type { FigureRef, TargetPlan } from './plan.js';
import { figureOf, type ScenarioResult } from './scenario-result.js';

export interface TargetResult {
  readonly id: string;
  readonly target: string;
  readonly value: number | null;
  readonly limit: number;
  readonly comparison: TargetPlan['comparison'];
  readonly unit: string;
  readonly met: boolean;
  /** The figures the value came from, e.g. "6,512 / 7,020 req/s". */
  readonly detail: string;
}

function lookup(results: readonly ScenarioResult[], figure: FigureRef): number | null {
  const result = results.find((r) => r.name === figure.scenario);
  return result === undefined ? null : figureOf(result, figure.field);
}

const show = (n: number | null) => (n === null ? 'n/a' : n.toLocaleString('en-US', { maximumFractionDigits: 2 }));

function compare(value: number, comparison: TargetPlan['comparison'], limit: number): boolean {
  switch (comparison) {
    case '>=':
      return value >= limit;
    case '<=':
      return value <= limit;
    case '<':
      return value < limit;
    case '==':
      return value === limit;
  }
}

export function evaluateTargets(plans: readonly TargetPlan[], results: readonly ScenarioResult[]): TargetResult[] {
  return plans.map((plan) => {
    let value: number | null;
    let detail: string;
    switch (plan.value.kind) {
      case 'ratio': {
        const of = lookup(results, plan.value.of);
        const over = lookup(results, plan.value.over);
        value = of === null || over === null || over === 0 ? null : of / over;
        detail = `${show(of)} / ${show(over)} (${plan.value.of.field})`;
        break;
      }
      case 'figure': {
        value = lookup(results, plan.value.of);
        detail = `${plan.value.of.scenario}: ${plan.value.of.field}`;
        break;
      }
      case 'max': {
        const values = plan.value.of.map((figure) => lookup(results, figure));
        value = values.some((v) => v === null) ? null : Math.max(...(values as number[]));
        detail = `max of ${values.map(show).join(', ')}`;
        break;
      }
    }
    if (plan.alsoShow !== undefined && plan.alsoShow.length > 0) {
      // "serverCpuUsPerRequest 80.8 vs 46.7", in the order the figures are listed.
      detail += `; ${plan.alsoShow[0]!.field} ${plan.alsoShow.map((figure) => show(lookup(results, figure))).join(' vs ')}`;
    }
    // Two decimals is the precision every figure here is meaningful to.
    const rounded = round(value, plan.unit === 'ms' || plan.unit === 'MB' ? 1 : 2);
    return {
      id: plan.id,
      target: plan.target,
      value: rounded,
      limit: plan.limit,
      comparison: plan.comparison,
      unit: plan.unit,
      met: rounded !== null && compare(rounded, plan.comparison, plan.limit),
      detail,
    };
  });
}
