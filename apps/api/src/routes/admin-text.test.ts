// Operator text on the admin API (core's platform/operator-text.ts): a query's text and a key's
// label are normalised to NFC, and refused with a 400 naming the field when they hold control,
// invisible or bidirectional characters, with nothing stored and YouTube never asked. Query
// texts stored before the rule are still safe as metric labels: the exposition parses.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorTextLabel, systemClock } from '@tubefeed/core';
import { createYoutubeSimulator } from '@tubefeed/youtube-sim';
import { useTestApis, type TestApi } from '../testing/test-api.js';

const sim = createYoutubeSimulator({ seed: 41, keys: [{}], maxIndexDelayMs: 0 });
const auth = { authorization: `Basic ${Buffer.from('ops:text-rule-pw').toString('base64')}` };
const apis = useTestApis({ clock: systemClock });
let api: TestApi;

beforeAll(async () => {
  const url = await sim.listen();
  api = await apis.start({ ADMIN_USER: 'ops', ADMIN_PASSWORD: 'text-rule-pw', YOUTUBE_API_KEYS: sim.apiKeys()[0]!, YOUTUBE_API_ROOT: `${url}/` });
});
afterAll(() => sim.close());

async function call(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) {
  const response = await api.app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });
  return { status: response.statusCode, body: response.json<Record<string, unknown>>() };
}

const storedQueries = () => api.db.kysely.selectFrom('search_queries').selectAll().orderBy('id').execute();
const storedKeys = () => api.db.kysely.selectFrom('api_keys').selectAll().orderBy('id').execute();

const REFUSED: ReadonlyArray<readonly [string, string, string]> = [
  ['tea\ntime', 'a line break', 'U+000A at character 4'],
  ['tea\ttime', 'a tab', 'U+0009 at character 4'],
  ['tea\u0000', 'a control character', 'U+0000 at character 4'],
  ['abc\u202Edef', 'a bidirectional control character', 'U+202E at character 4'],
  ['cri\u200Bcket', 'an invisible character', 'U+200B at character 4'],
  ['cri\u200Dcket', 'an invisible zero-width joiner (allowed only between emoji or letters of a script that uses it)', 'U+200D at character 4'],
  ['\u3164', 'an invisible character', 'U+3164 at character 1'],
  ['tea\uE000', 'a private-use character', 'U+E000 at character 4'],
  ['tea\u2028time', 'a line break', 'U+2028 at character 4'],
  ['cats' + '\uFE0F'.repeat(50), 'a variation selector that follows no character it can vary (or a second one)', 'U+FE0F at character 5'],
  ['\u{1F3F4}\u{E0068}\u{E0069}\u{E007F}', 'a tag character (allowed only in the flags of England, Scotland and Wales)', 'U+E0068 at character 2'],
  ['\u2800', 'a blank character (braille pattern blank)', 'U+2800 at character 1'],
];

describe('POST /admin/queries: the text is operator text', () => {
  it.each(REFUSED)('refuses %j with 400 naming text, and stores nothing', async (text, what, where) => {
    const before = await storedQueries();
    const refused = await call('POST', '/admin/queries', { text });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ isError: true, message: `text must not contain ${what}: ${where}` });
    expect(await storedQueries()).toEqual(before);
  });

  it('refuses a text longer than 200 characters after normalisation (one that normalisation lengthens)', async () => {
    // U+0958 (DEVANAGARI LETTER QA) is excluded from composition: NFC spells it with two code points.
    const text = 'क'.repeat(100) + '\u0958'.repeat(100);
    expect([...text]).toHaveLength(200);
    const before = await storedQueries();
    const refused = await call('POST', '/admin/queries', { text });
    expect(refused).toEqual({ status: 400, body: { isError: true, message: 'text must be 1 to 200 characters (it has 300 after normalisation)' } });
    expect(await storedQueries()).toEqual(before);
  });

  it('stores the NFC form, so a decomposed and a composed "café" are one query (201, then 200 with the same id)', async () => {
    const decomposed = await call('POST', '/admin/queries', { text: 'cafe\u0301 au lait' });
    expect(decomposed.status).toBe(201);
    expect(decomposed.body).toMatchObject({ text: 'caf\u00e9 au lait', followed: true });
    const composed = await call('POST', '/admin/queries', { text: '  caf\u00e9\u00a0au   lait ' });
    expect(composed.status).toBe(200);
    expect(composed.body.id).toBe(decomposed.body.id);
    const rows = (await storedQueries()).filter((row) => row.id === decomposed.body.id);
    expect(rows.map((row) => row.text)).toEqual(['caf\u00e9 au lait']);
  });

  it('follows a query with an emoji ZWJ sequence as it was typed', async () => {
    const followed = await call('POST', '/admin/queries', { text: 'coding 👩🏽‍💻 live' });
    expect(followed.status).toBe(201);
    expect(followed.body.text).toBe('coding 👩🏽‍💻 live');
  });

  it('tells queries apart that differ only in an emoji, a skin tone or a CJK Extension B ideograph, yet "Café" and "cafe" stay one', async () => {
    const pairs = [
      ['🐱 videos', '🐶 videos'],
      ['👍🏻 review', '👍🏿 review'],
      ['\u{20000} poem', '\u{20001} poem'],
    ] as const;
    for (const [first, second] of pairs) {
      const a = await call('POST', '/admin/queries', { text: first });
      const b = await call('POST', '/admin/queries', { text: second });
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(b.body.id).not.toBe(a.body.id);
      expect([a.body.text, b.body.text]).toEqual([first, second]);
      expect((await storedQueries()).filter((row) => row.text === first || row.text === second).map((row) => row.text)).toEqual([first, second]);
      // Following again finds each one, not the other.
      expect(await call('POST', '/admin/queries', { text: second })).toMatchObject({ status: 200, body: { id: b.body.id, text: second } });
    }
    const accented = await call('POST', '/admin/queries', { text: 'Café crème' });
    const plain = await call('POST', '/admin/queries', { text: 'cafe creme' });
    expect([accented.status, plain.status]).toEqual([201, 200]);
    expect(plain.body).toMatchObject({ id: accented.body.id, text: 'Café crème' });
  });
});

