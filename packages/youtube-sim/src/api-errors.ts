// The error bodies the real YouTube Data API sends, byte for byte where they are known (see
// /work/shared/youtube-api.md). Client code decides what to do with a key from
// `error.errors[0].reason` and sometimes from `error.details[0].reason`, so the exact shape
// (including which bodies carry `status` and `details`, and the one that has no `errors` array at
// all) matters more than the prose. The named catalogue of these bodies is error-catalogue.ts.

export interface ErrorItem {
  message: string;
  domain?: string;
  reason: string;
  location?: string;
  locationType?: string;
  extendedHelp?: string;
}

export interface ApiResponse {
  status: number;
  body: unknown;
  /** `errors[0].reason` for errors (null for a body without `errors`), for the call log. */
  reason: string | null;
  /** Items in a successful list answer, for the call log. */
  results?: number;
  /** Ids of the videos a successful search.list answer listed, for the call log. */
  videoIds?: string[];
}

export function isApiResponse(value: unknown): value is ApiResponse {
  return typeof value === 'object' && value !== null && 'status' in value && 'body' in value && 'reason' in value;
}

const SERVICE = 'youtube.googleapis.com';

function errorResponse(
  code: number,
  message: string,
  item: Omit<ErrorItem, 'message'>,
  extra: { status?: string; details?: unknown[] } = {},
): ApiResponse {
  return {
    status: code,
    reason: item.reason,
    body: { error: { code, message, errors: [{ message, ...item }], ...extra } },
  };
}

function parameterError(code: number, message: string, domain: string, reason: string, location: string): ApiResponse {
  return errorResponse(code, message, { domain, reason, location, locationType: 'parameter' });
}

function localized(message: string) {
  return { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message };
}

export function requiredParameter(name: string): ApiResponse {
  return parameterError(400, `Required parameter: ${name}`, 'global', 'required', name);
}

export function unknownPart(value: string): ApiResponse {
  return parameterError(400, `'${value}'`, 'youtube.part', 'unknownPart', 'part');
}

export function invalidParameter(location: string, message: string): ApiResponse {
  return parameterError(400, message, 'youtube.parameter', 'invalidParameter', location);
}

export function invalidRange(location: string, value: string, min: number, max: number): ApiResponse {
  return invalidParameter(location, `Invalid value '${value}'. Values must be within the range: [${min}, ${max}]`);
}

export function invalidEnum(location: string, value: string, allowed: readonly string[]): ApiResponse {
  return invalidParameter(location, `Invalid string value: '${value}'. Allowed values: [${allowed.join(', ')}]`);
}

export function invalidPageToken(): ApiResponse {
  return parameterError(400, 'The request specifies an invalid page token.', 'youtube.parameter', 'invalidPageToken', 'pageToken');
}

export function invalidTimestamp(parameter: 'publishedAfter' | 'publishedBefore'): ApiResponse {
  const field = parameter === 'publishedAfter' ? 'published_after' : 'published_before';
  const message =
    `Invalid value at '${field}' (type.googleapis.com/google.protobuf.Timestamp), Field '${field}', ` +
    "Illegal timestamp format; timestamps must end with 'Z' or have a valid timezone offset.";
  const reason = parameter === 'publishedAfter' ? 'invalidPublishedAfter' : 'invalidPublishedBefore';
  return parameterError(400, message, 'youtube.search', reason, parameter);
}

export function invalidSearchFilter(): ApiResponse {
  const code = (text: string) => `<code>${text}</code>`;
  const message =
    'The request contains an invalid combination of search filters and/or restrictions. Note that you must set the ' +
    `${code('type')} parameter to ${code('video')} if you set either the ${code('forContentOwner')} or ` +
    `${code('forMine')} parameters to ${code('true')}. You must also set the ${code('type')} parameter to ` +
    `${code('video')} if you set a value for the ${code('eventType')}, ${code('videoCaption')}, ` +
    `${code('videoCategoryId')}, ${code('videoDefinition')}, ${code('videoDimension')}, ${code('videoDuration')}, ` +
    `${code('videoEmbeddable')}, ${code('videoLicense')}, ${code('videoSyndicated')}, or ${code('videoType')} parameters.`;
  return errorResponse(400, message, { domain: 'youtube.search', reason: 'invalidSearchFilter', location: '', locationType: 'parameter' });
}

/** A list method called without any of its filter parameters (`filters` in YouTube's alphabetical order). */
export function missingFilter(filters: readonly string[]): ApiResponse {
  return errorResponse(400, `No filter selected. Expected one of: ${filters.join(', ')}`, {
    domain: 'youtube.parameter',
    reason: 'missingRequiredParameter',
    location: 'parameters.',
    locationType: 'other',
  });
}

export function missingVideoFilter(): ApiResponse {
  return missingFilter(['chart', 'id', 'myRating']);
}

/** playlistItems.list for a playlist that does not exist (or that an API key may not see). */
export function playlistNotFound(): ApiResponse {
  const message = "The playlist identified with the request's <code>playlistId</code> parameter cannot be found.";
  return parameterError(404, message, 'youtube.playlistItem', 'playlistNotFound', 'playlistId');
}

