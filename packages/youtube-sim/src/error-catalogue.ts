// Every error body the simulator can send, under a stable name, with what it means for the key
// and whether the call that gets it is charged. Tests iterate the catalogue ("one test per
// body") and ask for any entry as a one-off answer (`failNext: [{ body: name }]`); the key-level
// entries are also persistent key states (`updateKey(ref, { state })`). The bodies follow the
// error table of the project's YouTube notes (/work/shared/youtube-api.md).
import {
  accessNotConfigured,
  apiKeyServiceBlocked,
  backendError,
  dailyLimitExceeded,
  internalError,
  invalidApiKey,
  invalidRange,
  ipRefererBlocked,
  keyExpired,
  keyExpiredLegacy,
  keyInvalidLegacy,
  keyRestricted,
  missingApiKey,
  quotaExceeded,
  rateLimitExceeded,
  refererBlockedNoErrors,
  unknownError,
  userRateLimitExceeded,
  type ApiResponse,
  type CallOrigin,
} from './api-errors.js';
import type { KeyState } from './api-keys.js';

/**
 * What an answer means for the key that got it:
 * - quota: that bucket of the key's project is used up until the next Pacific midnight;
 * - key: the key is unusable until an operator acts (invalid, expired, blocked, restricted, API off);
 * - rateLimit / server: transient, back off, the key stays good;
 * - parameter: a bug in the request, not a key problem;
 * - unknown: fits no documented row; not transient by default (never retry it forever).
 */
export type ErrorKind = 'quota' | 'key' | 'rateLimit' | 'server' | 'parameter' | 'unknown';

export interface ErrorContext extends CallOrigin {
  /** Quoted by bodies that name the project. Default: twelve zeros. */
  projectNumber?: string;
  /** Quoted by API_KEY_SERVICE_BLOCKED. Default: search.list's. */
  methodName?: string;
}

interface CatalogueEntry {
  readonly name: string;
  readonly status: number;
  /** `errors[0].domain`, or null for a body without an `errors` array. */
  readonly domain: string | null;
  /** `errors[0].reason`, or null for a body without an `errors` array. */
  readonly reason: string | null;
  /** `details[…]` ErrorInfo reason, when the body has one. */
  readonly detailReason: string | null;
  readonly kind: ErrorKind;
  /** Whether a call answered with it costs its method's price (when the key is known and in use). */
  readonly bucketCharged: boolean;
  /** The key state that answers every call with this body, for the key-level entries. */
  readonly keyState: KeyState | null;
  /** Marked legacy: an older form still seen from some projects. */
  readonly legacy: boolean;
  readonly build: (context: Required<Pick<ErrorContext, 'projectNumber' | 'methodName'>> & CallOrigin) => ApiResponse;
}

const SEARCH_METHOD = 'youtube.api.v3.V3DataSearchService.List';
const NO_PROJECT = '000000000000';

const entry = <Name extends string>(
  name: Name,
  status: number,
  domain: string | null,
  reason: string | null,
  kind: ErrorKind,
  build: CatalogueEntry['build'],
  extra: Partial<Pick<CatalogueEntry, 'detailReason' | 'keyState' | 'legacy'>> = {},
): CatalogueEntry & { readonly name: Name } => ({
  name,
  status,
  domain,
  reason,
  kind,
  bucketCharged: kind !== 'quota' && kind !== 'key',
  detailReason: extra.detailReason ?? null,
  keyState: extra.keyState ?? null,
  legacy: extra.legacy ?? false,
  build,
});

