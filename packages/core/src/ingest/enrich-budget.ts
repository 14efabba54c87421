// How many units an enrichment run may spend: what is left today of the units bucket (every
// usable project, each above its reserve) and of the enrichment's own daily cap, spread evenly
// over the runs left until the next Pacific midnight (as pacing.ts spreads searches), at most
// the per-run cap. The reserve stays in every project for what must not wait: checking a key an
// operator adds (POST /admin/keys, 1 unit) and other units readers such as channel polling.
// Recomputed at every run, so a run that found little to do leaves more to the next.
import { nextPacificMidnight } from '../platform/time/pacific-time.js';
import type { ProjectStatus } from './youtube/key-pool.js';

export interface EnrichBudgetSettings {
  /** At most this many units a run (ENRICH_UNITS_PER_RUN). */
  readonly perRunUnits: number;
  /** At most this many units a Pacific day for enrichment (ENRICH_UNITS_PER_DAY); 0: no cap but the reserve. */
  readonly perDayUnits: number;
  /** Units left untouched in every project (ENRICH_UNITS_RESERVE). */
  readonly reserveUnits: number;
  /** How often a run starts (ENRICH_INTERVAL_MS). */
  readonly intervalMs: number;
}

export interface EnrichBudgetInput {
  readonly now: Date;
  /** Each project once, whatever its number of keys. */
  readonly projects: ReadonlyArray<Pick<ProjectStatus, 'usable' | 'buckets'>>;
  /** Units enrichment spent so far this Pacific day. */
  readonly spentToday: number;
  readonly settings: EnrichBudgetSettings;
}

export type EnrichBudgetLimit = 'no-usable-key' | 'reserve-reached' | 'day-cap-reached' | 'paced' | 'run-cap';

export interface EnrichBudget {
  /** Units this run may spend. */
  readonly units: number;
  /** What enrichment may still spend today (above the reserves, within the day cap). */
  readonly unitsLeftToday: number;
  /** Runs left before the reset at the current interval (this one included). */
  readonly runsLeft: number;
  readonly resetAt: Date;
  /** What sets `units`. */
  readonly limit: EnrichBudgetLimit;
  /** One line for the log. */
  readonly summary: string;
}

export function computeEnrichBudget({ now, projects, spentToday, settings }: EnrichBudgetInput): EnrichBudget {
  const resetAt = nextPacificMidnight(now);
  const msLeft = Math.max(0, resetAt.getTime() - now.getTime());
  const usable = projects.filter((p) => p.usable);
  const aboveReserve = usable.reduce((sum, p) => sum + Math.max(0, p.buckets.units.remaining - settings.reserveUnits), 0);
  const dayLeft = settings.perDayUnits > 0 ? Math.max(0, settings.perDayUnits - spentToday) : Number.POSITIVE_INFINITY;
  const unitsLeftToday = Math.min(aboveReserve, dayLeft);
  const runsLeft = Math.max(1, Math.floor(msLeft / settings.intervalMs));
  const paced = Math.ceil(unitsLeftToday / runsLeft);
  const units = Math.min(settings.perRunUnits, paced);
  const limit: EnrichBudgetLimit =
    usable.length === 0
      ? 'no-usable-key'
      : unitsLeftToday === 0
        ? aboveReserve === 0
          ? 'reserve-reached'
          : 'day-cap-reached'
        : units === settings.perRunUnits
          ? 'run-cap'
          : 'paced';
  const summary =
    limit === 'no-usable-key'
      ? 'no usable YouTube key: nothing to enrich with'
      : limit === 'reserve-reached'
        ? `units bucket spent down to the reserve of ${settings.reserveUnits} in every project until 00:00 PT (${resetAt.toISOString()})`
        : limit === 'day-cap-reached'
          ? `enrichment spent its ${settings.perDayUnits} units for today; next after 00:00 PT (${resetAt.toISOString()})`
          : `${units} units this run (${unitsLeftToday} left today over ${runsLeft} runs until 00:00 PT)`;
  return { units, unitsLeftToday, runsLeft, resetAt, limit, summary };
}
