// GET /health: liveness and the state of each dependency. 503 when one is down, always within
// about 1 s (every probe is bounded). The live-update channel or the MySQL read replica being
// down is a degradation, not an outage: still 200, and the message says what it costs. (With
// the replica down every request is still answered, listing and search by the primary, so a
// load balancer must not take the API out of rotation for it.)
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HealthBodySchema, type HealthService } from '@tubefeed/core';

const DEGRADED_FEED_CHANNEL = 'the live-update channel is down; page 1 is refreshed by time instead of on change';
const DEGRADED_REPLICA = 'the MySQL read replica is down; listing and search read from the primary';

export const healthRoutes: FastifyPluginAsyncTypebox<{ health: HealthService }> = async (app, { health }) => {
  app.get(
    '/health',
    {
      schema: {
        tags: ['service'],
        summary: 'Service health and the state of its dependencies',
        response: { 200: HealthBodySchema, 503: HealthBodySchema },
      },
    },
    async (_request, reply) => {
      const report = await health.check();
      const down = (['mysql', 'redis'] as const).filter((name) => report.checks[name] === 'down');
      const degraded = [
        ...(report.checks.feedChannel === 'down' ? [DEGRADED_FEED_CHANNEL] : []),
        ...(report.checks.mysqlReplica === 'down' ? [DEGRADED_REPLICA] : []),
      ];
      // The same hint as every other 503 (plugins/error-handler.ts).
      if (!report.healthy) reply.header('retry-after', '5');
      return reply
        .code(report.healthy ? 200 : 503)
        .header('cache-control', 'no-store')
        .send({
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
        });
    },
  );
  return Promise.resolve();
};
