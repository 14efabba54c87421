// YouTube quotas reset at midnight Pacific Time (America/Los_Angeles), not UTC and not the
// server's midnight. Pacific days are 23 hours long in March and 25 in November; these
// functions find the true instants with the platform's time-zone database, no fixed offsets.
export const QUOTA_TIME_ZONE = 'America/Los_Angeles';

const partsFormatter = new Intl.DateTimeFormat('en-US', {
  timeZone: QUOTA_TIME_ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallTime(instant: Date): WallTime {
  const parts: Record<string, number> = {};
  for (const part of partsFormatter.formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

/** The Pacific calendar date of an instant, as `YYYY-MM-DD`: the quota day it counts against. */
export function pacificDayKey(instant: Date): string {
  const { year, month, day } = wallTime(instant);
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** The instant of 00:00 Pacific on a calendar date (month 1-12; day may overflow). */
function pacificMidnight(year: number, month: number, day: number): Date {
  const utcMidnight = Date.UTC(year, month - 1, day);
  // Pacific is UTC-8 (PST) or UTC-7 (PDT); midnight is never skipped or repeated by DST.
  for (const offsetHours of [7, 8]) {
    const candidate = new Date(utcMidnight + offsetHours * 3_600_000);
    const wall = wallTime(candidate);
    const target = new Date(utcMidnight);
    if (
      wall.hour === 0 &&
      wall.minute === 0 &&
      wall.year === target.getUTCFullYear() &&
      wall.month === target.getUTCMonth() + 1 &&
      wall.day === target.getUTCDate()
    ) {
      return candidate;
    }
  }
  throw new Error(`no Pacific midnight found for ${year}-${month}-${day}`);
}

/** Start of the quota day containing `instant`. */
export function pacificDayStart(instant: Date): Date {
  const { year, month, day } = wallTime(instant);
  return pacificMidnight(year, month, day);
}

/** The next quota reset strictly after `instant`. */
export function nextPacificMidnight(instant: Date): Date {
  const { year, month, day } = wallTime(instant);
  return pacificMidnight(year, month, day + 1);
}
