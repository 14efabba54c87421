import { describe, expect, it } from 'vitest';
import { advanceHeadMark, advanceSweepMarks, advanceWatermarks, normaliseRanges, sweepStretches, type SweepStretch } from './watermarks.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const at = (iso: string) => new Date(iso);
const START = Date.parse('2024-05-14T12:00:00.400Z');
const SWEEPS = { overlapOnly: false, overlapMs: 10 * MIN };

describe('advanceHeadMark', () => {
  it('moves to the newest video the head saw, never back, never above the run start', () => {
    const old = at('2024-05-14T11:00:00Z');
    expect(advanceHeadMark(old, at('2024-05-14T11:30:00Z'), START)).toEqual(at('2024-05-14T11:30:00Z'));
    expect(advanceHeadMark(old, at('2024-05-14T10:00:00Z'), START)).toBe(old);
    expect(advanceHeadMark(old, null, START)).toBe(old);
    expect(advanceHeadMark(null, at('2024-05-14T13:00:00Z'), START)).toEqual(new Date(START));
    expect(advanceHeadMark(null, null, START)).toBeNull();
  });
});

describe('sweepStretches', () => {
  const marks = new Map([
    [10 * MIN, at('2024-05-14T11:50:00Z')],
    [HOUR, at('2024-05-14T10:00:00Z')],
    [13 * HOUR, at('2024-05-13T20:00:00Z')],
  ]);

  it('deepest first, whole-second targets, a mark already at its target left out', () => {
    const stretches = sweepStretches(marks, null, START);
    expect(stretches.map((s) => s.delay)).toEqual([13 * HOUR, HOUR]);
    expect(stretches[0]).toEqual({ delay: 13 * HOUR, target: at('2024-05-13T23:00:00Z'), seen: false, mark: at('2024-05-13T20:00:00Z'), upper: at('2024-05-13T23:00:00Z') });
  });

  it('a stretch whose mark the head reached is seen; one it did not is open up to where the head saw everything', () => {
    const stretches = sweepStretches(marks, at('2024-05-14T09:00:00Z'), START);
    expect(stretches).toEqual([
      { delay: 13 * HOUR, target: at('2024-05-13T23:00:00Z'), seen: false, mark: at('2024-05-13T20:00:00Z'), upper: at('2024-05-13T23:00:00Z') },
      { delay: HOUR, target: at('2024-05-14T11:00:00Z'), seen: true },
    ]);
    const partly = sweepStretches(marks, at('2024-05-13T21:00:00Z'), START);
    expect(partly[0]).toMatchObject({ seen: false, upper: at('2024-05-13T21:00:00Z') });
  });
});

describe('advanceSweepMarks', () => {
  const open = (delay: number, mark: string, upper: string, target = upper): SweepStretch => ({ delay, target: at(target), seen: false, mark: at(mark), upper: at(upper) });
  const marks = new Map([
    [HOUR, at('2024-05-14T10:40:00Z')],
    [13 * HOUR, at('2024-05-13T22:00:00Z')],
  ]);

  it('moves a seen mark for free and queues a ripe open stretch (as wide as its delay)', () => {
    const stretches = [open(13 * HOUR, '2024-05-13T22:00:00Z', '2024-05-13T23:00:00Z'), { delay: HOUR, target: at('2024-05-14T11:00:00Z'), seen: true } as const];
    const next = advanceSweepMarks(marks, stretches, new Map([[13 * HOUR, 3]]), Number.POSITIVE_INFINITY, SWEEPS);
    expect(next.ranges).toEqual([]); // 1 h wide, 3 stored: not ripe for a 13 h delay
    expect(next.marks.get(13 * HOUR)).toEqual(at('2024-05-13T22:00:00Z'));
    expect(next.marks.get(HOUR)).toEqual(at('2024-05-14T11:00:00Z'));

    const wide = advanceSweepMarks(marks, [open(HOUR, '2024-05-14T10:00:00Z', '2024-05-14T11:00:00Z')], new Map([[HOUR, 3]]), Number.POSITIVE_INFINITY, SWEEPS);
    expect(wide.ranges).toEqual([{ after: at('2024-05-14T10:00:00Z'), before: at('2024-05-14T11:00:00Z') }]);
    expect(wide.marks.get(HOUR)).toEqual(at('2024-05-14T11:00:00Z'));
  });

  it('a narrow stretch holding a page of stored videos is ripe', () => {
    const next = advanceSweepMarks(marks, [open(HOUR, '2024-05-14T10:40:00Z', '2024-05-14T11:00:00Z')], new Map([[HOUR, 45]]), Number.POSITIVE_INFINITY, SWEEPS);
    expect(next.ranges).toHaveLength(1);
    expect(advanceSweepMarks(marks, [open(HOUR, '2024-05-14T10:40:00Z', '2024-05-14T11:00:00Z')], new Map([[HOUR, 44]]), Number.POSITIVE_INFINITY, SWEEPS).ranges).toEqual([]);
  });

  it('within a binding budget the deepest delay is served first; a ripe one over budget is skipped, an unripe one waits', () => {
    const stretches = [open(13 * HOUR, '2024-05-13T10:00:00Z', '2024-05-13T23:00:00Z'), open(HOUR, '2024-05-14T10:00:00Z', '2024-05-14T11:00:00Z')];
    // 13 h: max(0, 1/13) ≈ 0.077 searches/h; 1 h: 1 search/h. A budget of 0.5 pays for the deep one only.
    const next = advanceSweepMarks(marks, stretches, new Map([[13 * HOUR, 0], [HOUR, 0]]), 0.5, SWEEPS);
    expect(next.ranges).toEqual([{ after: at('2024-05-13T10:00:00Z'), before: at('2024-05-13T23:00:00Z') }]);
    expect(next.marks.get(HOUR)).toEqual(at('2024-05-14T11:00:00Z')); // ripe, skipped: its mark moves without a look

    const unripe = advanceSweepMarks(marks, [open(HOUR, '2024-05-14T10:40:00Z', '2024-05-14T11:00:00Z')], new Map([[HOUR, 0]]), 0.5, SWEEPS);
    expect(unripe.marks.get(HOUR)).toEqual(at('2024-05-14T10:40:00Z'));
  });

  it('overlap only: a second look while the quota has slack, none (mark moved) without', () => {
    const overlap = { overlapOnly: true, overlapMs: 10 * MIN };
    const stretch = open(10 * MIN, '2024-05-14T11:30:00Z', '2024-05-14T11:50:00Z');
    const slack = advanceSweepMarks(new Map([[10 * MIN, at('2024-05-14T11:30:00Z')]]), [stretch], new Map(), Number.POSITIVE_INFINITY, overlap);
    expect(slack.ranges).toEqual([{ after: at('2024-05-14T11:30:00Z'), before: at('2024-05-14T11:50:00Z') }]);
    const none = advanceSweepMarks(new Map([[10 * MIN, at('2024-05-14T11:30:00Z')]]), [stretch], new Map(), 0, overlap);
    expect(none.ranges).toEqual([]);
    expect(none.marks.get(10 * MIN)).toEqual(at('2024-05-14T11:50:00Z'));
  });
});

