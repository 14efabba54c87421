// The stand-alone simulator's settings, from an environment given to it (main.ts passes
// process.env): every variable checked, every problem reported at once with its name.
import { parseIndexLagText, type IndexLagTier } from './index-lag.js';
import type { YoutubeSimulatorOptions } from './index.js';

export type Env = Readonly<Record<string, string | undefined>>;

function value(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

function readInt(env: Env, name: string, min: number, max: number, problems: string[]): number | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  const parsed = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(parsed >= min && parsed <= max)) {
    problems.push(`${name}: must be a whole number from ${min} to ${max} (got "${raw.slice(0, 40)}")`);
    return undefined;
  }
  return parsed;
}

function readShare(env: Env, name: string, problems: string[]): number | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  const parsed = /^(0|1|0?\.\d+|1\.0*)$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(parsed >= 0 && parsed <= 1)) {
    problems.push(`${name}: must be a number from 0 to 1 (got "${raw.slice(0, 40)}")`);
    return undefined;
  }
  return parsed;
}

function readIndexLag(env: Env, problems: string[]): IndexLagTier[] | undefined {
  const raw = value(env, 'SIM_INDEX_LAG');
  if (raw === undefined) return undefined;
  try {
    return parseIndexLagText(raw);
  } catch (error) {
    problems.push(`SIM_INDEX_LAG: ${error instanceof Error ? error.message : String(error)} (write tiers as share:maxMs,share:maxMs,…)`);
    return undefined;
  }
}

function list(env: Env, name: string): string[] | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

export interface CliConfig {
  host: string;
  port: number;
  options: YoutubeSimulatorOptions;
}

export function parseSimulatorEnv(env: Env): CliConfig | { problems: string[] } {
  const problems: string[] = [];
  const port = readInt(env, 'SIM_PORT', 0, 65535, problems) ?? 8765;
  const seed = readInt(env, 'SIM_SEED', 0, 2 ** 32 - 1, problems);
  // One pool of units for everything is no longer Google's model: refuse the old variable
  // rather than guess how it was meant to split.
  if (value(env, 'SIM_DAILY_QUOTA') !== undefined) {
    problems.push('SIM_DAILY_QUOTA: replaced by SIM_SEARCH_CALLS_PER_DAY (search.list calls) and SIM_UNITS_PER_DAY (every other method)');
  }
  const searchCallsPerDay = readInt(env, 'SIM_SEARCH_CALLS_PER_DAY', 0, 1_000_000_000, problems);
  const unitsPerDay = readInt(env, 'SIM_UNITS_PER_DAY', 0, 1_000_000_000, problems);
  const insertCallsPerDay = readInt(env, 'SIM_INSERT_CALLS_PER_DAY', 0, 1_000_000_000, problems);
  const publishIntervalMs = readInt(env, 'SIM_PUBLISH_INTERVAL_MS', 1, 86_400_000, problems);
  const maxIndexDelayMs = readInt(env, 'SIM_MAX_INDEX_DELAY_MS', 0, 86_400_000, problems);
  const indexLag = readIndexLag(env, problems);
  if (maxIndexDelayMs !== undefined && indexLag !== undefined) problems.push('SIM_MAX_INDEX_DELAY_MS: give it or SIM_INDEX_LAG, not both');
  const shortPageShare = readShare(env, 'SIM_SHORT_PAGE_SHARE', problems);
  const windowLeakShare = readShare(env, 'SIM_WINDOW_LEAK_SHARE', problems);
  const fadeShare = readShare(env, 'SIM_FADE_SHARE', problems);
  const fadeAfterMs = readInt(env, 'SIM_FADE_AFTER_MS', 0, 365 * 86_400_000, problems);
  const removalShare = readShare(env, 'SIM_REMOVAL_SHARE', problems);
  const keys = list(env, 'SIM_KEYS');
  const queries = list(env, 'SIM_QUERIES');
  if (keys?.some((key) => /\s/.test(key))) problems.push('SIM_KEYS: keys must not contain spaces');
  if (problems.length > 0) return { problems };
  return {
    host: value(env, 'SIM_HOST') ?? '127.0.0.1',
    port,
    options: {
      ...(seed === undefined ? {} : { seed }),
      ...(searchCallsPerDay === undefined ? {} : { searchCallsPerDay }),
      ...(unitsPerDay === undefined ? {} : { unitsPerDay }),
      ...(insertCallsPerDay === undefined ? {} : { insertCallsPerDay }),
      ...(publishIntervalMs === undefined ? {} : { publishIntervalMs }),
      ...(maxIndexDelayMs === undefined ? {} : { maxIndexDelayMs }),
      ...(indexLag === undefined ? {} : { indexLag }),
      ...(shortPageShare === undefined ? {} : { shortPageShare }),
      ...(windowLeakShare === undefined ? {} : { windowLeakShare }),
      ...(fadeShare === undefined ? {} : { fadeShare }),
      ...(fadeAfterMs === undefined ? {} : { fadeAfterMs }),
      ...(removalShare === undefined ? {} : { removalShare }),
      ...(keys === undefined ? {} : { keys }),
      ...(queries === undefined ? {} : { queries: queries.map((q) => ({ q })) }),
    },
  };
}
