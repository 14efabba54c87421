// Operator text: the free text an operator hands the service (a followed query, an API key's
// label, the queries of SEARCH_QUERIES). It is stored, logged, shown on the dashboard and used
// as a metric label, so the admin API and the configuration hold it to one rule, kept here:
//
// - It is normalised to NFC, so the same words typed on different systems ("café" composed, or
//   "e" plus a combining acute accent as macOS sends it) are one text, and one query.
// - Leading and trailing white space (spaces, tabs, line breaks, a byte-order mark) is dropped,
//   and inside the text every run of spaces, of any kind (no-break, ideographic, ...), becomes
//   one ASCII space: the collapsing the query list and SEARCH_QUERIES always did.
// - Tabs and line breaks inside the text are refused, not turned into spaces: a line break in a
//   one-line query is nearly always two queries pasted together (or a comma forgotten in
//   SEARCH_QUERIES), and joining them silently would follow a query nobody asked for.
// - Refused too, naming the field, the character and its position: every other control
//   character (C0, DEL, C1), line and paragraph separators, bidirectional controls, invisible
//   characters (zero-width space, word joiner, soft hyphen, Hangul fillers: the Unicode
//   "default ignorable" set), private-use characters (no agreed meaning, so nothing YouTube can
//   match), unassigned code points and noncharacters (normalisation is only stable for assigned
//   characters), lone surrogates, and U+FFFD (the mark of text already decoded wrongly).
// - The zero-width joiner and non-joiner are the exception where writing needs them: the joiner
//   between emoji (👩‍💻 is 👩 + ZWJ + 💻, a legitimate search), and either one between two
//   letters or marks of a script whose spelling uses them (Persian, written in Arabic script,
//   needs the non-joiner; Indic scripts and Sinhala need both). Anywhere else, such as inside a
//   Latin word, they only make two texts look identical.
// - Variation selectors are invisible too, and kept only where they choose how the character
//   before them looks, once: the emoji and text presentation selectors (U+FE0F, U+FE0E) after a
//   character with an emoji form (Unicode's Emoji property, which also holds the digits, # and
//   * of keycaps), the ideographic variation selectors (U+E0100..U+E01EF) after a CJK ideograph,
//   the Mongolian free variation selectors after a Mongolian letter, and the other standardised
//   selectors (U+FE00..U+FE0D) after an ideograph, a mathematical symbol, a Myanmar or Phags-pa
//   letter, or the digit zero. Anywhere else, or repeated, they would carry a hidden payload
//   ("cats" followed by fifty of them looks like "cats" and is another query).
// - Tag characters are kept only in the three flags Unicode recommends that spell with them
//   (England, Scotland, Wales: 🏴, the tag letters of gbeng, gbsct or gbwls, the cancel tag);
//   any other run of them is text nobody sees.
// - U+2800 (braille pattern blank) is refused as well: Unicode classes it as a symbol, neither a
//   space nor ignorable, yet it shows as nothing, so it would make a blank query or hide at the
//   end of one. (The Hangul fillers that look alike are default ignorable, refused above.)
// - The length is counted in code points, after normalisation, so an emoji counts as one
//   character and not as the two UTF-16 units JavaScript's `length` sees.
//
// `operatorTextLabel` is the other side: text stored before this rule existed may hold any of
// the refused characters, and a metric label or a log must still stay one well-formed line.

/** A followed query's length bound (code points, after normalisation). */
export const QUERY_TEXT_MAX_LENGTH = 200;
/** An API key label's length bound. */
export const KEY_LABEL_MAX_LENGTH = 100;

/** The rule in one sentence, for API descriptions and error messages. */
export const OPERATOR_TEXT_RULE =
  'one line of visible characters: normalised to Unicode NFC, white space at the ends dropped and runs of spaces made one; ' +
  'tabs, line breaks, control, invisible, bidirectional-control, private-use and unassigned characters are refused';

export type OperatorTextCheck = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly problem: string };