/** More ids than a list method takes in one call (50). */
export function tooManyIds(location: string, max: number): ApiResponse {
  return invalidParameter(location, `The <code>${location}</code> parameter specifies more than ${max} ids.`);
}

export function incompatibleParameters(names: readonly string[]): ApiResponse {
  return errorResponse(400, `Incompatible parameters specified in the request: ${names.join(', ')}`, {
    domain: 'youtube.parameter',
    reason: 'incompatibleParameters',
    location: 'parameters.',
    locationType: 'other',
  });
}

export function loginRequired(): ApiResponse {
  return errorResponse(401, 'Login Required.', { domain: 'global', reason: 'required', location: 'Authorization', locationType: 'header' });
}

export function missingApiKey(): ApiResponse {
  return errorResponse(
    403,
    'The request is missing a valid API key.',
    { domain: 'global', reason: 'forbidden' },
    { status: 'PERMISSION_DENIED' },
  );
}

/**
 * A key YouTube refuses, in today's form: `errors[0]` says only badRequest (400) or forbidden
 * (403); the ErrorInfo in `details` names what is wrong with the key.
 */
function keyRefused(code: 400 | 403, message: string, detailReason: string, metadata: Record<string, string>): ApiResponse {
  return errorResponse(
    code,
    message,
    { domain: 'global', reason: code === 400 ? 'badRequest' : 'forbidden' },
    {
      status: code === 400 ? 'INVALID_ARGUMENT' : 'PERMISSION_DENIED',
      details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: detailReason, domain: 'googleapis.com', metadata }, localized(message)],
    },
  );
}

function badKey(message: string, detailReason: 'API_KEY_INVALID' | 'API_KEY_EXPIRED'): ApiResponse {
  return keyRefused(400, message, detailReason, { service: SERVICE });
}

export function invalidApiKey(): ApiResponse {
  return badKey('API key not valid. Please pass a valid API key.', 'API_KEY_INVALID');
}

export function apiKeyServiceBlocked(methodName: string, projectNumber: string): ApiResponse {
  const message = `Requests to this API ${SERVICE} method ${methodName} are blocked.`;
  return keyRefused(403, message, 'API_KEY_SERVICE_BLOCKED', { methodName, service: SERVICE, consumer: `projects/${projectNumber}`, apiName: SERVICE });
}

export function accessNotConfigured(projectNumber: string): ApiResponse {
  const activationUrl = `https://console.developers.google.com/apis/api/${SERVICE}/overview?project=${projectNumber}`;
  const message =
    `YouTube Data API v3 has not been used in project ${projectNumber} before or it is disabled. Enable it by visiting ` +
    `${activationUrl} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.`;
  return errorResponse(
    403,
    message,
    { domain: 'usageLimits', reason: 'accessNotConfigured', extendedHelp: 'https://console.developers.google.com' },
    {
      status: 'PERMISSION_DENIED',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'SERVICE_DISABLED',
          domain: 'googleapis.com',
          metadata: {
            consumer: `projects/${projectNumber}`,
            service: SERVICE,
            serviceTitle: 'YouTube Data API v3',
            activationUrl,
            containerInfo: projectNumber,
          },
        },
        localized(message),
        {
          '@type': 'type.googleapis.com/google.rpc.Help',
          links: [{ description: 'Google developers console API activation', url: activationUrl }],
        },
      ],
    },
  );
}

export function quotaExceeded(): ApiResponse {
  return errorResponse(
    403,
    'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.',
    { domain: 'youtube.quota', reason: 'quotaExceeded' },
  );
}

/** The older wording of an exhausted daily quota, still seen from some projects. */
export function dailyLimitExceeded(projectNumber: string): ApiResponse {
  const message =
    'Daily Limit Exceeded. The quota will be reset at midnight Pacific Time (PT). You may monitor your quota usage ' +
    `and adjust limits in the API Console: https://console.developers.google.com/apis/api/${SERVICE}/quotas?project=${projectNumber}`;
  return errorResponse(403, message, { domain: 'usageLimits', reason: 'dailyLimitExceeded' });
}

/** The older body for a deleted or mistyped key: no status, no details. */
export function keyInvalidLegacy(): ApiResponse {
  return errorResponse(400, 'Bad Request', { domain: 'usageLimits', reason: 'keyInvalid' });
}

export function keyExpired(): ApiResponse {
  return badKey('API key expired. Please renew the API key.', 'API_KEY_EXPIRED');
}

/** The older body for an expired key. */
export function keyExpiredLegacy(): ApiResponse {
  return errorResponse(400, 'Bad Request', { domain: 'usageLimits', reason: 'keyExpired' });
}

/** The four application restrictions a key can carry, and what Google says when a call breaks one. */
export type KeyRestriction = 'referer' | 'ip' | 'android' | 'ios';

