// RFC 3339 timestamps as search.list accepts them for publishedAfter/publishedBefore: a full
// date and time with `Z` or a numeric offset, optional fraction up to nanoseconds. Bounds are
// inclusive, so a fraction finer than a millisecond is rounded towards the inside of the range
// (up for "after", down for "before") rather than letting a boundary video slip in or out.

const PATTERN = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|([+-])(\d{2}):(\d{2}))$/;

export function parseRfc3339(text: string, rounding: 'up' | 'down'): number | undefined {
  const match = PATTERN.exec(text);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const base = Date.UTC(year, month - 1, day, hour, minute, second);
  if (new Date(base).getUTCDate() !== day) return undefined; // 2024-02-30 and the like
  const fraction = (match[7] ?? '').padEnd(9, '0');
  let ms = Number(fraction.slice(0, 3));
  if (rounding === 'up' && Number(fraction.slice(3)) > 0) ms += 1;
  let offsetMinutes = 0;
  if (match[9] !== undefined) {
    const hours = Number(match[10]);
    const minutes = Number(match[11]);
    if (hours > 23 || minutes > 59) return undefined;
    offsetMinutes = (match[9] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  return base + ms - offsetMinutes * 60_000;
}
