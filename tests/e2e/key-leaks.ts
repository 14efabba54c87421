// Finds API keys, whole or in recognisable pieces, in text a test captured from the service.
// A key counts as leaked when any of these appears:
//   - any 12 consecutive characters of it (the whole key, the key without its `AIza` prefix,
//     its first or last 16 characters, ...): twelve characters of a random key cannot turn up
//     by chance in what the service writes;
//   - `AIza` and four or more key characters at the start of a word: the start of any Google API
//     key, also one the test does not know (the masked form `AIza…Xk3Q` is allowed: an ellipsis
//     follows the prefix);
//   - the key in base64 or base64url, at any alignment;
// in the text as written, and after decoding percent-escapes (twice, for double encoding) and
// JSON `\uXXXX` escapes.
import { randomBytes } from 'node:crypto';

const KEY_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const FRAGMENT = 12;

/** A key shaped like Google's: `AIza` and 35 characters of [A-Za-z0-9_-]. */
export function googleLikeKey(): string {
  return `AIza${[...randomBytes(35)].map((byte) => KEY_CHARS[byte & 63]).join('')}`;
}

export interface Capture {
  /** Where the text came from: "log api", "HTTP GET /health", "redis", ... */
  readonly source: string;
  readonly text: string;
}

export interface Leak {
  readonly source: string;
  /** Which key, by its position in the list scanned for. */
  readonly key: number;
  readonly found: string;
  readonly context: string;
}

function decodings(text: string): string[] {
  const percent = (s: string) => s.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  const unicode = (s: string) => s.replace(/\\u([0-9A-Fa-f]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  const once = percent(text);
  const forms = [text, once, percent(once), unicode(text)];
  return forms.filter((form, i) => forms.indexOf(form) === i);
}

function base64Forms(key: string): string[] {
  const forms: string[] = [];
  for (let start = 0; start < 3; start++) {
    const whole = key.slice(start, start + 3 * Math.floor((key.length - start) / 3));
    const encoded = Buffer.from(whole).toString('base64');
    forms.push(encoded, encoded.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return forms;
}

export function findKeyLeaks(captures: readonly Capture[], keys: readonly string[]): Leak[] {
  const fragments = new Map<string, number>();
  keys.forEach((key, index) => {
    for (let i = 0; i + FRAGMENT <= key.length; i++) fragments.set(key.slice(i, i + FRAGMENT), index);
  });
  const encoded = keys.flatMap((key, index) => base64Forms(key).map((form) => [form, index] as const));
  const leaks: Leak[] = [];
  const report = (source: string, key: number, text: string, at: number, found: string) =>
    leaks.push({ source, key, found, context: text.slice(Math.max(0, at - 60), at + found.length + 60) });

  for (const { source, text } of captures) {
    for (const form of decodings(text)) {
      for (const run of form.matchAll(/[A-Za-z0-9_-]{4,}/g)) {
        const chars = run[0];
        if (/^AIza[A-Za-z0-9_-]{4}/.test(chars)) report(source, -1, form, run.index, chars);
        for (let i = 0; i + FRAGMENT <= chars.length; i++) {
          const key = fragments.get(chars.slice(i, i + FRAGMENT));
          if (key !== undefined) {
            report(source, key, form, run.index + i, chars.slice(i, i + FRAGMENT));
            break;
          }
        }
      }
      for (const [value, key] of encoded) {
        const at = form.indexOf(value);
        if (at >= 0) report(source, key, form, at, value);
      }
    }
  }
  return leaks;
}
