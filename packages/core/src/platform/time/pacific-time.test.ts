import { describe, expect, it } from 'vitest';
import { nextPacificMidnight, pacificDayKey, pacificDayStart } from './pacific-time.js';

describe('Pacific quota day', () => {
  it('resets at 08:00 UTC in winter and 07:00 UTC in summer', () => {
    expect(nextPacificMidnight(new Date('2024-01-15T12:00:00Z')).toISOString()).toBe('2024-01-16T08:00:00.000Z');
    expect(nextPacificMidnight(new Date('2024-07-15T12:00:00Z')).toISOString()).toBe('2024-07-16T07:00:00.000Z');
  });

  it('counts an instant just before and just after midnight PT against different days', () => {
    expect(pacificDayKey(new Date('2024-01-16T07:59:59.999Z'))).toBe('2024-01-15');
    expect(pacificDayKey(new Date('2024-01-16T08:00:00.000Z'))).toBe('2024-01-16');
    expect(nextPacificMidnight(new Date('2024-01-16T08:00:00.000Z')).toISOString()).toBe('2024-01-17T08:00:00.000Z');
  });

  it('has a 23-hour day when DST starts (2024-03-10) and a 25-hour day when it ends (2024-11-03)', () => {
    const springStart = pacificDayStart(new Date('2024-03-10T12:00:00Z'));
    expect(springStart.toISOString()).toBe('2024-03-10T08:00:00.000Z');
    expect(nextPacificMidnight(springStart).getTime() - springStart.getTime()).toBe(23 * 3_600_000);
    const fallStart = pacificDayStart(new Date('2024-11-03T12:00:00Z'));
    expect(fallStart.toISOString()).toBe('2024-11-03T07:00:00.000Z');
    expect(nextPacificMidnight(fallStart).getTime() - fallStart.getTime()).toBe(25 * 3_600_000);
  });

  it('crosses month and year ends', () => {
    expect(nextPacificMidnight(new Date('2024-12-31T20:00:00Z')).toISOString()).toBe('2025-01-01T08:00:00.000Z');
    expect(pacificDayKey(new Date('2025-01-01T07:00:00Z'))).toBe('2024-12-31');
  });
});
