import { describe, expect, it } from 'vitest';
import { STRETCH_MAX_STORED, headPageBudget, headWindowStart, stretchCandidates, stretchedStart } from './fetch-plan.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const at = (iso: string) => new Date(iso);
const START = Date.parse('2024-05-14T12:00:00.700Z');
const settings = { overlapMs: 10 * MIN, lookbackMs: HOUR };

describe('headWindowStart', () => {
  it('a new query looks back; an established one starts the overlap below its head mark; whole seconds', () => {
    expect(headWindowStart(null, START, settings)).toEqual(at('2024-05-14T11:00:00Z'));
    expect(headWindowStart(at('2024-05-14T11:55:30.900Z'), START, settings)).toEqual(at('2024-05-14T11:45:30Z'));
  });
});

describe('the stretched head', () => {
  const marks = new Map([
    [10 * MIN, at('2024-05-14T11:45:00Z')],
    [HOUR, at('2024-05-14T10:30:00Z')],
    [13 * HOUR, at('2024-05-13T22:00:00Z')],
  ]);
  const after = at('2024-05-14T11:45:00Z');

  it('candidates: marks below the window whose stretch is not done, oldest first', () => {
    expect(stretchCandidates(marks, after, START)).toEqual([at('2024-05-13T22:00:00Z'), at('2024-05-14T10:30:00Z')]);
    // 13 h after its mark has not passed yet: that stretch is done for now.
    expect(stretchCandidates(new Map([[13 * HOUR, at('2024-05-13T23:30:00Z')]]), after, START)).toEqual([]);
  });

  it('goes down to the deepest candidate whose stored videos fit the one page, else stays', () => {
    const candidates = [at('2024-05-13T22:00:00Z'), at('2024-05-14T10:30:00Z')];
    // Publish times of the newest stored videos, newest first, one every 3 min from 11:59.
    const times = (n: number, from: string) => Array.from({ length: n }, (_, i) => new Date(Date.parse(from) - i * 3 * MIN));
    expect(stretchedStart(candidates, times(STRETCH_MAX_STORED, '2024-05-14T11:59:00Z'), after)).toEqual(candidates[0]);
    // The 36th newest (10:14) lies above the deep mark but below the shallow one: only the shallow stretch fits.
    expect(stretchedStart(candidates, times(STRETCH_MAX_STORED + 1, '2024-05-14T11:59:00Z'), after)).toEqual(candidates[1]);
    expect(stretchedStart(candidates, times(STRETCH_MAX_STORED + 1, '2024-05-14T11:59:00Z').map((t) => new Date(t.getTime() + HOUR)), after)).toBe(after);
    // A 36th video published at the deep mark itself is inside that window: it does not fit.
    expect(stretchedStart(candidates, [...times(STRETCH_MAX_STORED, '2024-05-14T11:59:00Z'), candidates[0]!], after)).toEqual(candidates[1]);
  });
});

describe('headPageBudget', () => {
  it('leaves a page to pending ranges when there are any', () => {
    expect(headPageBudget(5, 0)).toBe(5);
    expect(headPageBudget(5, 2)).toBe(4);
    expect(headPageBudget(1, 1)).toBe(1);
  });
});
