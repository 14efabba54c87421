import { describe, expect, it } from 'vitest';
import { computeEnrichBudget, type EnrichBudgetSettings } from './enrich-budget.js';

const settings: EnrichBudgetSettings = { perRunUnits: 20, perDayUnits: 5000, reserveUnits: 500, intervalMs: 60_000 };
const project = (remaining: number, usable = true) => ({
  usable,
  buckets: {
    search: { used: 0, limit: 100, remaining: 100, exhaustedUntil: null },
    units: { used: 10_000 - remaining, limit: 10_000, remaining, exhaustedUntil: null },
  },
});
// 2024-06-01 is in PDT: 00:00 PT is 07:00Z. At 21:00Z, 10 hours (600 one-minute runs) are left.
const now = new Date('2024-06-01T21:00:00Z');

describe('enrichment budget', () => {
  it('spreads what is left today evenly over the runs left until Pacific midnight', () => {
    const budget = computeEnrichBudget({ now, projects: [project(10_000)], spentToday: 2000, settings });
    // The day cap binds: 5000 - 2000 = 3000 units over 600 runs.
    expect(budget).toMatchObject({ units: 5, unitsLeftToday: 3000, runsLeft: 600, limit: 'paced', resetAt: new Date('2024-06-02T07:00:00Z') });
  });

  it('keeps the reserve in every project, and counts only usable projects', () => {
    const budget = computeEnrichBudget({ now, projects: [project(800), project(300), project(9000, false)], spentToday: 0, settings: { ...settings, perDayUnits: 0 } });
    expect(budget.unitsLeftToday).toBe(300);
    expect(budget.units).toBe(1);
    const spent = computeEnrichBudget({ now, projects: [project(500), project(120)], spentToday: 0, settings });
    expect(spent).toMatchObject({ units: 0, limit: 'reserve-reached' });
    expect(spent.summary).toContain('reserve of 500');
  });

  it('no more than the per-run cap, nothing past the day cap, nothing without a usable key', () => {
    expect(computeEnrichBudget({ now: new Date('2024-06-02T06:58:00Z'), projects: [project(10_000)], spentToday: 0, settings })).toMatchObject({ units: 20, limit: 'run-cap', runsLeft: 2 });
    expect(computeEnrichBudget({ now, projects: [project(10_000)], spentToday: 5000, settings })).toMatchObject({ units: 0, limit: 'day-cap-reached' });
    expect(computeEnrichBudget({ now, projects: [], spentToday: 0, settings })).toMatchObject({ units: 0, limit: 'no-usable-key' });
  });
});
