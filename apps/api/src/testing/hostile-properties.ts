// What the hostile-input suites send and how they judge the answers, shared by the suites in
// apps/api (run by CI on a fixed seed) and the larger run of `npm run test:faults`, so the two
// runs test the same properties and differ only in how many cases they draw and from which seed.
//
// - Run parameters: HOSTILE_SEED picks fast-check's seed (a fixed default in CI, so a failure
//   there fails the same way on every machine; the larger run draws a fresh one and prints it),
//   HOSTILE_PATH replays one shrunk counterexample (both are printed by fast-check on failure).
// - Values: odd numbers and strings, SQL-injection strings, unicode (lone surrogates included),
//   and the ways to put them in a URL: encoded, with broken percent-escapes, raw, bare names.
// - Admin bodies: JSON of the admin routes' shapes and beside them, and what is not JSON at all.
// - Answers: the error shape every 4xx must have, and a raw HTTP/1.1 client that sends bytes as
//   given (no client-side URL parsing or header normalising) and reads the first answer.
import { connect } from 'node:net';
import fc from 'fast-check';

// ---- run parameters ---------------------------------------------------------------------------

/** The seed of the CI run. Any fixed number would do; changing it is changing the cases CI runs. */
export const DEFAULT_HOSTILE_SEED = 20_261_207;

/** The seed: HOSTILE_SEED when set, else the fixed CI seed, or a fresh one for the larger run. */
export function hostileSeed(fresh = false): number {
  const given = process.env.HOSTILE_SEED;
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isSafeInteger(seed)) throw new Error(`HOSTILE_SEED must be an integer (got "${given}")`);
    return seed;
  }
  return fresh ? Math.floor(Math.random() * 2 ** 31) : DEFAULT_HOSTILE_SEED;
}

/**
 * fast-check parameters for a hostile property: `numRuns` cases from the seed, or only the case
 * HOSTILE_PATH names. fast-check's failure report gives both (seed and path) to reproduce it.
 */
export function hostileParameters(numRuns: number, seed: number): fc.Parameters<unknown> {
  const path = process.env.HOSTILE_PATH;
  return { numRuns, seed, ...(path === undefined || path === '' ? {} : { path }), endOnFailure: true };
}

// ---- values and encodings ---------------------------------------------------------------------

export const SQL_INJECTIONS = [
  "' OR '1'='1",
  "' OR 1=1 -- ",
  '" OR ""="',
  "1; DROP TABLE videos; --",
  "Robert'); DROP TABLE videos;--",
  "1' UNION SELECT NULL, NULL, NULL --",
  "%' AND 1=0 UNION SELECT table_name FROM information_schema.tables #",
  "\\' OR 1=1 #",
  "1 AND SLEEP(3)",
  "'; UPDATE videos SET title='pwned'; --",
  "0x27204f522031",
  "admin'/*",
  "*/ OR /*",
  "+tea* -how \"exact\" @2 ~x <y >z (w)",
  "' || (SELECT COUNT(*) FROM api_keys) || '",
  "\u0000' OR 1=1",
  "%27%20OR%201%3D1",
  "`; SHOW TABLES; `",
] as const;

export const ODD_VALUES = [
  '', ' ', '0', '-0', '-1', '1e3', '1e309', '-1e309', 'NaN', 'Infinity', '0x10', '0b1', '1.5', '01', '+1', ' 5', '5 ', '1_000',
  '１２', '٣', '9'.repeat(400), '4294967296', '9007199254740993', 'true', 'null', 'undefined', '[]', '{}', '[object Object]',
  'newest', 'oldest', 'relevance', 'NEWEST', 'cricket', 'tea time', 'tea', '2024-05-01T00:00:00Z', '2024-13-45T99:99:99Z',
  '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '275760-09-13T00:00:00Z', 'UCddiUEpeqJcYeBxX1IVBKvQ', 'abc.def', '.', '..',
  'a'.repeat(601), '\u202e', '\u200b', '\u2066', '\ud800', '\udfff', '🍵', 'é', 'e\u0301', '\r\n', '\t', '<script>alert(1)</script>', '${jndi:ldap://x}',
  '__proto__', 'constructor', 'hasOwnProperty',
] as const;

export const MALFORMED_ESCAPES = ['%', '%%', '%2', '%G1', '%ZZ', '%E0%A4%A', '%C0%AF', '%FF', '%FE%FF', '%ED%A0%80', '%00', '%0', '%u0041', '%%41'];

