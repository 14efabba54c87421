// Errors that carry meaning rather than HTTP. The API's error handler maps them to responses;
// job processors decide from them whether a retry can help.

/** The caller asked for something invalid; `param` names the offending parameter. */
export class InvalidRequestError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidRequestError';
  }
}

/** The thing asked for does not exist. */
export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** The request conflicts with what is stored (a key that is already there). */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

/**
 * A request that depends on YouTube could not be completed: `refused` when YouTube said no
 * for a reason the caller can act on (an invalid key), `unavailable` when it could not answer.
 */
export class UpstreamError extends Error {
  constructor(
    readonly kind: 'refused' | 'unavailable',
    message: string,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

/** The service cannot take this request now (shutting down, at a capacity limit); it may retry. */
export class BusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BusyError';
  }
}

/** A dependency (MySQL, Redis) cannot be reached right now. */
export class DependencyUnavailableError extends Error {
  constructor(
    readonly dependency: 'mysql' | 'redis',
    options?: ErrorOptions,
  ) {
    super(`${dependency} is unavailable`, options);
    this.name = 'DependencyUnavailableError';
  }
}

const MYSQL_UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'POOL_CLOSED',
  'POOL_ACQUIRE_TIMEOUT', // db/bounded-pool.ts
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_BAD_DB_ERROR',
]);

/** True for driver errors that mean "the database is not reachable", not "the query is wrong". */
export function isMysqlUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, fatal } = error as { code?: unknown; fatal?: unknown };
  return (typeof code === 'string' && MYSQL_UNAVAILABLE_CODES.has(code)) || fatal === true;
}
