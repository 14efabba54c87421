import { describe, expect, it } from 'vitest';
import { classifyYoutubeError, neverReachedYoutube } from './youtube-errors.js';

// Error bodies as YouTube sends them (shared/youtube-api.md), wrapped the way gaxios throws.
const gaxiosError = (status: number, body: unknown) => ({
  name: 'GaxiosError',
  status,
  message: 'Request failed',
  config: { url: 'https://youtube.googleapis.com/youtube/v3/search?key=SECRET-KEY-1234567890&q=x' },
  response: { status, data: body },
});

const QUOTA = {
  error: {
    code: 403,
    message: 'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.',
    errors: [{ message: 'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.', domain: 'youtube.quota', reason: 'quotaExceeded' }],
  },
};
const INVALID_KEY = {
  error: {
    code: 400,
    message: 'API key not valid. Please pass a valid API key.',
    errors: [{ message: 'API key not valid. Please pass a valid API key.', domain: 'global', reason: 'badRequest' }],
    status: 'INVALID_ARGUMENT',
    details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'youtube.googleapis.com' } }],
  },
};
const body = (code: number, domain: string, reason: string, extra: object = {}) => ({
  error: { code, message: reason, errors: [{ message: reason, domain, reason }], ...extra },
});

describe('classifyYoutubeError', () => {
  it.each([
    ['quotaExceeded', gaxiosError(403, QUOTA), 'quota', 'quotaExceeded'],
    ['dailyLimitExceeded', gaxiosError(403, body(403, 'usageLimits', 'dailyLimitExceeded')), 'quota', 'dailyLimitExceeded'],
    ['API_KEY_INVALID', gaxiosError(400, INVALID_KEY), 'rejected', 'API_KEY_INVALID'],
    ['keyInvalid (older form)', gaxiosError(400, body(400, 'usageLimits', 'keyInvalid')), 'rejected', 'keyInvalid'],
    [
      'accessNotConfigured',
      gaxiosError(403, body(403, 'usageLimits', 'accessNotConfigured', { status: 'PERMISSION_DENIED', details: [{ reason: 'SERVICE_DISABLED' }] })),
      'rejected',
      'SERVICE_DISABLED',
    ],
    [
      'key blocked',
      gaxiosError(403, body(403, 'global', 'forbidden', { status: 'PERMISSION_DENIED', details: [{ reason: 'API_KEY_SERVICE_BLOCKED' }] })),
      'rejected',
      'API_KEY_SERVICE_BLOCKED',
    ],
    ['rateLimitExceeded 403', gaxiosError(403, body(403, 'global', 'rateLimitExceeded')), 'transient', 'rateLimitExceeded'],
    ['userRateLimitExceeded 429', gaxiosError(429, body(429, 'usageLimits', 'userRateLimitExceeded')), 'transient', 'userRateLimitExceeded'],
    ['backendError 503', gaxiosError(503, body(503, 'global', 'backendError')), 'transient', 'backendError'],
    ['internalError 500', gaxiosError(500, body(500, 'global', 'internalError')), 'transient', 'internalError'],
    ['invalidParameter', gaxiosError(400, body(400, 'youtube.parameter', 'invalidParameter')), 'request', 'invalidParameter'],
    ['a 403 with an HTML body (a proxy)', gaxiosError(403, '<html>Forbidden</html>'), 'unknown', 'unknown'],
    ['a bare forbidden 403', gaxiosError(403, body(403, 'global', 'forbidden')), 'unknown', 'forbidden'],
    ['an unknown 400 reason', gaxiosError(400, body(400, 'global', 'somethingNew')), 'unknown', 'somethingNew'],
    ['a 404', gaxiosError(404, body(404, 'global', 'notFound')), 'unknown', 'notFound'],
    [
      'expired key',
      gaxiosError(400, body(400, 'global', 'badRequest', { status: 'INVALID_ARGUMENT', details: [{ reason: 'API_KEY_EXPIRED' }] })),
      'rejected',
      'API_KEY_EXPIRED',
    ],
    ['expired key (older form)', gaxiosError(400, body(400, 'usageLimits', 'keyExpired')), 'rejected', 'keyExpired'],
    [
      'key restricted to other referrers',
      gaxiosError(403, body(403, 'global', 'forbidden', { status: 'PERMISSION_DENIED', details: [{ reason: 'API_KEY_HTTP_REFERRER_BLOCKED' }] })),
      'rejected',
      'API_KEY_HTTP_REFERRER_BLOCKED',
    ],
    [
      'key restricted to other apps',
      gaxiosError(403, body(403, 'global', 'forbidden', { status: 'PERMISSION_DENIED', details: [{ reason: 'API_KEY_ANDROID_APP_BLOCKED' }] })),
      'rejected',
      'API_KEY_ANDROID_APP_BLOCKED',
    ],
    [
      'referrer restriction, older form without errors[]',
      gaxiosError(403, {
        error: {
          code: 403,
          message: 'Requests from referer <empty> are blocked.',
          status: 'PERMISSION_DENIED',
          details: [{ '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Google developer console API key', url: 'https://console.developers.google.com/project/1/apiui/credential' }] }],
        },
      }),
      'rejected',
      'PERMISSION_DENIED',
    ],
    ['ipRefererBlocked (legacy)', gaxiosError(403, body(403, 'usageLimits', 'ipRefererBlocked')), 'rejected', 'ipRefererBlocked'],
    [
      'rate limit 429 with ErrorInfo',
      gaxiosError(429, body(429, 'global', 'rateLimitExceeded', { status: 'RESOURCE_EXHAUSTED', details: [{ reason: 'RATE_LIMIT_EXCEEDED' }] })),
      'transient',
      'RATE_LIMIT_EXCEEDED',
    ],
    ['invalidPageToken', gaxiosError(400, body(400, 'youtube.parameter', 'invalidPageToken')), 'request', 'invalidPageToken'],
    ['timeout', { name: 'AbortError', message: 'The operation was aborted due to timeout' }, 'transient', 'timeout'],
    ["gaxios's own timeout", { name: 'Error', message: 'The operation was aborted.', cause: { name: 'AbortError' } }, 'transient', 'timeout'],
    ['connection refused', { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' }, 'transient', 'ECONNREFUSED'],
    ['connection dropped after the request was sent', { code: 'ECONNRESET', message: 'socket hang up' }, 'transient', 'ECONNRESET'],
  ])('%s', (_name, error, kind, reason) => {
    const classified = classifyYoutubeError(error);
    expect(classified.kind).toBe(kind);
    expect(classified.reason).toBe(reason);
  });

  it('refunds only calls that surely never reached YouTube: a dropped connection may have been charged', () => {
    expect(neverReachedYoutube(classifyYoutubeError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' }))).toBe(true);
    expect(neverReachedYoutube(classifyYoutubeError({ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND youtube.googleapis.com' }))).toBe(true);
    expect(neverReachedYoutube(classifyYoutubeError({ code: 'ECONNRESET', message: 'socket hang up' }))).toBe(false);
    expect(neverReachedYoutube(classifyYoutubeError({ name: 'AbortError', message: 'The operation was aborted due to timeout' }))).toBe(false);
    expect(neverReachedYoutube(classifyYoutubeError(gaxiosError(503, body(503, 'global', 'backendError'))))).toBe(false);
  });

  it('keeps the key and the request URL out of the error, and strips HTML from messages', () => {
    const classified = classifyYoutubeError(gaxiosError(403, QUOTA));
    const everything = `${classified.message} ${JSON.stringify(classified)} ${String(classified.stack)}`;
    expect(everything).not.toContain('SECRET-KEY');
    expect(everything).not.toContain('key=');
    expect(classified.message).toBe(
      'YouTube quota exceeded (HTTP 403, quotaExceeded): The request cannot be completed because you have exceeded your quota.',
    );
  });
});