export const hostileValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ODD_VALUES) },
  { weight: 2, arbitrary: fc.constantFrom(...SQL_INJECTIONS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 190, maxLength: 700 }) },
  { weight: 2, arbitrary: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 2, arbitrary: fc.integer({ min: -5, max: 200 }).map(String) },
);

export type Encoding = 'encoded' | 'malformed' | 'raw' | 'bare';

export interface Param {
  readonly name: string;
  readonly value: string;
  readonly encoding: Encoding;
}

/** A query parameter: mostly one the route knows, sometimes any name; any value, any encoding. */
export function hostileParam(known: readonly string[]): fc.Arbitrary<Param> {
  const name = known.length > 0 ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) }) : fc.string({ maxLength: 12 });
  return fc.record({ name, value: hostileValue, encoding: fc.constantFrom<Encoding>('encoded', 'encoded', 'malformed', 'raw', 'bare') });
}

/** Lone surrogates cannot be percent-encoded as UTF-8 (encodeURIComponent throws): U+FFFD instead. They are sent encoded as CESU-8 among the malformed escapes. */
export function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** Percent-encodes, except that `malformed` slips broken escapes in and `raw` leaves printable ASCII as typed. */
export function encodePart(text: string, encoding: Encoding, seed: number): string {
  switch (encoding) {
    case 'encoded':
    case 'bare':
      return encodeURIComponent(wellFormed(text));
    case 'malformed': {
      const encoded = encodeURIComponent(wellFormed(text));
      const at = encoded.length === 0 ? 0 : seed % (encoded.length + 1);
      return `${encoded.slice(0, at)}${MALFORMED_ESCAPES[seed % MALFORMED_ESCAPES.length]}${encoded.slice(at)}`;
    }
    case 'raw':
      // Printable ASCII as it is ('%', '+', '=', ';', '"' included), the rest encoded.
      return [...wellFormed(text)].map((c) => (/[!-~]/.test(c) && c !== '&' && c !== '#' ? c : encodeURIComponent(c))).join('');
  }
}

export function queryString(params: readonly Param[], seed: number): string {
  return params
    .map(({ name, value, encoding }, index) =>
      encoding === 'bare' ? encodePart(name, 'encoded', seed) : `${encodePart(name, encoding === 'raw' ? 'raw' : 'encoded', seed + index)}=${encodePart(value, encoding, seed + index)}`,
    )
    .join('&');
}

/** What may follow a route's path: nothing (mostly), a slash, broken escapes, dot segments, more segments. */
export const PATH_SUFFIXES = ['', '', '', '', '/', '%', '%2', '%ZZ', '/%2e%2e/admin/keys', ';x', '%00', '/extra', '.json', '%2F'];

/** One path segment for a route parameter: mostly a value the route can find, else anything, in any encoding. */
export function hostileSegment(known: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: known.length > 0 ? 4 : 0, arbitrary: known.length > 0 ? fc.constantFrom(...known) : fc.constant('') },
    { weight: 2, arbitrary: fc.constantFrom('0', '-1', '4294967295', '4294967296', '99999999999999999999', '1e3', '0x1', '1.0', 'abc', '..', '.', '%20', '%', '%ZZ', '%2F', '%00', "1'--", '1;DROP TABLE api_keys') },
    { weight: 2, arbitrary: fc.tuple(hostileValue, fc.constantFrom<Encoding>('encoded', 'malformed', 'raw'), fc.nat()).map(([value, encoding, seed]) => encodePart(value, encoding, seed).replaceAll('/', '%2F').replaceAll('?', '%3F')) },
  );
}

// ---- admin bodies -----------------------------------------------------------------------------

/** JSON values of the admin routes' shapes (keys, labels, projects, query texts) and beside them. */
export function adminJson(keys: readonly string[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.jsonValue(),
    fc.record({ key: fc.oneof(fc.string(), fc.constantFrom(...keys, 'AIza' + 'x'.repeat(35))), label: fc.option(fc.string(), { nil: undefined }) }, { requiredKeys: [] }),
    fc.record({ enabled: fc.oneof(fc.boolean(), fc.jsonValue()), label: fc.string({ maxLength: 120 }) }, { requiredKeys: [] }),
    fc.record({ text: fc.oneof(fc.string({ maxLength: 210 }), fc.string({ unit: 'grapheme', maxLength: 30 }), fc.constantFrom(...ODD_VALUES), fc.jsonValue()) }),
    fc.dictionary(fc.oneof(fc.constantFrom('key', 'label', 'enabled', 'text', 'project', '__proto__', 'constructor'), fc.string({ maxLength: 8 })), fc.jsonValue(), { maxKeys: 4 }),
  );
}

