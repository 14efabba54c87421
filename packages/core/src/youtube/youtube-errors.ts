// What a failed YouTube call means for the caller, decided from the HTTP status and the
// `errors[0].reason` of the real error bodies (see shared/youtube-api.md):
//   quota     the key's daily quota is spent: unusable until the next Pacific midnight
//   rejected  the key is invalid, expired, blocked or the API is not enabled: unusable until
//             an operator acts
//   transient rate limit, 5xx, timeout, network: back off and retry, the key is fine
//   request   invalidParameter and other 4xx: a bug on our side, retrying cannot help
// Errors carry no key and no request URL (gaxios puts `key=` in `err.config.url`).
export type YoutubeErrorKind = 'quota' | 'rejected' | 'transient' | 'request';

export class YoutubeApiError extends Error {
  constructor(
    readonly kind: YoutubeErrorKind,
    readonly status: number | null,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'YoutubeApiError';
  }
}

/** Every usable key is out of quota: no call can be made before `resetAt`. */
export class QuotaExhaustedError extends Error {
  constructor(readonly resetAt: Date) {
    super(`every YouTube API key is out of quota until ${resetAt.toISOString()}`);
    this.name = 'QuotaExhaustedError';
  }
}

/** No key can be used at all: none configured, or all disabled by an operator or by YouTube. */
export class NoUsableKeyError extends Error {
  constructor(readonly state: 'no_keys' | 'keys_disabled') {
    super(state === 'no_keys' ? 'no YouTube API key is configured' : 'every YouTube API key is disabled');
    this.name = 'NoUsableKeyError';
  }
}

const QUOTA_REASONS = new Set(['quotaExceeded', 'dailyLimitExceeded', 'dailyLimitExceededUnreg']);
const REJECTED_REASONS = new Set([
  'keyInvalid',
  'keyExpired',
  'API_KEY_INVALID',
  'API_KEY_EXPIRED',
  'API_KEY_SERVICE_BLOCKED',
  'API_KEY_HTTP_REFERRER_BLOCKED',
  'API_KEY_IP_ADDRESS_BLOCKED',
  'accessNotConfigured',
  'SERVICE_DISABLED',
  'ipRefererBlocked',
]);
const TRANSIENT_REASONS = new Set([
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'RATE_LIMIT_EXCEEDED',
  'backendError',
  'internalError',
]);

interface ErrorBody {
  error?: {
    code?: number;
    message?: string;
    status?: string;
    errors?: Array<{ reason?: string; domain?: string; message?: string }>;
    details?: Array<{ reason?: string }>;
  };
}

/** Failures before a request reached YouTube: it charged nothing for them. */
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** True when the call never reached YouTube (no connection), so no quota was spent on it. */
export function neverReachedYoutube(error: YoutubeApiError): boolean {
  return error.status === null && NEVER_SENT_CODES.has(error.reason);
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED']);

/** Classifies anything a client call threw. Reads only the shape, never `instanceof` gaxios. */
export function classifyYoutubeError(error: unknown): YoutubeApiError {
  if (error instanceof YoutubeApiError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    status?: number;
    code?: string | number;
    name?: string;
    message?: string;
    cause?: { name?: string };
    response?: { status?: number; data?: unknown };
  };
  const status = e.response?.status ?? e.status ?? null;
  const body = (typeof e.response?.data === 'object' ? e.response.data : {}) as ErrorBody;
  const first = body.error?.errors?.[0];
  const detail = body.error?.details?.find((d) => typeof d.reason === 'string')?.reason;
  // ErrorInfo details are the more specific reason (API_KEY_INVALID rather than badRequest).
  const reason = detail ?? first?.reason ?? (typeof e.code === 'string' ? e.code : 'unknown');
  // Upstream messages can contain HTML (the quota one does): keep the text short and plain.
  const upstream = (first?.message ?? body.error?.message ?? '').replace(/<[^>]*>/g, '').slice(0, 200);

  if (status === null) {
    const code = typeof e.code === 'string' ? e.code : '';
    // gaxios reports its own timeout as a plain Error ("The operation was aborted.") whose cause
    // is the AbortError.
    const aborted = (name: string | undefined) => name === 'AbortError' || name === 'TimeoutError';
    const timedOut = aborted(e.name) || aborted(e.cause?.name) || code === 'ETIMEDOUT' || /timeout/i.test(e.message ?? '');
    const label = timedOut ? 'timeout' : NETWORK_CODES.has(code) ? code : code || 'network';
    return new YoutubeApiError('transient', null, label, `YouTube request failed: ${label}`);
  }
  const describe = (what: string) => `YouTube ${what} (HTTP ${status}, ${reason})${upstream ? `: ${upstream}` : ''}`;
  if (QUOTA_REASONS.has(reason) || QUOTA_REASONS.has(first?.reason ?? '')) {
    return new YoutubeApiError('quota', status, first?.reason ?? reason, describe('quota exceeded'));
  }
  if (status === 429 || status >= 500 || TRANSIENT_REASONS.has(reason)) {
    return new YoutubeApiError('transient', status, reason, describe('temporary failure'));
  }
  // Only reasons that name the key disable it: a 403 from a proxy, an abuse page or a bare
  // "forbidden" says nothing about this key, and disabling on it would take every key out.
  if (REJECTED_REASONS.has(reason) || (status === 400 && /API key not valid/i.test(upstream))) {
    return new YoutubeApiError('rejected', status, reason, describe('rejected the API key'));
  }
  if (status === 403 || status === 401) {
    return new YoutubeApiError('transient', status, reason, describe('refused the call'));
  }
  return new YoutubeApiError('request', status, reason, describe('refused the request'));
}
