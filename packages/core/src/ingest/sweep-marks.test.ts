import { describe, expect, it } from 'vitest';
import { decodeSweepMarks, encodeSweepMarks, sweepMarksFor } from './watermarks.js';

const MIN = 60_000;
const at = (iso: string) => new Date(iso);

describe('sweepMarksFor', () => {
  const delays = [10 * MIN, 60 * MIN, 780 * MIN];
  const start = at('2024-05-14T12:00:00Z');

  it('keeps the marks it has', () => {
    const saved = new Map([
      [10 * MIN, at('2024-05-14T11:50:00Z')],
      [60 * MIN, at('2024-05-14T11:00:00Z')],
      [780 * MIN, at('2024-05-13T23:00:00Z')],
    ]);
    expect(sweepMarksFor(delays, saved, start, { overlapMs: 10 * MIN, established: true })).toEqual(saved);
  });

  it('starts a delay added later below the known marks, so it sweeps again what they saw only early', () => {
    const saved = new Map([[10 * MIN, at('2024-05-14T11:50:00Z')]]);
    const marks = sweepMarksFor(delays, saved, start, { overlapMs: 10 * MIN, established: true });
    expect(marks.get(60 * MIN)).toEqual(at('2024-05-14T11:00:00Z'));
    expect(marks.get(780 * MIN)).toEqual(at('2024-05-13T23:00:00Z'));
  });

  it('uses a mark kept for a delay no longer configured (FETCH_OVERLAP_MS changed)', () => {
    const saved = new Map([[10 * MIN, at('2024-05-14T11:50:00Z')]]);
    const marks = sweepMarksFor([5 * MIN, 60 * MIN], saved, start, { overlapMs: 5 * MIN, established: true });
    expect(marks.get(5 * MIN)).toEqual(at('2024-05-14T11:50:00Z'));
    expect(marks.get(60 * MIN)).toEqual(at('2024-05-14T11:00:00Z'));
  });

  it('without any mark: a new query starts at its look-back, an established one below its head by each delay', () => {
    expect([...sweepMarksFor(delays, new Map(), start, { overlapMs: 10 * MIN, established: false }).values()]).toEqual([start, start, start]);
    expect([...sweepMarksFor(delays, new Map(), start, { overlapMs: 10 * MIN, established: true }).values()]).toEqual([
      start,
      at('2024-05-14T11:10:00Z'),
      at('2024-05-13T23:10:00Z'),
    ]);
  });

  it('round-trips through the JSON kept on the query, milliseconds included', () => {
    const marks = new Map([
      [600_000, at('2024-05-14T11:50:00.250Z')],
      [3_600_000, at('2024-05-14T11:00:00Z')],
    ]);
    expect(decodeSweepMarks(encodeSweepMarks(marks))).toEqual(marks);
    expect(decodeSweepMarks('{"600000": "2024-05-14T11:50:00.250000Z"}')).toEqual(new Map([[600_000, at('2024-05-14T11:50:00.250Z')]]));
  });
});