describe('/admin/keys: the label is operator text', () => {
  it.each(REFUSED)('POST refuses the label %j with 400 naming label, before YouTube is asked, and stores nothing', async (label, what, where) => {
    const key = sim.addKey();
    const before = await storedKeys();
    sim.resetCalls();
    const refused = await call('POST', '/admin/keys', { key, label });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ isError: true, message: `label must not contain ${what}: ${where}` });
    expect(await storedKeys()).toEqual(before);
    expect(sim.calls()).toEqual([]);
  });

  it('POST stores the label normalised; PATCH refuses a bad one, naming label and changing nothing, and normalises a good one', async () => {
    const added = await call('POST', '/admin/keys', { key: sim.addKey(), label: ' e\u0301quipe   A ' });
    expect(added.status).toBe(201);
    expect(added.body.label).toBe('\u00e9quipe A');
    const id = added.body.id as number;
    const before = await storedKeys();
    for (const [label, what, where] of REFUSED) {
      const refused = await call('PATCH', `/admin/keys/${id}`, { label, enabled: false });
      expect(refused.status, label).toBe(400);
      expect(refused.body).toEqual({ isError: true, message: `label must not contain ${what}: ${where}` });
    }
    expect(await storedKeys()).toEqual(before);
    const relabelled = await call('PATCH', `/admin/keys/${id}`, { label: 'team\u3000B 🏏' });
    expect(relabelled.status).toBe(200);
    expect(relabelled.body.label).toBe('team B 🏏');
    expect((await storedKeys()).find((row) => row.id === id)?.label).toBe('team B 🏏');
  });
});

/**
 * The Prometheus text exposition format, strictly: every line is empty, a comment (# HELP / # TYPE) or
 * a sample `name{label="value",...} number`, where a label value is any text but `"`, `\` and a
 * line feed, which appear only escaped. Returns the samples with their label values unescaped.
 */
function parseExposition(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  expect(text.endsWith('\n')).toBe(true);
  const samples: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '' || /^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped))$/.test(line)) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\})? (\S+)$/.exec(line);
    expect(sample, `not an exposition line: ${JSON.stringify(line)}`).not.toBeNull();
    const labels: Record<string, string> = {};
    for (const [, name, value] of sample![2]?.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/g) ?? []) {
      labels[name!] = value!.replace(/\\([\\"n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const value = Number(sample![3]);
    expect(Number.isNaN(value) && sample![3] !== 'NaN', line).toBe(false);
    samples.push({ name: sample![1]!, labels, value });
  }
  return samples;
}

describe('/metrics with query texts stored before the rule', () => {
  it('parses, and labels them with the refused characters replaced', async () => {
    expect((await call('POST', '/admin/queries', { text: 'metrics 👩🏽‍💻 fans' })).status).toBe(201);
    const old = ['old\nquery\r\u2028"quoted" \\ end', 'abc\u202Edef\u200B\u0000\u001b[31m'];
    for (const text of old) {
      await api.db.kysely.insertInto('search_queries').values({ text, enabled: 1, created_at: new Date(), origin: 'admin' }).execute();
    }
    // MySQL kept them exactly as written.
    const stored = await sql<{ text: string }>`SELECT text FROM search_queries WHERE text LIKE 'old%' OR text LIKE 'abc%'`.execute(api.db.kysely);
    expect(stored.rows.map((row) => row.text).sort()).toEqual([...old].sort());

    const response = await api.app.inject({ method: 'GET', url: '/metrics', headers: auth });
    expect(response.statusCode).toBe(200);
    const backlog = parseExposition(response.body).filter((sample) => sample.name === 'tubefeed_fetch_backlog_ranges');
    const labels = backlog.map((sample) => sample.labels.query!);
    expect(labels).toEqual(expect.arrayContaining(['old\ufffdquery\ufffd\ufffd"quoted" \\ end', 'abc\ufffddef\ufffd\ufffd\ufffd[31m']));
    expect(labels).toContain('metrics 👩🏽‍💻 fans'); // followed under the rule: its label is its text
    for (const label of labels) {
      expect(label).toBe(operatorTextLabel(label));
      expect([...label].length).toBeLessThanOrEqual(200);
      expect(label).not.toMatch(/[\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069\u200B]/u);
    }
  });
});