const RESTRICTION_REASONS: Record<KeyRestriction, string> = {
  referer: 'API_KEY_HTTP_REFERRER_BLOCKED',
  ip: 'API_KEY_IP_ADDRESS_BLOCKED',
  android: 'API_KEY_ANDROID_APP_BLOCKED',
  ios: 'API_KEY_IOS_APP_BLOCKED',
};

export interface CallOrigin {
  /** The Referer header, if any ("<empty>" in messages when absent). */
  referer?: string;
  /** The caller's address as the server saw it. */
  ip?: string;
}

function restrictionMessage(restriction: KeyRestriction, origin: CallOrigin): string {
  switch (restriction) {
    case 'referer':
      return `Requests from referer ${origin.referer ?? '<empty>'} are blocked.`;
    case 'ip':
      return (
        'The provided API key has an IP address restriction. The originating IP address of the call ' +
        `(${origin.ip ?? '0.0.0.0'}) violates this restriction.`
      );
    case 'android':
      return 'Requests from this Android client application <empty> are blocked.';
    case 'ios':
      return 'Requests from this iOS client application <empty> are blocked.';
  }
}

/** A key restricted to other referrers, addresses or apps: 403 forbidden with the ErrorInfo reason naming the restriction. */
export function keyRestricted(restriction: KeyRestriction, projectNumber: string, origin: CallOrigin = {}): ApiResponse {
  return keyRefused(403, restrictionMessage(restriction, origin), RESTRICTION_REASONS[restriction], { consumer: `projects/${projectNumber}`, service: SERVICE });
}

/**
 * The older referrer refusal seen in the wild: no `errors` array at all, only a Help link.
 * Code that reads `error.errors[0].reason` without a guard crashes on it.
 */
export function refererBlockedNoErrors(projectNumber: string, origin: CallOrigin = {}): ApiResponse {
  const message = `Requests from referer ${origin.referer ?? '<empty>'} are blocked.`;
  return {
    status: 403,
    reason: null,
    body: {
      error: {
        code: 403,
        message,
        status: 'PERMISSION_DENIED',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.Help',
            links: [
              {
                description: 'Google developer console API key',
                url: `https://console.developers.google.com/project/${projectNumber}/apiui/credential`,
              },
            ],
          },
        ],
      },
    },
  };
}

/** The legacy per-IP / per-Referer refusal. */
export function ipRefererBlocked(): ApiResponse {
  const message =
    'There is a per-IP or per-Referer restriction configured on your API key and the request does not match these ' +
    'restrictions. Please use the Google Developers Console to update your API key configuration if request from this IP ' +
    'or referer should be allowed.';
  return errorResponse(403, message, { domain: 'usageLimits', reason: 'ipRefererBlocked', extendedHelp: 'https://console.developers.google.com' });
}

export function backendError(status: 500 | 503): ApiResponse {
  return status === 503
    ? errorResponse(503, 'The service is currently unavailable.', { domain: 'global', reason: 'backendError' }, { status: 'UNAVAILABLE' })
    : errorResponse(500, 'Internal error encountered.', { domain: 'global', reason: 'backendError' }, { status: 'INTERNAL' });
}

export function internalError(): ApiResponse {
  return errorResponse(500, 'Internal error encountered.', { domain: 'global', reason: 'internalError' }, { status: 'INTERNAL' });
}

export function userRateLimitExceeded(status: 403 | 429): ApiResponse {
  return errorResponse(status, 'User Rate Limit Exceeded', { domain: 'global', reason: 'userRateLimitExceeded' });
}

export function rateLimitExceeded(status: 403 | 429, projectNumber: string): ApiResponse {
  if (status === 403) return errorResponse(403, 'Rate Limit Exceeded', { domain: 'global', reason: 'rateLimitExceeded' });
  const message =
    "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service " +
    `'${SERVICE}' for consumer 'project_number:${projectNumber}'.`;
  return errorResponse(
    429,
    message,
    { domain: 'global', reason: 'rateLimitExceeded' },
    {
      status: 'RESOURCE_EXHAUSTED',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'RATE_LIMIT_EXCEEDED',
          domain: 'googleapis.com',
          metadata: {
            service: SERVICE,
            consumer: `projects/${projectNumber}`,
            quota_metric: `${SERVICE}/default`,
            quota_limit: 'defaultPerMinutePerProject',
            quota_location: 'global',
            quota_limit_value: '180000',
          },
        },
      ],
    },
  );
}

/** Answers no row of the documented table names: a client must not treat them as transient forever. */
export function unknownError(status: 400 | 404 | 409): ApiResponse {
  switch (status) {
    case 400:
      return errorResponse(400, 'The request failed for a reason this client has not seen before.', { domain: 'global', reason: 'somethingNew' });
    case 404:
      return errorResponse(404, 'Requested entity was not found.', { domain: 'global', reason: 'notFound' }, { status: 'NOT_FOUND' });
    case 409:
      return { status: 409, reason: null, body: { error: { code: 409, message: 'The operation was aborted.', status: 'ABORTED' } } };
  }
}
