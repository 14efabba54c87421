// GET /health: readiness, the state of each dependency. 503 when MySQL or Redis is down. The
// live-update channel or the MySQL read replica being down is a degradation, not an outage:
// still 200, and the message says what it costs. (With the replica down every request is still
// answered, listing and search by the primary, so a load balancer must not take the API out of
// rotation for it.)
//
// The dependencies are not probed per request: core's health monitor probes them in the
// background (at most once a second per process) and this route answers from its latest
// report. The status, headers and body bytes are prepared once per report, with the route's
// own response serialiser, so a /health flood costs about what a static route does.
//
// GET /health/live: liveness, no I/O at all: the process runs its event loop and answers.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { HealthBodySchema, LiveBodySchema, type HealthBody, type HealthMonitor, type HealthReport, type LiveBody } from '@tubefeed/core';

const DEGRADED_FEED_CHANNEL = 'the live-update channel is down; page 1 is refreshed by time instead of on change';
const DEGRADED_REPLICA = 'the MySQL read replica is down; listing and search read from the primary';

/** The body of /health for one report. */
export function healthBody(report: HealthReport): HealthBody {
  const down = (['mysql', 'redis'] as const).filter((name) => report.checks[name] === 'down');
  const degraded = [
    ...(report.checks.feedChannel === 'down' ? [DEGRADED_FEED_CHANNEL] : []),
    ...(report.checks.mysqlReplica === 'down' ? [DEGRADED_REPLICA] : []),
  ];
  return {
    isError: !report.healthy,
    message: !report.healthy
      ? `Unavailable: ${down.join(', ')}`
      : degraded.length > 0
        ? `Degraded: ${degraded.join('; ')}`
        : 'Server is Up and Running',
    checks: report.checks,
    quotaResetAt: report.quotaResetAt,
    keys: report.keys,
    quota: report.quota,
    youtube: report.youtube,
  };
}

interface PreparedAnswer {
  readonly report: HealthReport;
  readonly status: 200 | 503;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

const LIVE: LiveBody = { isError: false, message: 'live' };
const LIVE_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

/**
 * Sends bytes already serialised with the route's response schema. Fastify sends a Buffer as
 * it is; the untyped reply only says so to the type checker, which expects the body's object.
 */
function sendBytes(reply: FastifyReply, status: number, headers: Readonly<Record<string, string>>, body: Buffer): FastifyReply {
  return reply.code(status).headers(headers).send(body);
}

export const healthRoutes: FastifyPluginAsyncTypebox<{ health: Pick<HealthMonitor, 'current'> }> = async (app, { health }) => {
  let prepared: PreparedAnswer | null = null;

  /** The answer to the latest report, built the first time it is asked for (once per probe). */
  function answerFor(report: HealthReport, reply: FastifyReply): PreparedAnswer {
    if (prepared?.report === report) return prepared;
    const status = report.healthy ? 200 : 503;
    // The serialiser Fastify compiled from this route's response schema for that status.
    const serialize = reply.getSerializationFunction(String(status));
    if (serialize === undefined) throw new Error(`/health has no response schema for ${status}`);
    prepared = {
      report,
      status,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        // The same hint as every other 503 (plugins/error-handler.ts).
        ...(report.healthy ? {} : { 'retry-after': '5' }),
      },
      body: Buffer.from(serialize(healthBody(report))),
    };
    return prepared;
  }

  app.get(
    '/health',
    {
      schema: {
        tags: ['service'],
        summary: 'Readiness: the state of the service and its dependencies (503 while MySQL or Redis is down)',
        description:
          'Answered from the latest background probe of the dependencies (each API process probes them at most once a second), ' +
          'so the state is at most about two seconds old.',
        response: { 200: HealthBodySchema, 503: HealthBodySchema },
      },
    },
    async (_request, reply) => {
      const answer = answerFor(await health.current(), reply);
      return sendBytes(reply, answer.status, answer.headers, answer.body);
    },
  );

  let liveBody: Buffer | null = null;
  app.get(
    '/health/live',
    {
      schema: {
        tags: ['service'],
        summary: 'Liveness: the process answers (asks no dependency)',
        response: { 200: LiveBodySchema },
      },
    },
    (_request, reply) => {
      liveBody ??= Buffer.from(reply.getSerializationFunction('200')?.(LIVE) ?? JSON.stringify(LIVE));
      sendBytes(reply, 200, LIVE_HEADERS, liveBody);
    },
  );
  return Promise.resolve();
};
