// What a failed YouTube call means for the caller, decided from the HTTP status, the
// `errors[0].reason` and the ErrorInfo `details` of the real error bodies in every form YouTube
// sends them (see shared/youtube-api.md):
//   quota     the bucket of the key's project is spent: unusable for that method until the next
//             Pacific midnight (the caller knows which bucket the method draws from)
//   rejected  the key is invalid, expired, restricted to other referrers/addresses/apps, blocked
//             for this API, or the API is not enabled in its project: unusable until an operator acts
//   transient rate limit, 5xx, timeout, network: back off and retry, the key is fine
//   request   a parameter YouTube refused: a bug on our side, retrying cannot help
//   unknown   an answer no known form explains: retried a few times, then the key is set aside
//             as suspect (key-pool.ts), never retried forever
// Errors carry no key and no request URL (gaxios puts `key=` in `err.config.url`).
import type { QuotaBucket } from './quota-buckets.js';

export type YoutubeErrorKind = 'quota' | 'rejected' | 'transient' | 'request' | 'unknown';

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

/** Every usable project's bucket is spent: no call of that kind can be made before `resetAt`. */
export class QuotaExhaustedError extends Error {
  constructor(
    readonly bucket: QuotaBucket,
    readonly resetAt: Date,
  ) {
    super(`every YouTube project is out of ${bucket === 'search' ? 'search' : 'units'} quota until ${resetAt.toISOString()}`);
    this.name = 'QuotaExhaustedError';
  }
}

/** No key can be used at all: none configured, all disabled (by an operator or YouTube), or suspect. */
export class NoUsableKeyError extends Error {
  constructor(readonly state: 'no_keys' | 'keys_disabled' | 'keys_suspect') {
    super(
      state === 'no_keys'
        ? 'no YouTube API key is configured'
        : state === 'keys_suspect'
          ? 'every usable YouTube API key is set aside as suspect until the next quota day'
          : 'every YouTube API key is disabled',
    );
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
  'API_KEY_ANDROID_APP_BLOCKED',
  'API_KEY_IOS_APP_BLOCKED',
  'accessNotConfigured',
  'SERVICE_DISABLED',
  'ipRefererBlocked',
]);
/** Messages that name the key when the body has no reason that does (older and bare forms). */
const REJECTED_MESSAGES = [/API key not valid/i, /API key expired/i, /missing a valid API key/i, /^Requests from .* are blocked\.?$/i, /restriction configured on your API key/i];
/** Domains and reasons of a request YouTube refused as malformed. */
const REQUEST_DOMAINS = new Set(['youtube.parameter', 'youtube.part', 'youtube.search', 'youtube.video']);
const REQUEST_REASONS = new Set(['invalidParameter', 'required', 'missingRequiredParameter', 'incompatibleParameters', 'unknownPart', 'invalidPageToken']);
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
    details?: Array<{ '@type'?: string; reason?: string }>;
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
  const reason = detail ?? first?.reason ?? body.error?.status ?? (typeof e.code === 'string' ? e.code : 'unknown');
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
  const plainMessage = (body.error?.message ?? '').replace(/<[^>]*>/g, '');
  if (QUOTA_REASONS.has(reason) || QUOTA_REASONS.has(first?.reason ?? '')) {
    return new YoutubeApiError('quota', status, first?.reason ?? reason, describe('quota exceeded'));
  }
  if (status === 429 || status >= 500 || TRANSIENT_REASONS.has(reason) || TRANSIENT_REASONS.has(first?.reason ?? '')) {
    return new YoutubeApiError('transient', status, reason, describe('temporary failure'));
  }
  // Only answers that name the key disable it: a 403 from a proxy, an abuse page or a bare
  // "forbidden" says nothing about this key, and disabling on it would take every key out.
  if (REJECTED_REASONS.has(reason) || REJECTED_REASONS.has(first?.reason ?? '') || REJECTED_MESSAGES.some((m) => m.test(plainMessage))) {
    return new YoutubeApiError('rejected', status, reason, describe('rejected the API key'));
  }
  if (status === 400 && (REQUEST_DOMAINS.has(first?.domain ?? '') || REQUEST_REASONS.has(first?.reason ?? ''))) {
    return new YoutubeApiError('request', status, reason, describe('refused the request'));
  }
  return new YoutubeApiError('unknown', status, reason, describe('gave an unexplained answer'));
}