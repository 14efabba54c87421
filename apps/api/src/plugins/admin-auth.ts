// HTTP basic auth for every admin surface (Bull Board, key and query management, metrics when
// configured so). Without ADMIN_PASSWORD the admin routes are off: they answer 403 with how to
// turn them on, and are never open without credentials. The check runs as an onRequest hook of
// each admin scope and answers in the API's own error shape (Bull Board's routes have an error
// handler of their own, so an error thrown here would not be). Before the credentials, requests
// that would change state and come from a page on another site are refused (same-origin.ts).
//
// Wrong user, wrong password and no credentials at all get the same 401. Repeated wrong
// credentials from one client address are limited: after ADMIN_AUTH_MAX_FAILURES within
// ADMIN_AUTH_WINDOW_MS every admin request from it answers 429 with Retry-After, right password
// or not, until the window (started by the first failure) ends. Only requests that present
// wrong credentials count; the counts live in Redis (@fastify/rate-limit's own store: admin
// traffic is small, so one round trip per request is fine and the limit is exact across API
// replicas). Redis unreachable: the limit is skipped and a warning logged, never a refusal.
import { createHash, timingSafeEqual } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { redisKey, type Config, type RedisClient } from '@tubefeed/core';
import { crossSiteRefusal } from './same-origin.js';

const REALM = 'Basic realm="tubefeed admin", charset="UTF-8"';

/** Admin bodies hold a key, a label, a query text or a Bull Board action: 16 KiB is plenty. */
export const ADMIN_BODY_LIMIT = 16 * 1024;
const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** What every admin scope needs to check a request: the credentials and the failure limit. */
export interface AdminGuard {
  readonly admin: Config['admin'];
  /** Null when ADMIN_AUTH_MAX_FAILURES is 0 or admin is off. */
  readonly failures: FailureLimit | null;
}

type RateLimitCheck = ReturnType<FastifyInstance['createRateLimit']>;

interface FailureLimit {
  readonly check: RateLimitCheck;
  readonly max: number;
}

function credentials(header: string | undefined): { user: string; password: string } | null {
  // The scheme name is case-insensitive (RFC 9110 §11.1).
  const match = /^basic +([A-Za-z0-9+/=]+) *$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The guard for `requireAdmin`, its failure counter shared by every admin scope. Registers
 * @fastify/rate-limit (with its Redis store) in a scope of its own, where it limits no route:
 * only its `createRateLimit` check is used, counting failures alone.
 */
export async function createAdminGuard(app: FastifyInstance, admin: Config['admin'], redis: RedisClient, prefix: string): Promise<AdminGuard> {
  if (admin.password === null || admin.maxFailures === 0) return { admin, failures: null };
  let check: RateLimitCheck | undefined;
  await app.register(async (scope) => {
    await scope.register(rateLimit, { global: false, redis, nameSpace: `${redisKey(prefix, 'admin-auth-failures')}:`, skipOnError: false });
    check = scope.createRateLimit({ max: admin.maxFailures, timeWindow: admin.failureWindowMs });
  });
  return { admin, failures: { check: check!, max: admin.maxFailures } };
}

/**
 * Makes `scope` (an encapsulated plugin) an admin scope: onRequest hooks that refuse cross-site
 * changes (same-origin.ts) and demand admin credentials, and the admin body limit on the routes
 * registered in it after this call.
 */
export function requireAdmin(scope: FastifyInstance, guard: AdminGuard): void {
  const { admin, failures } = guard;
  // Larger bodies answer 413 (in the error shape) before they are read; credentials are checked first.
  scope.addHook('onRoute', (route) => {
    route.bodyLimit ??= ADMIN_BODY_LIMIT;
  });
  const password = admin.password;
  const deny = (reply: FastifyReply, status: number, message: string) =>
    reply.code(status).type('application/json; charset=utf-8').send({ isError: true, message });
  // Before the credentials: why, in same-origin.ts.
  scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const refusal = crossSiteRefusal(request);
    if (refusal === null) return;
    request.log.warn(
      {
        client: request.ip,
        method: request.method,
        route: request.routeOptions.url,
        origin: request.headers.origin?.slice(0, 200),
        fetchSite: request.headers['sec-fetch-site'],
      },
      'cross-site admin request refused',
    );
    return deny(reply, 403, refusal);
  });
  if (password === null) {
    scope.addHook('onRequest', async (_request: FastifyRequest, reply: FastifyReply) =>
      deny(reply, 403, 'Admin routes are disabled: set ADMIN_PASSWORD (and optionally ADMIN_USER) to enable them.'),
    );
    return;
  }
  /** The limiter's answer, or null when it cannot be asked (Redis away: fail open, logged). */
  const limiter = async (request: FastifyRequest, increment: boolean) => {
    if (failures === null) return null;
    try {
      const state = await failures.check(request, { increment });
      return state.isAllowed ? null : state;
    } catch (error) {
      request.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'admin login failure limit unavailable; not applied');
      return null;
    }
  };
  // Comparing fixed-length digests in constant time leaks neither content nor length.
  const expectedUser = digest(admin.user);
  const expectedPassword = digest(password.reveal());
  scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const before = await limiter(request, false);
    if (before !== null && before.remaining === 0) {
      const seconds = Math.max(1, before.ttlInSeconds);
      return deny(
        reply.header('retry-after', String(seconds)),
        429,
        `Too many failed admin logins from this address; try again in ${seconds} s.`,
      );
    }
    const given = credentials(request.headers.authorization);
    const userOk = timingSafeEqual(digest(given?.user ?? ''), expectedUser);
    const passwordOk = timingSafeEqual(digest(given?.password ?? ''), expectedPassword);
    if (given !== null && userOk && passwordOk) return;
    // A request without credentials is how a browser asks for the login prompt, not a guess.
    if (request.headers.authorization !== undefined) {
      const after = await limiter(request, true);
      // Neither the user nor the password is logged: people type passwords into the user field.
      request.log.warn(
        { client: request.ip, failures: after === null ? undefined : after.max - after.remaining, limit: failures?.max },
        'admin login failed',
      );
    }
    return deny(reply.header('www-authenticate', REALM), 401, 'Admin credentials required');
  });
}