/** A request body as sent: mostly JSON of the admin shapes, sometimes not JSON at all. */
export function adminBody(keys: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: adminJson(keys).map((value) => JSON.stringify(value) ?? 'null') },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    { weight: 1, arbitrary: fc.constantFrom('', '{', '{"text":', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '[]', 'null', '"text"', '1e999', '{"text":"a","text":"b"}') },
  );
}

export const ODD_CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'multipart/form-data',
  'multipart/form-data; boundary=x',
  'application/jsonx',
  'application/xml',
  'APPLICATION/JSON',
  'application/json;;',
  '*/*',
  '',
] as const;

// ---- answers ----------------------------------------------------------------------------------

export const JSON_TYPE = /^application\/json; charset=utf-8$/;

/** What is wrong with a 4xx or 5xx answer's body for the API's error shape, or null. */
export function errorShapeProblem(status: number, contentType: string, body: string): string | null {
  if (!JSON_TYPE.test(contentType)) return `${status} with content-type ${contentType}: ${body.slice(0, 200)}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `${status} with a body that is not JSON: ${body.slice(0, 200)}`;
  }
  const keys = typeof parsed === 'object' && parsed !== null ? Object.keys(parsed).sort().join(',') : '';
  const shaped =
    keys === 'isError,message' &&
    (parsed as { isError: unknown }).isError === true &&
    typeof (parsed as { message: unknown }).message === 'string' &&
    (parsed as { message: string }).message !== '';
  return shaped ? null : `${status} not in the error shape: ${body.slice(0, 200)}`;
}

export interface RawAnswer {
  readonly status: number;
  /** Header names in lower case; a repeated header's values joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly ms: number;
}

/**
 * One request over a fresh TCP connection to 127.0.0.1:`port`, bytes as given, and the first
 * final answer on it (its body cut by Content-Length or chunking: anything after it is ignored).
 */
export function rawHttp(port: number, requestBytes: string | Buffer, timeoutMs: number): Promise<RawAnswer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // An event stream never ends: its head, complete, is the whole answer (after any interim
      // 100 Continue, which an Expect header brings first).
      const received = skipInterim(Buffer.concat(chunks));
      const headEnd = received.indexOf('\r\n\r\n');
      if (headEnd >= 0 && /^HTTP\/1\.[01] 200 /.test(received.toString('latin1', 0, 13)) && /\r\ncontent-type: text\/event-stream/i.test(received.toString('latin1', 0, headEnd))) {
        socket.destroy();
        resolve({ ...parseFirstAnswer(Buffer.concat([received.subarray(0, headEnd + 4)])), body: '', ms: performance.now() - started });
      }
    });
    socket.on('error', reject);
    socket.on('end', () => {
      try {
        resolve({ ...parseFirstAnswer(Buffer.concat(chunks)), ms: performance.now() - started });
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    // Written, not ended: a half-closed socket may be closed by the server before it answers.
    socket.write(requestBytes);
  });
}

/** The bytes after any complete interim answers (100 Continue to an Expect header) at their start. */
function skipInterim(all: Buffer): Buffer {
  let bytes = all;
  while (/^HTTP\/1\.[01] 1\d\d /.test(bytes.toString('latin1', 0, 13)) && bytes.indexOf('\r\n\r\n') >= 0) bytes = bytes.subarray(bytes.indexOf('\r\n\r\n') + 4);
  return bytes;
}

function parseFirstAnswer(all: Buffer): Omit<RawAnswer, 'ms'> {
  // An interim answer (100 Continue to an Expect header) comes first: the answer is the one after it.
  const bytes = skipInterim(all);
  const headEnd = bytes.indexOf('\r\n\r\n');
  if (headEnd < 0) throw new Error(`no complete answer: ${JSON.stringify(bytes.toString('latin1', 0, 200))}`);
  const [statusLine = '', ...headerLines] = bytes.toString('latin1', 0, headEnd).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const name = line.slice(0, line.indexOf(':')).toLowerCase();
    const value = line.slice(line.indexOf(':') + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  let rest = bytes.subarray(headEnd + 4);
  let body: Buffer;
  if (headers['transfer-encoding'] === 'chunked') {
    const parts: Buffer[] = [];
    for (;;) {
      const line = rest.indexOf('\r\n');
      const size = parseInt(rest.toString('latin1', 0, line), 16);
      if (!(size > 0)) break;
      parts.push(rest.subarray(line + 2, line + 2 + size));
      rest = rest.subarray(line + 2 + size + 2);
    }
    body = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined) {
    body = rest.subarray(0, Number(headers['content-length']));
  } else {
    body = rest;
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: body.toString('utf8') };
}
