// The public endpoints' rate limit: at most RATE_LIMIT_MAX requests per client address per
// RATE_LIMIT_WINDOW_MS, counted by @fastify/rate-limit with the shared store (counted in memory,
// shared through Redis in batches: shared-rate-limit-store.ts). Registered in the scope of the
// public routes only: /health answers probes, which a 429 would turn into a restart, and the
// admin surfaces have their own limit on failed logins. Over the limit: 429 in the API's error
// shape, with Retry-After; every limited response carries RateLimit-Limit, -Remaining, -Reset.
//
// The client is `request.ip`: the peer's address unless TRUST_PROXY names the proxies whose
// X-Forwarded-For may be believed.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Config } from '@tubefeed/core';
import { sharedRateLimitStore, type SharedWindowCounter } from './shared-rate-limit-store.js';

export async function registerPublicRateLimit(scope: FastifyInstance, limit: Config['rateLimit'], counter: SharedWindowCounter | null): Promise<void> {
  if (limit.max === 0 || counter === null) return;
  const windowSeconds = Math.round(limit.windowMs / 1000);
  await scope.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    max: limit.max,
    timeWindow: limit.windowMs,
    store: sharedRateLimitStore(counter),
    enableDraftSpec: true,
    errorResponseBuilder: (_request, context) =>
      Object.assign(
        new Error(
          `Too many requests: at most ${context.max} per ${windowSeconds} s from one address; try again in ${Math.max(1, Math.ceil(context.ttl / 1000))} s.`,
        ),
        { statusCode: 429 },
      ),
  });
}
