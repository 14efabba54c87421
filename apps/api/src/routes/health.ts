// GET /health: liveness and the state of each dependency. 503 when one is down, always within
// about 1 s (every probe is bounded). The live-update channel or the MySQL read replica being
// down is a degradation, not an outage: still 200, and the message says what it costs. (With
// the replica down every request is still answered, listing and search by the primary, so a
// load balancer must not take the API out of rotation for it.)
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { HealthService } from '@tubefeed/core';

const DependencyState = Type.Union([Type.Literal('up'), Type.Literal('down')]);

const YoutubeState = Type.Union(
  [
    Type.Literal('ok'),
    Type.Literal('quota_exhausted'),
    Type.Literal('keys_suspect'),
    Type.Literal('keys_disabled'),
    Type.Literal('no_keys'),
    Type.Literal('unknown'),
  ],
  { description: 'quota_exhausted still answers 200: stored videos are served until the keys reset' },
);

const QuotaBucket = Type.Object({ used: Type.Integer(), limit: Type.Integer(), remaining: Type.Integer() });

const HealthBody = Type.Object({
  isError: Type.Boolean(),
  message: Type.String(),
  checks: Type.Object({
    mysql: DependencyState,
    mysqlReplica: Type.Optional(
      Type.Union([Type.Literal('up'), Type.Literal('down')], {
        description:
          'The MySQL read replica, present only when MYSQL_READ_URL is set. down still answers 200 (degraded): listing and ' +
          'search are then read from the primary',
      }),
    ),
    redis: DependencyState,
    youtube: YoutubeState,
    feedChannel: Type.Union([Type.Literal('up'), Type.Literal('down')], {
      description:
        'The live-update channel (change notices from the worker). down still answers 200 (degraded): page 1 is then ' +
        'refreshed by time (within about a second) instead of at once on change',
    }),
  }),
  quotaResetAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'When every key is out of quota: when the first one resets (midnight Pacific time)',
  }),
  keys: Type.Union(
    [Type.Object({ ok: Type.Integer(), exhausted: Type.Integer(), suspect: Type.Integer(), disabled: Type.Integer() }), Type.Null()],
    { description: 'YouTube API keys by state (null while Redis cannot be read)' },
  ),
  quota: Type.Union(
    [
      Type.Object({
        projects: Type.Integer({ description: 'Usable Google Cloud projects (keys of one project share its quota)' }),
        buckets: Type.Object({ search: QuotaBucket, units: QuotaBucket }),
      }),
      Type.Null(),
    ],
    {
      description:
        "Today's quota over the usable projects, by bucket: search (search.list calls, 100 a day per project by default) and " +
        'units (every other method, 10,000 a day); null while Redis cannot be read',
    },
  ),
  youtube: Type.Object(
    {
      searching: Type.Union([Type.Boolean(), Type.Null()], { description: 'false while no search can be made; null while unknown' }),
      resumesAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
        description: 'When searching resumes by itself (the quota reset); null when it takes an operator (or while searching)',
      }),
      message: Type.String({ examples: ['Every usable YouTube key is out of quota: no search until 2024-05-15T07:00:00.000Z (midnight Pacific time); stored videos are still served.'] }),
    },
    { description: 'Whether the worker can search YouTube now, and what ends a pause' },
  ),
});

const DEGRADED_FEED_CHANNEL = 'the live-update channel is down; page 1 is refreshed by time instead of on change';
const DEGRADED_REPLICA = 'the MySQL read replica is down; listing and search read from the primary';

export const healthRoutes: FastifyPluginAsyncTypebox<{ health: HealthService }> = async (app, { health }) => {
  app.get(
    '/health',
    {
      schema: {
        tags: ['service'],
        summary: 'Service health and the state of its dependencies',
        response: { 200: HealthBody, 503: HealthBody },
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
