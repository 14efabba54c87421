// The error catalogue: every body, as the real client receives it, written out here from the
// error table of the project's YouTube notes (not from the simulator's own builders), both as
// one-off answers (`failNext: [{ body }]`) and as persistent key states.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ERROR_BODIES, ERROR_BODY_NAMES, errorBody, KEY_STATES, keyStateBody, type ErrorBodyName } from './index.js';
import { failure, rawGet, startSim, type SimHarness } from './testing/sim-harness.js';

const SERVICE = 'youtube.googleapis.com';
const SEARCH_METHOD = 'youtube.api.v3.V3DataSearchService.List';

const localized = (message: string) => ({ '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message });
const errorInfo = (reason: string, metadata: Record<string, string>) => ({
  '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
  reason,
  domain: 'googleapis.com',
  metadata,
});
/** The usual shape: errors[0] repeats the message; `status` and `details` only where Google sends them. */
const body = (code: number, message: string, item: Record<string, string>, extra: { status?: string; details?: unknown[] } = {}) => ({
  error: { code, message, errors: [{ message, ...item }], ...extra },
});

/** What the document says each body looks like, for a call from 127.0.0.1 with no Referer. */
function expectedBodies(project: string): Record<ErrorBodyName, { status: number; body: unknown }> {
  const quota = 'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.';
  const daily =
    'Daily Limit Exceeded. The quota will be reset at midnight Pacific Time (PT). You may monitor your quota usage and adjust limits in the ' +
    `API Console: https://console.developers.google.com/apis/api/${SERVICE}/quotas?project=${project}`;
  const invalid = 'API key not valid. Please pass a valid API key.';
  const expired = 'API key expired. Please renew the API key.';
  const activation = `https://console.developers.google.com/apis/api/${SERVICE}/overview?project=${project}`;
  const disabled =
    `YouTube Data API v3 has not been used in project ${project} before or it is disabled. Enable it by visiting ${activation} then retry. ` +
    'If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.';
  const serviceBlocked = `Requests to this API ${SERVICE} method ${SEARCH_METHOD} are blocked.`;
  const consumer = { consumer: `projects/${project}`, service: SERVICE };
  const restricted = (message: string, reason: string) =>
    body(403, message, { domain: 'global', reason: 'forbidden' }, { status: 'PERMISSION_DENIED', details: [errorInfo(reason, consumer), localized(message)] });
  const referer = 'Requests from referer <empty> are blocked.';
  const ip = 'The provided API key has an IP address restriction. The originating IP address of the call (127.0.0.1) violates this restriction.';
  const android = 'Requests from this Android client application <empty> are blocked.';
  const ios = 'Requests from this iOS client application <empty> are blocked.';
  const ipReferer =
    'There is a per-IP or per-Referer restriction configured on your API key and the request does not match these restrictions. ' +
    'Please use the Google Developers Console to update your API key configuration if request from this IP or referer should be allowed.';
  const perMinute =
    `Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service '${SERVICE}' for consumer 'project_number:${project}'.`;
  const range = "Invalid value '51'. Values must be within the range: [0, 50]";
  return {
    quotaExceeded: { status: 403, body: body(403, quota, { domain: 'youtube.quota', reason: 'quotaExceeded' }) },
    dailyLimitExceeded: { status: 403, body: body(403, daily, { domain: 'usageLimits', reason: 'dailyLimitExceeded' }) },
    keyMissing: {
      status: 403,
      body: body(403, 'The request is missing a valid API key.', { domain: 'global', reason: 'forbidden' }, { status: 'PERMISSION_DENIED' }),
    },
    keyInvalid: {
      status: 400,
      body: body(
        400,
        invalid,
        { domain: 'global', reason: 'badRequest' },
        { status: 'INVALID_ARGUMENT', details: [errorInfo('API_KEY_INVALID', { service: SERVICE }), localized(invalid)] },
      ),
    },
    keyInvalidLegacy: { status: 400, body: body(400, 'Bad Request', { domain: 'usageLimits', reason: 'keyInvalid' }) },
    keyExpired: {
      status: 400,
      body: body(
        400,
        expired,
        { domain: 'global', reason: 'badRequest' },
        { status: 'INVALID_ARGUMENT', details: [errorInfo('API_KEY_EXPIRED', { service: SERVICE }), localized(expired)] },
      ),
    },
    keyExpiredLegacy: { status: 400, body: body(400, 'Bad Request', { domain: 'usageLimits', reason: 'keyExpired' }) },
    accessNotConfigured: {
      status: 403,
      body: body(
        403,
        disabled,
        { domain: 'usageLimits', reason: 'accessNotConfigured', extendedHelp: 'https://console.developers.google.com' },
        {
          status: 'PERMISSION_DENIED',
          details: [
            errorInfo('SERVICE_DISABLED', { ...consumer, serviceTitle: 'YouTube Data API v3', activationUrl: activation, containerInfo: project }),
            localized(disabled),
            { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Google developers console API activation', url: activation }] },
          ],
        },
      ),
    },
    serviceBlocked: {
      status: 403,
      body: body(
        403,
        serviceBlocked,
        { domain: 'global', reason: 'forbidden' },
        {
          status: 'PERMISSION_DENIED',
          details: [
            errorInfo('API_KEY_SERVICE_BLOCKED', { methodName: SEARCH_METHOD, service: SERVICE, consumer: `projects/${project}`, apiName: SERVICE }),
            localized(serviceBlocked),
          ],
        },
      ),
    },
    refererBlocked: { status: 403, body: restricted(referer, 'API_KEY_HTTP_REFERRER_BLOCKED') },
    ipBlocked: { status: 403, body: restricted(ip, 'API_KEY_IP_ADDRESS_BLOCKED') },
    androidAppBlocked: { status: 403, body: restricted(android, 'API_KEY_ANDROID_APP_BLOCKED') },
    iosAppBlocked: { status: 403, body: restricted(ios, 'API_KEY_IOS_APP_BLOCKED') },
    refererBlockedNoErrors: {
      status: 403,
      body: {
        error: {
          code: 403,
          message: referer,
          status: 'PERMISSION_DENIED',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.Help',
              links: [{ description: 'Google developer console API key', url: `https://console.developers.google.com/project/${project}/apiui/credential` }],
            },
          ],
        },
      },
    },
    ipRefererBlocked: {
      status: 403,
      body: body(403, ipReferer, { domain: 'usageLimits', reason: 'ipRefererBlocked', extendedHelp: 'https://console.developers.google.com' }),
    },
    rateLimitExceeded403: { status: 403, body: body(403, 'Rate Limit Exceeded', { domain: 'global', reason: 'rateLimitExceeded' }) },
    rateLimitExceeded429: {
      status: 429,
      body: body(
        429,
        perMinute,
        { domain: 'global', reason: 'rateLimitExceeded' },
        {
          status: 'RESOURCE_EXHAUSTED',
          details: [
            errorInfo('RATE_LIMIT_EXCEEDED', {
              service: SERVICE,
              consumer: `projects/${project}`,
              quota_metric: `${SERVICE}/default`,
              quota_limit: 'defaultPerMinutePerProject',
              quota_location: 'global',
              quota_limit_value: '180000',
            }),
          ],
        },
      ),
    },
    userRateLimitExceeded403: { status: 403, body: body(403, 'User Rate Limit Exceeded', { domain: 'global', reason: 'userRateLimitExceeded' }) },
    userRateLimitExceeded429: { status: 429, body: body(429, 'User Rate Limit Exceeded', { domain: 'global', reason: 'userRateLimitExceeded' }) },
    backendError500: { status: 500, body: body(500, 'Internal error encountered.', { domain: 'global', reason: 'backendError' }, { status: 'INTERNAL' }) },
    internalError500: { status: 500, body: body(500, 'Internal error encountered.', { domain: 'global', reason: 'internalError' }, { status: 'INTERNAL' }) },
    backendError503: {
      status: 503,
      body: body(503, 'The service is currently unavailable.', { domain: 'global', reason: 'backendError' }, { status: 'UNAVAILABLE' }),
    },
    invalidParameter: {
      status: 400,
      body: body(400, range, { domain: 'youtube.parameter', reason: 'invalidParameter', location: 'maxResults', locationType: 'parameter' }),
    },
    unknown400: {
      status: 400,
      body: body(400, 'The request failed for a reason this client has not seen before.', { domain: 'global', reason: 'somethingNew' }),
    },
    unknown404: {
      status: 404,
      body: body(404, 'Requested entity was not found.', { domain: 'global', reason: 'notFound' }, { status: 'NOT_FOUND' }),
    },
    unknown409: { status: 409, body: { error: { code: 409, message: 'The operation was aborted.', status: 'ABORTED' } } },
  };
}

/** The table rows the document names; an unknown body must name none of them. */
const DOCUMENTED_REASONS = new Set([
  'quotaExceeded',
  'dailyLimitExceeded',
  'badRequest',
  'keyInvalid',
  'keyExpired',
  'accessNotConfigured',
  'forbidden',
  'ipRefererBlocked',
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'internalError',
  'backendError',
  'invalidParameter',
]);

let h: SimHarness;
let project: string;
beforeAll(async () => {
  h = await startSim({ publishIntervalMs: 60_000, historyMs: 3_600_000 });
  project = h.sim.quota()[0]!.projectNumber;
});
afterAll(() => h.close());
beforeEach(() => {
  h.sim.resetCalls();
  for (let i = 0; i < h.sim.apiKeys().length; i++) h.sim.updateKey(i, { state: 'ok', searchCallsUsed: 0 });
});

const search = (key = h.key) =>
  h.client(key).search.list({ part: ['snippet'], q: 'kestrel', type: ['video'], order: 'date', maxResults: 5 }, { retry: false });

describe('the error catalogue', () => {
  it('has a stable name for every body, each with its test below', () => {
    expect(ERROR_BODY_NAMES).toEqual(ERROR_BODIES.map((spec) => spec.name));
    expect(new Set(ERROR_BODY_NAMES).size).toBe(ERROR_BODY_NAMES.length);
    expect([...ERROR_BODY_NAMES].sort()).toEqual(Object.keys(expectedBodies(project)).sort());
  });

  it.each(ERROR_BODY_NAMES)('sends %s as a one-off answer, in the documented shape', async (name) => {
    const expected = expectedBodies(project)[name];
    h.sim.setFaults({ failNext: [{ body: name }] });
    expect(await failure(search())).toEqual({ status: expected.status, data: expected.body });
    expect(errorBody(name, { projectNumber: project, ip: '127.0.0.1' })).toEqual(expected);
    const spec = ERROR_BODIES.find((entry) => entry.name === name)!;
    const data = expected.body as { error: { code: number; errors?: { domain: string; reason: string }[]; details?: { reason?: string }[] } };
    expect(spec.status).toBe(expected.status);
    expect(data.error.code).toBe(expected.status);
    expect(spec.reason).toBe(data.error.errors?.[0]?.reason ?? null);
    expect(spec.domain).toBe(data.error.errors?.[0]?.domain ?? null);
    expect(spec.detailReason).toBe(data.error.details?.find((detail) => detail.reason !== undefined)?.reason ?? null);
    // What the call cost follows the catalogue's word for it.
    expect(h.sim.calls()).toEqual([expect.objectContaining({ status: expected.status, units: spec.bucketCharged ? 1 : 0 })]);
    expect(h.sim.quota()[0]!.search.used).toBe(spec.bucketCharged ? 1 : 0);
  });

  it('classifies the bodies as the document does', () => {
    const kinds = Object.fromEntries(ERROR_BODIES.map((spec) => [spec.name, spec.kind]));
    expect(kinds).toEqual({
      quotaExceeded: 'quota',
      dailyLimitExceeded: 'quota',
      keyMissing: 'key',
      keyInvalid: 'key',
      keyInvalidLegacy: 'key',
      keyExpired: 'key',
      keyExpiredLegacy: 'key',
      accessNotConfigured: 'key',
      serviceBlocked: 'key',
      refererBlocked: 'key',
      ipBlocked: 'key',
      androidAppBlocked: 'key',
      iosAppBlocked: 'key',
      refererBlockedNoErrors: 'key',
      ipRefererBlocked: 'key',
      rateLimitExceeded403: 'rateLimit',
      rateLimitExceeded429: 'rateLimit',
      userRateLimitExceeded403: 'rateLimit',
      userRateLimitExceeded429: 'rateLimit',
      backendError500: 'server',
      internalError500: 'server',
      backendError503: 'server',
      invalidParameter: 'parameter',
      unknown400: 'unknown',
      unknown404: 'unknown',
      unknown409: 'unknown',
    });
    for (const spec of ERROR_BODIES) {
      expect(spec.bucketCharged).toBe(spec.kind !== 'quota' && spec.kind !== 'key');
      if (spec.kind === 'unknown') {
        expect(spec.status >= 400 && spec.status < 500).toBe(true);
        expect(spec.reason === null || !DOCUMENTED_REASONS.has(spec.reason)).toBe(true);
      }
    }
  });

  it('answers every call of a key in a refused state with its body, free of charge', async () => {
    const refusedStates = KEY_STATES.filter((state) => state !== 'ok');
    expect(new Set(refusedStates.map((state) => keyStateBody(state)))).toEqual(
      new Set(ERROR_BODIES.filter((spec) => spec.keyState !== null).map((spec) => spec.name)),
    );
    expect(keyStateBody('ok')).toBeUndefined();
    const keyProject = h.sim.quota()[1]!.projectNumber;
    const expected = expectedBodies(keyProject);
    const key = h.sim.apiKeys()[1]!;
    for (const state of refusedStates) {
      h.sim.updateKey(1, { state });
      const name = keyStateBody(state)!;
      const { status, body: data } = expected[name];
      expect(await failure(search(key))).toEqual({ status, data });
      expect(await failure(search(key))).toEqual({ status, data });
    }
    expect(h.sim.calls().every((call) => call.units === 0 && call.bucket === null)).toBe(true);
    expect(h.sim.quota()[1]).toMatchObject({ search: { used: 0 }, units: { used: 0 } });
    h.sim.updateKey(1, { state: 'ok' });
    expect((await search(key)).status).toBe(200);
  });

  it('quotes the Referer and the caller address a restricted key was refused for', async () => {
    h.sim.updateKey(0, { state: 'refererBlocked' });
    const response = await rawGet(h.baseUrl, `/youtube/v3/search?part=snippet&q=kestrel&key=${h.key}`, { referer: 'https://example.org/page' });
    expect(response.body).toMatchObject({ error: { message: 'Requests from referer https://example.org/page are blocked.' } });
  });

  it('refuses an unknown body name', async () => {
    expect(() => h.sim.setFaults({ failNext: [{ body: 'noSuchBody' as ErrorBodyName }] })).toThrow(RangeError);
    const response = await fetch(`${h.baseUrl}/__sim/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ failNext: [{ body: 'noSuchBody' }] }),
    });
    expect(response.status).toBe(400);
  });
});