const ZWNJ = 0x200c;
const ZWJ = 0x200d;
const CONTROL = /^\p{Cc}$/u;
const SEPARATOR = /^[\p{Zl}\p{Zp}]$/u;
const SPACE = /^\p{Zs}$/u;
const SURROGATE = /^\p{Cs}$/u;
const FORMAT = /^\p{Cf}$/u;
const DEFAULT_IGNORABLE = /^\p{Default_Ignorable_Code_Point}$/u;
const PRIVATE_USE = /^\p{Co}$/u;
const UNASSIGNED = /^\p{Cn}$/u;
const BIDI_CONTROLS = new Set([0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]);
/** Variation selectors, each with what the character before it must be for it to mean something. */
const SELECTOR_BASES: ReadonlyArray<readonly [(cp: number) => boolean, RegExp]> = [
  [(cp) => cp === 0xfe0e || cp === 0xfe0f, /^\p{Emoji}$/u],
  [(cp) => cp >= 0xe0100 && cp <= 0xe01ef, /^\p{Ideographic}$/u],
  [(cp) => (cp >= 0x180b && cp <= 0x180d) || cp === 0x180f, /^(?=\p{scx=Mongolian})\p{L}$/u],
  [(cp) => cp >= 0xfe00 && cp <= 0xfe0d, /^[\p{Ideographic}\p{Sm}0]$|^(?=[\p{scx=Myanmar}\p{scx=Phags_Pa}])\p{L}$/u],
];
const BRAILLE_BLANK = 0x2800;
const PICTOGRAPHIC = /^\p{Extended_Pictographic}$/u;
/** What may stand between an emoji and a following ZWJ: a skin tone, or the emoji-style selector. */
const EMOJI_TRAILER = /^[\p{Emoji_Modifier}\u{FE0F}]$/u;
const LETTER_OR_MARK = /^[\p{L}\p{M}]$/u;
/** Scripts whose spelling uses ZWJ/ZWNJ between letters (The Unicode Standard, chapters 9 to 13 and 16). */
const JOINING_SCRIPTS = [
  /^\p{scx=Arabic}$/u,
  /^\p{scx=Syriac}$/u,
  /^\p{scx=Nko}$/u,
  /^\p{scx=Mongolian}$/u,
  /^\p{scx=Devanagari}$/u,
  /^\p{scx=Bengali}$/u,
  /^\p{scx=Gurmukhi}$/u,
  /^\p{scx=Gujarati}$/u,
  /^\p{scx=Oriya}$/u,
  /^\p{scx=Tamil}$/u,
  /^\p{scx=Telugu}$/u,
  /^\p{scx=Kannada}$/u,
  /^\p{scx=Malayalam}$/u,
  /^\p{scx=Sinhala}$/u,
  /^\p{scx=Myanmar}$/u,
  /^\p{scx=Khmer}$/u,
];
/** 🏴 + tag letters + cancel tag: the flags of England, Scotland and Wales, the only ones Unicode recommends. */
const BLACK_FLAG = 0x1f3f4;
const TAG_CANCEL = 0xe007f;
const TAG_FLAGS = ['gbeng', 'gbsct', 'gbwls'].map((region) => [...region].map((c) => c.codePointAt(0)! + 0xe0000).concat(TAG_CANCEL));
const isTag = (cp: number) => cp >= 0xe0000 && cp <= 0xe007f;

const hex = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

function joinerAllowed(chars: readonly string[], i: number): boolean {
  const next = chars[i + 1];
  if (next === undefined || i === 0) return false;
  if (chars[i]!.codePointAt(0) === ZWJ && PICTOGRAPHIC.test(next)) {
    let base = i - 1;
    while (base > 0 && EMOJI_TRAILER.test(chars[base]!)) base--;
    if (PICTOGRAPHIC.test(chars[base]!)) return true;
  }
  const previous = chars[i - 1]!;
  if (!LETTER_OR_MARK.test(previous) || !LETTER_OR_MARK.test(next)) return false;
  return JOINING_SCRIPTS.some((script) => script.test(previous) && script.test(next));
}

/** How many characters from `i` form a tag-sequence flag (0 when none starts there). */
function tagFlagLength(chars: readonly string[], i: number): number {
  if (chars[i]!.codePointAt(0) !== BLACK_FLAG) return 0;
  const flag = TAG_FLAGS.find((tags) => tags.every((tag, k) => chars[i + 1 + k]?.codePointAt(0) === tag));
  return flag === undefined ? 0 : flag.length + 1;
}

/** Whether the variation selector at `i` follows, directly, a character it can vary (undefined: not a selector). */
function selectorAllowed(chars: readonly string[], i: number): boolean | undefined {
  const cp = chars[i]!.codePointAt(0)!;
  const rule = SELECTOR_BASES.find(([isSelector]) => isSelector(cp));
  if (rule === undefined) return undefined;
  const previous = chars[i - 1];
  return previous !== undefined && rule[1].test(previous);
}

