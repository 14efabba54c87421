// "5 min ago" for people, the exact local time for tooltips, and a <time> element with both.
import { el } from './element.js';

const exact = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

const UNITS: ReadonlyArray<[limitSeconds: number, seconds: number, one: string, many: string]> = [
  [3_600, 60, 'min', 'min'],
  [86_400, 3_600, 'hour', 'hours'],
  [30 * 86_400, 86_400, 'day', 'days'],
  [365 * 86_400, 30 * 86_400, 'month', 'months'],
  [Infinity, 365 * 86_400, 'year', 'years'],
];

export function relativeTime(date: Date, now: Date = new Date()): string {
  // A clock a little ahead of the server's would otherwise say "in 1 min".
  const seconds = Math.max(0, (now.getTime() - date.getTime()) / 1000);
  if (seconds < 60) return 'just now';
  for (const [limit, unit, one, many] of UNITS) {
    if (seconds < limit) {
      const n = Math.floor(seconds / unit);
      return `${n} ${n === 1 ? one : many} ago`;
    }
  }
  return exact.format(date);
}

export function exactTime(date: Date): string {
  return exact.format(date);
}

/** "5 min ago", marked for refreshRelativeTimes; the exact time in its title. */
export function timeElement(iso: string): HTMLTimeElement {
  const date = new Date(iso);
  return el('time', { datetime: iso, title: exactTime(date), 'data-relative': '' }, relativeTime(date));
}

/** Brings every relative <time> under `root` up to date (called on a timer: "just now" ages). */
export function refreshRelativeTimes(root: ParentNode, now: Date = new Date()): void {
  // Only those timeElement made: a scheduled start is written as an exact time and stays so.
  for (const time of root.querySelectorAll('time[datetime][data-relative]')) {
    time.textContent = relativeTime(new Date(time.getAttribute('datetime') ?? ''), now);
  }
}
