// The `q` parameter as the simulator understands it: every word must appear in a video's title
// or description (case-insensitive, whole words), `-word` excludes, and `a|b` (also `a | b`)
// accepts either side. YouTube's real matching is fuzzier (stemming, synonyms, ranking); this is
// the documented core that client code can rely on.

/** A query's identity: lower case, single spaces, none around `|`. "Green  Tea" and "green tea" are one stream. */
export function normalizeQuery(q: string): string {
  return q
    .toLowerCase()
    .replace(/\s*\|\s*/g, '|')
    .replace(/\s+/g, ' ')
    .trim();
}

const NON_WORD = /[^\p{L}\p{N}]+/u;

/** Lower-cased runs of letters and digits; punctuation, emoji and spaces separate words. */
export function tokenize(text: string): string[] {
  return text
    .toLowerCase()
    .split(NON_WORD)
    .filter((token) => token.length > 0);
}

export interface QueryTerm {
  /** The term as typed (quotes dropped): what a generated title shows. */
  readonly display: string;
  /** All of these must be present for the term to match (usually one word). */
  readonly tokens: readonly string[];
}

export interface ParsedQuery {
  readonly normalized: string;
  /** Every group must match; a group matches when any one of its alternatives does. */
  readonly groups: readonly (readonly QueryTerm[])[];
  readonly excluded: readonly QueryTerm[];
}

function term(raw: string): QueryTerm | undefined {
  const display = raw.replace(/"/g, '');
  const tokens = tokenize(display);
  return tokens.length === 0 ? undefined : { display, tokens };
}

export function parseQuery(q: string): ParsedQuery {
  const groups: QueryTerm[][] = [];
  const excluded: QueryTerm[] = [];
  let joinNext = false;
  for (const raw of q.trim().split(/\s+/)) {
    if (raw === '') continue;
    if (raw === '|') {
      joinNext = groups.length > 0;
      continue;
    }
    if (raw.startsWith('-') && !raw.includes('|')) {
      const excludedTerm = term(raw.slice(1));
      if (excludedTerm !== undefined) excluded.push(excludedTerm);
      joinNext = false;
      continue;
    }
    const alternatives = raw
      .split('|')
      .map(term)
      .filter((t): t is QueryTerm => t !== undefined);
    const previous = groups[groups.length - 1];
    if (alternatives.length > 0) {
      if ((joinNext || raw.startsWith('|')) && previous !== undefined) previous.push(...alternatives);
      else groups.push(alternatives);
    }
    joinNext = raw.endsWith('|') && groups.length > 0;
  }
  return { normalized: normalizeQuery(q), groups, excluded };
}

function hasAll(tokens: ReadonlySet<string>, wanted: readonly string[]): boolean {
  for (const token of wanted) if (!tokens.has(token)) return false;
  return true;
}

/** Does a text with these words match the query? An empty query matches everything. */
export function matchesQuery(query: ParsedQuery, tokens: ReadonlySet<string>): boolean {
  for (const group of query.groups) {
    if (!group.some((alternative) => hasAll(tokens, alternative.tokens))) return false;
  }
  for (const excludedTerm of query.excluded) {
    if (hasAll(tokens, excludedTerm.tokens)) return false;
  }
  return true;
}

/** Could any text built from this vocabulary match? (Cheap pre-check to skip a whole stream.) */
export function couldMatch(query: ParsedQuery, vocabulary: ReadonlySet<string>): boolean {
  return query.groups.every((group) => group.some((alternative) => hasAll(vocabulary, alternative.tokens)));
}
