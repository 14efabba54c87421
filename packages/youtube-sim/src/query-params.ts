// Query-string access with the API's conventions: a list parameter may come repeated
// (`type=video&type=channel`, how the Node client sends arrays) or comma-separated
// (`type=video,channel`), and an empty value counts as absent. Also the two checks every list
// method shares: `part` and `maxResults`.
import { invalidPageToken, invalidRange, requiredParameter, unknownPart, type ApiResponse } from './api-errors.js';
import { decodePageToken } from './page-token.js';

export type RawQuery = Record<string, string | string[] | undefined>;

export class QueryParams {
  constructor(private readonly raw: RawQuery) {}

  private values(name: string): string[] {
    const value = this.raw[name];
    if (value === undefined) return [];
    return (Array.isArray(value) ? value : [value]).filter((v) => v !== '');
  }

  /** The first non-empty value of a single-valued parameter. */
  first(name: string): string | undefined {
    return this.values(name)[0];
  }

  has(name: string): boolean {
    return this.first(name) !== undefined;
  }

  list(name: string): string[] {
    return this.values(name)
      .flatMap((value) => value.split(','))
      .map((value) => value.trim())
      .filter((value) => value !== '');
  }

  /** Everything except the API key, for the call log. */
  withoutKey(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(this.raw)) {
      if (name !== 'key' && value !== undefined) out[name] = value;
    }
    return out;
  }
}

/** The requested parts, or the API's answer to a missing or unknown one. */
export function parseParts(params: QueryParams, allowed: readonly string[]): Set<string> | ApiResponse {
  const parts = params.list('part');
  if (parts.length === 0) return requiredParameter('part');
  for (const part of parts) if (!allowed.includes(part)) return unknownPart(part);
  return new Set(parts);
}

export function parseMaxResults(params: QueryParams, min: number, max: number, fallback: number): number | ApiResponse {
  const raw = params.first('maxResults');
  if (raw === undefined) return fallback;
  const value = /^-?\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
  return value >= min && value <= max ? value : invalidRange('maxResults', raw, min, max);
}

/** Where the page `pageToken` asks for starts (0 without one), or YouTube's error for a token it did not issue. */
export function parsePageStart(params: QueryParams, maxResults: number): number | ApiResponse {
  const raw = params.first('pageToken');
  if (raw === undefined) return 0;
  const token = decodePageToken(raw);
  if (token === undefined) return invalidPageToken();
  return token.direction === 'next' ? token.offset : Math.max(0, token.offset - maxResults);
}
