// The stand-alone simulator's environment: the bucket sizes, the lag model, the search
// behaviour and the share of videos removed, and the retired single quota refused by name.
import { describe, expect, it } from 'vitest';
import { parseSimulatorEnv } from './cli-env.js';
import { createYoutubeSimulator } from './index.js';

describe('simulator environment', () => {
  it('reads bucket sizes, the lag tiers and the search behaviour', () => {
    const config = parseSimulatorEnv({
      SIM_SEARCH_CALLS_PER_DAY: '10000',
      SIM_UNITS_PER_DAY: '1000000',
      SIM_INDEX_LAG: '0.9:60000,0.1:600000',
      SIM_SHORT_PAGE_SHARE: '0',
      SIM_WINDOW_LEAK_SHARE: '.1',
      SIM_FADE_SHARE: '1',
      SIM_FADE_AFTER_MS: '86400000',
      SIM_REMOVAL_SHARE: '0.05',
    });
    expect(config).toEqual({
      host: '127.0.0.1',
      port: 8765,
      options: {
        searchCallsPerDay: 10_000,
        unitsPerDay: 1_000_000,
        indexLag: [
          { share: 0.9, maxMs: 60_000 },
          { share: 0.1, maxMs: 600_000 },
        ],
        shortPageShare: 0,
        windowLeakShare: 0.1,
        fadeShare: 1,
        fadeAfterMs: 86_400_000,
        removalShare: 0.05,
      },
    });
    if ('problems' in config) return;
    expect(createYoutubeSimulator(config.options).quota()[0]).toMatchObject({ search: { limit: 10_000 }, units: { limit: 1_000_000 } });
    expect(parseSimulatorEnv({ SIM_MAX_INDEX_DELAY_MS: '0' })).toMatchObject({ options: { maxIndexDelayMs: 0 } });
  });

  it('refuses the retired SIM_DAILY_QUOTA and bad values, naming each variable', () => {
    const config = parseSimulatorEnv({
      SIM_DAILY_QUOTA: '10000',
      SIM_UNITS_PER_DAY: 'lots',
      SIM_INDEX_LAG: '0.5:1000',
      SIM_MAX_INDEX_DELAY_MS: '1000',
      SIM_SHORT_PAGE_SHARE: '1.5',
      SIM_REMOVAL_SHARE: 'some',
    });
    expect('problems' in config).toBe(true);
    const problems = 'problems' in config ? config.problems : [];
    expect(problems.map((problem) => problem.split(':')[0])).toEqual([
      'SIM_DAILY_QUOTA',
      'SIM_UNITS_PER_DAY',
      'SIM_INDEX_LAG',
      'SIM_SHORT_PAGE_SHARE',
      'SIM_REMOVAL_SHARE',
    ]);
    expect(problems[0]).toContain('SIM_SEARCH_CALLS_PER_DAY');
    expect(parseSimulatorEnv({ SIM_INDEX_LAG: '1:1000', SIM_MAX_INDEX_DELAY_MS: '1000' })).toEqual({
      problems: ['SIM_MAX_INDEX_DELAY_MS: give it or SIM_INDEX_LAG, not both'],
    });
  });
});
