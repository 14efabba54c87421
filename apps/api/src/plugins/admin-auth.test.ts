// Admin credentials: every wrong answer looks the same, repeated failures lock the client out
// (across API processes, right password included, until the window ends), only failures count,
// the log says who failed but never with what, and Redis away switches the lockout off, not the
// credentials check.
import { describe, expect, it } from 'vitest';
import { systemClock } from '@tubefeed/core';
import { sleep } from '@tubefeed/core/testing';
import { captureLog } from '../testing/log-capture.js';
import { useTestApis, type TestApi } from '../testing/test-api.js';

const USER = 'ops';
const PASSWORD = 'correct horse battery';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const RIGHT = { authorization: basic(USER, PASSWORD) };
const WRONG_PASSWORD = { authorization: basic(USER, 'hunter2-wrong-pw') };

const { start, replica } = useTestApis({ clock: systemClock, env: { ADMIN_USER: USER, ADMIN_PASSWORD: PASSWORD } });

const request = (api: TestApi, headers: Record<string, string>, remoteAddress = '127.0.0.1', url = '/admin/queries') =>
  api.app.inject({ method: 'GET', url, headers, remoteAddress });

describe('admin credentials', () => {
  it('answer wrong user, wrong password, malformed and missing credentials identically', async () => {
    // No lockout here: this test makes many failures on purpose.
    const api = await start({ ADMIN_AUTH_MAX_FAILURES: '0' });
    const attempts: Record<string, Record<string, string>> = {
      missing: {},
      'wrong user': { authorization: basic('admin', PASSWORD) },
      'wrong password': WRONG_PASSWORD,
      'right password with a space': { authorization: basic(USER, `${PASSWORD} `) },
      'no colon': { authorization: `Basic ${Buffer.from(USER + PASSWORD).toString('base64')}` },
      'other scheme': { authorization: `Bearer ${PASSWORD}` },
      'not base64': { authorization: 'Basic ***' },
      empty: { authorization: '' },
    };
    for (const url of ['/admin/queries', '/admin/keys', '/admin/queues', '/admin/queues/api/queues', '/metrics']) {
      const answers = new Map<string, string>();
      for (const [name, headers] of Object.entries(attempts)) {
        const response = await request(api, headers, '127.0.0.1', url);
        const { date: _date, ...rest } = response.headers;
        answers.set(name, JSON.stringify({ status: response.statusCode, headers: rest, body: response.body }));
      }
      expect(new Set(answers.values()).size, url).toBe(1);
      const [first] = answers.values();
      expect(JSON.parse(first!)).toMatchObject({
        status: 401,
        headers: { 'www-authenticate': 'Basic realm="tubefeed admin", charset="UTF-8"' },
        body: JSON.stringify({ isError: true, message: 'Admin credentials required' }),
      });
      expect((await request(api, RIGHT, '127.0.0.1', url)).statusCode, url).toBe(200);
    }
    const token = RIGHT.authorization.slice('Basic '.length);
    for (const authorization of [`basic ${token}`, `BASIC ${token}`]) {
      expect((await request(api, { authorization })).statusCode, authorization.slice(0, 5)).toBe(200);
    }
  });

  it('lock a client out after 10 failures (the default), right password included, until the window ends', async () => {
    const api = await start();
    // Successes and requests without credentials (a browser asking for the prompt) never count.
    for (let i = 0; i < 15; i++) expect((await request(api, RIGHT)).statusCode).toBe(200);
    for (let i = 0; i < 15; i++) expect((await request(api, {})).statusCode).toBe(401);
    for (let i = 0; i < 9; i++) expect((await request(api, WRONG_PASSWORD)).statusCode).toBe(401);
    expect((await request(api, RIGHT)).statusCode).toBe(200);
    expect((await request(api, { authorization: basic('root', 'toor') })).statusCode).toBe(401);

    const locked = await request(api, RIGHT);
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toEqual({ isError: true, message: expect.stringMatching(/^Too many failed admin logins from this address; try again in \d+ s\.$/) as string });
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(290);
    expect(retryAfter).toBeLessThanOrEqual(300);
    // Every admin surface, every kind of request.
    for (const url of ['/admin/keys', '/admin/queues', '/metrics']) expect((await request(api, RIGHT, '127.0.0.1', url)).statusCode, url).toBe(429);
    expect((await request(api, {})).statusCode).toBe(429);
    // Another address is not locked out; the public API is not affected.
    expect((await request(api, RIGHT, '192.0.2.44')).statusCode).toBe(200);
    expect((await api.app.inject({ method: 'GET', url: '/videos' })).statusCode).toBe(200);
  });

  it('lift the lockout when the window ends', async () => {
    const api = await start({ ADMIN_AUTH_MAX_FAILURES: '2', ADMIN_AUTH_WINDOW_MS: '1000' });
    for (let i = 0; i < 2; i++) expect((await request(api, WRONG_PASSWORD)).statusCode).toBe(401);
    const locked = await request(api, RIGHT);
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['retry-after']).toBe('1');
    await sleep(1100);
    expect((await request(api, RIGHT)).statusCode).toBe(200);
  });

  it('count failures across API processes', async () => {
    const a = await start({ ADMIN_AUTH_MAX_FAILURES: '4' });
    const b = await replica(a);
    for (const api of [a, b, a, b]) expect((await request(api, WRONG_PASSWORD, '198.51.100.20')).statusCode).toBe(401);
    expect((await request(a, RIGHT, '198.51.100.20')).statusCode).toBe(429);
    expect((await request(b, RIGHT, '198.51.100.20')).statusCode).toBe(429);
  });

  it('log each failure with the client address, never the user or password given', async () => {
    const captured = captureLog('info');
    const api = await start({ ADMIN_AUTH_MAX_FAILURES: '2' }, captured.log);
    const given = { authorization: basic('mallory-user', 'hunter2-wrong-pw') };
    await request(api, given, '203.0.113.5');
    await request(api, given, '203.0.113.5');
    await request(api, given, '203.0.113.5');
    const failures = captured.lines.filter((line) => line.msg === 'admin login failed');
    expect(failures.map((line) => [line.client, line.failures, line.limit])).toEqual([
      ['203.0.113.5', 1, 2],
      ['203.0.113.5', 2, 2],
    ]);
    const text = captured.text();
    for (const secret of ['mallory-user', 'hunter2-wrong-pw', given.authorization.slice(6), PASSWORD]) expect(text).not.toContain(secret);
  });

  it('with Redis away, still check credentials and answer them, without a lockout, and say so', async () => {
    const captured = captureLog('warn');
    const api = await start({ ADMIN_AUTH_MAX_FAILURES: '1', REDIS_URL: 'redis://127.0.0.1:1' }, captured.log);
    for (let i = 0; i < 3; i++) expect((await request(api, WRONG_PASSWORD)).statusCode).toBe(401);
    expect((await request(api, RIGHT)).statusCode).toBe(200);
    expect(captured.lines.some((line) => line.msg === 'admin login failure limit unavailable; not applied')).toBe(true);
  });
});