describe('advanceWatermarks', () => {
  const before = {
    headMark: at('2024-05-14T11:00:00Z'),
    sweepMarks: new Map([[10 * MIN, at('2024-05-14T11:50:00Z')]]),
    pending: [{ after: at('2024-05-14T08:00:00Z'), before: at('2024-05-14T09:00:00Z') }],
  };
  const sweeps = { stretches: [], storedIn: new Map<number, number>(), budget: Number.POSITIVE_INFINITY, policy: SWEEPS };

  it('a head stopped above stored ground leaves what it did not reach pending, newest first', () => {
    const head = { after: at('2024-05-14T10:50:00Z'), lowest: at('2024-05-14T11:20:00Z'), newestSeen: at('2024-05-14T11:59:00Z'), reachedStored: false, coveredToAfter: false };
    const next = advanceWatermarks(before, head, sweeps, START);
    expect(next.headMark).toEqual(at('2024-05-14T11:59:00Z'));
    expect(next.pending).toEqual([{ after: at('2024-05-14T10:50:00Z'), before: at('2024-05-14T11:20:00Z') }, ...before.pending]);
    expect(next.sweepsQueued).toBe(0);
  });

  it('a head that reached stored ground adds nothing; queued sweeps join the pending ranges, merged', () => {
    const head = { after: at('2024-05-14T10:50:00Z'), lowest: at('2024-05-14T10:55:00Z'), newestSeen: null, reachedStored: true, coveredToAfter: false };
    const stretch: SweepStretch = { delay: HOUR, target: at('2024-05-14T11:00:00Z'), seen: false, mark: at('2024-05-14T08:30:00Z'), upper: at('2024-05-14T10:00:00Z') };
    const next = advanceWatermarks(before, head, { ...sweeps, stretches: [stretch] }, START);
    expect(next.headMark).toBe(before.headMark);
    expect(next.pending).toEqual([{ after: at('2024-05-14T08:00:00Z'), before: at('2024-05-14T10:00:00Z') }]);
    expect(next.sweepsQueued).toBe(1);
  });
});

describe('normaliseRanges', () => {
  it('sorts newest first, merges touching ranges, drops inverted ones', () => {
    expect(
      normaliseRanges([
        { after: at('2024-05-14T01:00:00Z'), before: at('2024-05-14T02:00:00Z') },
        { after: at('2024-05-14T05:00:00Z'), before: at('2024-05-14T04:00:00Z') },
        { after: at('2024-05-14T02:00:00Z'), before: at('2024-05-14T03:00:00Z') },
        { after: at('2024-05-14T06:00:00Z'), before: at('2024-05-14T07:00:00Z') },
      ]),
    ).toEqual([
      { after: at('2024-05-14T06:00:00Z'), before: at('2024-05-14T07:00:00Z') },
      { after: at('2024-05-14T01:00:00Z'), before: at('2024-05-14T03:00:00Z') },
    ]);
  });
});
