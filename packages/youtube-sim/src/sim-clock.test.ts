// The sim clock: real (shifted) and manual modes, and switching between them without a jump.
import { describe, expect, it } from 'vitest';
import { SimClock } from './sim-clock.js';

describe('SimClock', () => {
  it('follows the wall clock in real mode, shifted by offsetMs or to a start instant', () => {
    let wall = Date.UTC(2024, 0, 1);
    const shifted = new SimClock({ mode: 'real', offsetMs: 5_000 }, () => wall);
    const started = new SimClock({ mode: 'real', now: '2030-01-01T00:00:00Z' }, () => wall);
    wall += 1_000;
    expect(shifted.now().toISOString()).toBe('2024-01-01T00:00:06.000Z');
    expect(started.now().toISOString()).toBe('2030-01-01T00:00:01.000Z');
    started.advance(60_000);
    wall += 1_000;
    expect(started.now().toISOString()).toBe('2030-01-01T00:01:02.000Z');
  });

  it('stands still in manual mode and switches modes without a jump', () => {
    let wall = Date.UTC(2024, 0, 1);
    const clock = new SimClock('2024-03-10T07:59:59.999Z', () => wall);
    wall += 10_000;
    expect(clock.state()).toEqual({ now: '2024-03-10T07:59:59.999Z', mode: 'manual' });
    clock.advance(1);
    expect(clock.now().toISOString()).toBe('2024-03-10T08:00:00.000Z');
    clock.setMode('real');
    wall += 2_000;
    expect(clock.now().toISOString()).toBe('2024-03-10T08:00:02.000Z');
    clock.setMode('manual');
    wall += 2_000;
    expect(clock.state()).toEqual({ now: '2024-03-10T08:00:02.000Z', mode: 'manual' });
    expect(() => clock.set('not a date')).toThrow(RangeError);
  });
});