const CATALOGUE = [
  entry('quotaExceeded', 403, 'youtube.quota', 'quotaExceeded', 'quota', () => quotaExceeded()),
  entry('dailyLimitExceeded', 403, 'usageLimits', 'dailyLimitExceeded', 'quota', (c) => dailyLimitExceeded(c.projectNumber), { legacy: true }),
  entry('keyMissing', 403, 'global', 'forbidden', 'key', () => missingApiKey()),
  entry('keyInvalid', 400, 'global', 'badRequest', 'key', () => invalidApiKey(), { detailReason: 'API_KEY_INVALID', keyState: 'invalid' }),
  entry('keyInvalidLegacy', 400, 'usageLimits', 'keyInvalid', 'key', () => keyInvalidLegacy(), { keyState: 'invalidLegacy', legacy: true }),
  entry('keyExpired', 400, 'global', 'badRequest', 'key', () => keyExpired(), { detailReason: 'API_KEY_EXPIRED', keyState: 'expired' }),
  entry('keyExpiredLegacy', 400, 'usageLimits', 'keyExpired', 'key', () => keyExpiredLegacy(), { keyState: 'expiredLegacy', legacy: true }),
  entry('accessNotConfigured', 403, 'usageLimits', 'accessNotConfigured', 'key', (c) => accessNotConfigured(c.projectNumber), {
    detailReason: 'SERVICE_DISABLED',
    keyState: 'notConfigured',
  }),
  entry('serviceBlocked', 403, 'global', 'forbidden', 'key', (c) => apiKeyServiceBlocked(c.methodName, c.projectNumber), {
    detailReason: 'API_KEY_SERVICE_BLOCKED',
    keyState: 'blocked',
  }),
  entry('refererBlocked', 403, 'global', 'forbidden', 'key', (c) => keyRestricted('referer', c.projectNumber, c), {
    detailReason: 'API_KEY_HTTP_REFERRER_BLOCKED',
    keyState: 'refererBlocked',
  }),
  entry('ipBlocked', 403, 'global', 'forbidden', 'key', (c) => keyRestricted('ip', c.projectNumber, c), {
    detailReason: 'API_KEY_IP_ADDRESS_BLOCKED',
    keyState: 'ipBlocked',
  }),
  entry('androidAppBlocked', 403, 'global', 'forbidden', 'key', (c) => keyRestricted('android', c.projectNumber, c), {
    detailReason: 'API_KEY_ANDROID_APP_BLOCKED',
    keyState: 'androidAppBlocked',
  }),
  entry('iosAppBlocked', 403, 'global', 'forbidden', 'key', (c) => keyRestricted('ios', c.projectNumber, c), {
    detailReason: 'API_KEY_IOS_APP_BLOCKED',
    keyState: 'iosAppBlocked',
  }),
  entry('refererBlockedNoErrors', 403, null, null, 'key', (c) => refererBlockedNoErrors(c.projectNumber, c), {
    keyState: 'refererBlockedNoErrors',
    legacy: true,
  }),
  entry('ipRefererBlocked', 403, 'usageLimits', 'ipRefererBlocked', 'key', () => ipRefererBlocked(), { keyState: 'ipRefererBlocked', legacy: true }),
  entry('rateLimitExceeded403', 403, 'global', 'rateLimitExceeded', 'rateLimit', () => rateLimitExceeded(403, NO_PROJECT)),
  entry('rateLimitExceeded429', 429, 'global', 'rateLimitExceeded', 'rateLimit', (c) => rateLimitExceeded(429, c.projectNumber), {
    detailReason: 'RATE_LIMIT_EXCEEDED',
  }),
  entry('userRateLimitExceeded403', 403, 'global', 'userRateLimitExceeded', 'rateLimit', () => userRateLimitExceeded(403)),
  entry('userRateLimitExceeded429', 429, 'global', 'userRateLimitExceeded', 'rateLimit', () => userRateLimitExceeded(429)),
  entry('backendError500', 500, 'global', 'backendError', 'server', () => backendError(500)),
  entry('internalError500', 500, 'global', 'internalError', 'server', () => internalError()),
  entry('backendError503', 503, 'global', 'backendError', 'server', () => backendError(503)),
  entry('invalidParameter', 400, 'youtube.parameter', 'invalidParameter', 'parameter', () => invalidRange('maxResults', '51', 0, 50)),
  entry('unknown400', 400, 'global', 'somethingNew', 'unknown', () => unknownError(400)),
  entry('unknown404', 404, 'global', 'notFound', 'unknown', () => unknownError(404)),
  entry('unknown409', 409, null, null, 'unknown', () => unknownError(409)),
] as const satisfies readonly CatalogueEntry[];

export type ErrorBodyName = (typeof CATALOGUE)[number]['name'];

/** One entry of the catalogue, without its builder (use `errorBody`). */
export type ErrorBodySpec = Omit<CatalogueEntry, 'build' | 'name'> & { readonly name: ErrorBodyName };

/** Every error body the simulator sends, by stable name. */
export const ERROR_BODIES: readonly ErrorBodySpec[] = Object.freeze(
  CATALOGUE.map(({ build: _build, ...spec }) => Object.freeze(spec) as ErrorBodySpec),
);

export const ERROR_BODY_NAMES: readonly ErrorBodyName[] = Object.freeze(CATALOGUE.map((e) => e.name));

const BY_NAME = new Map<string, CatalogueEntry>(CATALOGUE.map((e) => [e.name, e]));
const BY_KEY_STATE = new Map<KeyState, CatalogueEntry>(
  CATALOGUE.flatMap((e): Array<[KeyState, CatalogueEntry]> => (e.keyState === null ? [] : [[e.keyState, e]])),
);

export function isErrorBodyName(name: string): name is ErrorBodyName {
  return BY_NAME.has(name);
}

export function errorBodySpec(name: ErrorBodyName): ErrorBodySpec {
  return ERROR_BODIES.find((spec) => spec.name === name)!;
}

/** The HTTP status and JSON body of a catalogue entry, exactly as the simulator sends it. */
export function errorBody(name: ErrorBodyName, context: ErrorContext = {}): { status: number; body: unknown } {
  const { status, body } = errorResponse(name, context);
  return { status, body };
}

/** The catalogue entry's answer (with the reason the call log records). */
export function errorResponse(name: ErrorBodyName, context: ErrorContext = {}): ApiResponse {
  const found = BY_NAME.get(name);
  if (found === undefined) throw new RangeError(`no error body named ${name}`);
  return found.build({ ...context, projectNumber: context.projectNumber ?? NO_PROJECT, methodName: context.methodName ?? SEARCH_METHOD });
}

/** The body a key in this state answers every call with; undefined for `ok`. */
export function keyStateBody(state: KeyState): ErrorBodyName | undefined {
  const found = BY_KEY_STATE.get(state)?.name;
  return found !== undefined && isErrorBodyName(found) ? found : undefined;
}
