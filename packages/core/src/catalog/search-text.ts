// What the full-text index sees, and how a search box query is turned into a boolean-mode
// query for it. Both sides go through `searchTokens`, so they can only ever agree.
//
// The stored search text is the title or description lowercased, accent-folded (NFKD without
// combining marks), with every character that is not a letter or digit turned into a space,
// emoji turned into word tokens ("🍵" → "e1f375"), and words shorter than InnoDB's minimum
// token size (3) padded with "_" ("ai" → "ai_", "a" → "a__"): InnoDB never indexes words
// shorter than innodb_ft_min_token_size, and a required term it does not hold makes the whole
// boolean query match nothing. "_" is a word character to InnoDB, so a padded word stays one
// token, and the query term `ai*` finds "ai_" (the word "AI") as well as "aim" and "air".
// The text starts with a space and words are separated by single spaces, so "the term starts a
// word" is also the plain substring test `LOCATE(' term', text)`, which the in-order scan of
// search-finder.ts uses: both ways of matching agree on every row.
//
// A query term is always `+word*`: every word must match, as a word or a word prefix, in any
// order. Only letters and digits survive into a term, so nothing a user types (`+ - * " ( ) <
// > ~ @ '` or `%`) can reach MySQL as an operator.
export const MIN_TOKEN_LENGTH = 3;
export const MAX_TOKEN_LENGTH = 84; // innodb_ft_max_token_size default
export const MAX_QUERY_LENGTH = 200;
export const MAX_QUERY_TERMS = 12;

const PICTOGRAPHIC = /\p{Extended_Pictographic}/gu;
const NOT_WORD = /[^\p{L}\p{N}]+/gu;
const COMBINING_MARKS = /\p{M}+/gu;

/** The words of a text, normalised: lowercase, accent-folded, emoji as tokens, unpadded. */
export function searchTokens(text: string): string[] {
  const folded = text
    .normalize('NFKD')
    .replace(COMBINING_MARKS, '')
    .toLowerCase()
    .replace(PICTOGRAPHIC, (emoji) => ` e${emoji.codePointAt(0)!.toString(16)} `);
  return folded
    .split(NOT_WORD)
    .filter((token) => token !== '')
    .map((token) => token.slice(0, MAX_TOKEN_LENGTH));
}

export const MAX_TITLE_TEXT = 400;
export const MAX_BODY_TEXT = 600;

/** The text to store in a search column: " word word ...", at most `maxLength` characters. */
export function searchText(text: string, maxLength: number = MAX_BODY_TEXT): string {
  let out = '';
  for (const token of searchTokens(text)) {
    const word = token.length < MIN_TOKEN_LENGTH ? token.padEnd(MIN_TOKEN_LENGTH, '_') : token;
    if (out.length + 1 + word.length > maxLength) break;
    out += ` ${word}`;
  }
  return out;
}

export interface ParsedSearch {
  /** The words searched for, deduplicated, in the order typed. */
  readonly terms: readonly string[];
  /** Argument of MATCH ... AGAINST (... IN BOOLEAN MODE). */
  readonly booleanQuery: string;
}

export class SearchQueryError extends Error {}

/** Parses what a person typed; SearchQueryError when nothing searchable is left. */
export function parseSearch(q: string): ParsedSearch {
  // Characters as people count them (code points), as the route's schema does.
  if ([...q].length > MAX_QUERY_LENGTH) throw new SearchQueryError(`q must be at most ${MAX_QUERY_LENGTH} characters`);
  const terms = [...new Set(searchTokens(q))];
  if (terms.length === 0) throw new SearchQueryError('q must contain at least one letter, digit or emoji');
  // Every word must match: a word silently dropped would widen the search.
  if (terms.length > MAX_QUERY_TERMS) throw new SearchQueryError(`q must have at most ${MAX_QUERY_TERMS} words`);
  return { terms, booleanQuery: terms.map((term) => `+${term}*`).join(' ') };
}