/** Why the character at `i` is refused, as a phrase, or undefined when it is allowed. */
function refusal(chars: readonly string[], i: number): string | undefined {
  const char = chars[i]!;
  const cp = char.codePointAt(0)!;
  if (SURROGATE.test(char)) return 'a lone surrogate (not valid Unicode)';
  if (cp === 0x09) return 'a tab';
  if (cp === 0x0a || cp === 0x0d || cp === 0x0b || cp === 0x0c || cp === 0x85) return 'a line break';
  if (CONTROL.test(char)) return 'a control character';
  if (SEPARATOR.test(char)) return 'a line break';
  if (cp === ZWJ || cp === ZWNJ) {
    return joinerAllowed(chars, i) ? undefined : `an invisible ${cp === ZWJ ? 'zero-width joiner' : 'zero-width non-joiner'} (allowed only between emoji or letters of a script that uses it)`;
  }
  if (BIDI_CONTROLS.has(cp)) return 'a bidirectional control character';
  const selector = selectorAllowed(chars, i);
  if (selector !== undefined) return selector ? undefined : 'a variation selector that follows no character it can vary (or a second one)';
  if (isTag(cp)) return 'a tag character (allowed only in the flags of England, Scotland and Wales)';
  if (cp === BRAILLE_BLANK) return 'a blank character (braille pattern blank)';
  if (FORMAT.test(char) || DEFAULT_IGNORABLE.test(char)) return 'an invisible character';
  if (PRIVATE_USE.test(char)) return 'a private-use character';
  if (UNASSIGNED.test(char)) return 'an unassigned code point';
  if (cp === 0xfffd) return 'the replacement character (text decoded wrongly somewhere)';
  return undefined;
}

/** The text's characters without leading and trailing white space (String.prototype.trim's set). */
function trimmedChars(value: string): { chars: string[]; offset: number } {
  const chars = [...value];
  let start = 0;
  let end = chars.length;
  while (start < end && chars[start]!.trim() === '') start++;
  while (end > start && chars[end - 1]!.trim() === '') end--;
  return { chars: chars.slice(start, end), offset: start };
}

/**
 * Checks and normalises one piece of operator text. `field` names it in the problem
 * ("text must not contain a line break: U+000A at character 4"); positions count characters
 * (code points) from 1 in the value as given.
 */
export function checkOperatorText(field: string, value: string, maxLength: number): OperatorTextCheck {
  const { chars, offset } = trimmedChars(value);
  if (chars.length === 0) return { ok: false, problem: `${field} must not be blank` };
  for (let i = 0; i < chars.length; i++) {
    const flag = tagFlagLength(chars, i);
    if (flag > 0) {
      i += flag - 1;
      continue;
    }
    const why = refusal(chars, i);
    if (why !== undefined) {
      return { ok: false, problem: `${field} must not contain ${why}: ${hex(chars[i]!.codePointAt(0)!)} at character ${offset + i + 1}` };
    }
  }
  const text = chars
    .map((char) => (SPACE.test(char) ? ' ' : char))
    .join('')
    .replace(/ {2,}/g, ' ')
    .normalize('NFC');
  const length = [...text].length;
  if (length > maxLength) return { ok: false, problem: `${field} must be 1 to ${maxLength} characters (it has ${length} after normalisation)` };
  return { ok: true, text };
}

/**
 * Stored operator text made safe for a metric label (or any one-line display): every character
 * the rule refuses becomes U+FFFD (which the rule itself refuses, so it can only mean "replaced
 * here"), runs of spaces become one, and the result is cut to `maxLength` characters
 * (with "…"). Text that obeys the rule comes back unchanged.
 */
export function operatorTextLabel(text: string, maxLength: number = QUERY_TEXT_MAX_LENGTH): string {
  const chars = [...text];
  const out: string[] = [];
  for (let i = 0; i < chars.length; i++) {
    const flag = tagFlagLength(chars, i);
    if (flag > 0) {
      out.push(...chars.slice(i, i + flag));
      i += flag - 1;
    } else {
      out.push(SPACE.test(chars[i]!) ? ' ' : refusal(chars, i) === undefined ? chars[i]! : '\u{FFFD}');
    }
  }
  const label = out.join('').replace(/ {2,}/g, ' ').trim();
  const kept = [...label];
  return kept.length > maxLength ? `${kept.slice(0, maxLength - 1).join('')}…` : label;
}
